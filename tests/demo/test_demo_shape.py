"""The demo village looks like the schemes it models: a ledger made mostly of deeds, most residents
at A or A+, a few at B, one or two at C or D, heavy penalties rare; and it shows what a year brings:
a second handbook edition, an appeal past its deadline, notices."""

from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from handbook.models import Edition
from points.models import Appeal, Entry, Notification
from points.standing import compute_standing
from villages.models import Resident, Village

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("loaddemo")
        yield Village.objects.get(code="DDLJ")
        call_command("flush", interactive=False, verbosity=0)


def test_deeds_far_outnumber_infractions_and_heavy_penalties_are_rare(demo):
    entries = Entry.objects.filter(village=demo).originals()
    deeds = entries.filter(points_halves__gt=0).count()
    infractions = entries.filter(points_halves__lt=0).count()
    heavy = entries.filter(points_halves__lte=-20).count()  # -10 points or worse
    assert deeds / (deeds + infractions) >= 0.85, (deeds, infractions)
    assert heavy / (deeds + infractions) <= 0.02, heavy
    assert sum(e.points_halves for e in entries) > 0


def test_most_residents_are_at_a_or_a_plus_a_few_at_b_one_or_two_at_c_or_d(demo):
    residents = Resident.objects.filter(village=demo, status=Resident.Status.ACTIVE).select_related("village")
    grades = Counter(compute_standing(resident=r).grade for r in residents)
    total = sum(grades.values())
    assert (grades["A+"] + grades["A"]) / total >= 0.75, grades
    assert 0.03 <= grades["B"] / total <= 0.2, grades
    assert 1 <= grades["C"] + grades["D"] <= 2 and grades["C"] and grades["D"], grades


def test_a_second_edition_was_published_in_the_demo_year_and_older_entries_keep_the_first(demo):
    today = demo.today()
    editions = list(Edition.objects.published().filter(village=demo).order_by("effective_from"))
    assert len(editions) == 2
    first, second = editions
    assert today - timedelta(days=365) < second.effective_from < today
    assert Edition.objects.in_force(village=demo, on=today) == second
    assert Entry.objects.filter(village=demo, item__edition=first).exists()
    assert Entry.objects.filter(village=demo, item__edition=second).exists()
    pruning = {e.item.edition_id: e.points_halves for e in Entry.objects.filter(village=demo, item__code="1.1")}
    assert pruning == {first.pk: 2, second.pk: 4}  # the new edition raised it; the past kept its value


def test_one_appeal_waits_past_its_deadline_and_another_is_fresh(demo):
    cutoff = timezone.now() - timedelta(days=settings.APPEAL_DEADLINE_DAYS)
    open_appeals = Appeal.objects.filter(entry__village=demo, status=Appeal.Status.OPEN)
    assert open_appeals.filter(filed_at__lt=cutoff).count() == 1
    assert open_appeals.filter(filed_at__gte=cutoff).count() == 1


def test_the_demo_resident_and_the_head_have_notices(demo):
    kinds = set(Notification.objects.filter(user__username="resident").values_list("kind", flat=True))
    assert {Notification.Kind.ENTRY_RECORDED, Notification.Kind.DEDUCTION_EXPIRED} <= kinds
    assert Notification.objects.filter(user__username="head", kind=Notification.Kind.APPEAL_OVERDUE).exists()
