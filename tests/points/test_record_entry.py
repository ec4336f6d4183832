"""points.services.record_entry: what a scorer's submission records, and everything it refuses."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from handbook.models import Item
from handbook.services import publish_edition, start_draft
from points.access import item_to_record
from points.models import Entry
from points.services import record_entry
from points.standing import compute_standing
from tests.factories import EditionFactory, PageFactory, make_item, record, refused
from villages.models import Resident
from villages.services import withdraw_consent

CJK = re.compile(r"[\u4e00-\u9fff]")


class Attempts:
    """Each method sets the scene and returns a submission that must be refused."""

    def __init__(self, *, resident, other_resident, scorer, outsider_scorer, head, admin, deed, capped_deed):
        self.resident, self.other_resident = resident, other_resident
        self.scorer, self.outsider_scorer, self.head, self.admin = scorer, outsider_scorer, head, admin
        self.deed, self.capped_deed = deed, capped_deed
        self.today = resident.village.today()

    def _submit(self, *, item=None, occurred_on=None, scorer=None, resident=None, key=None):
        return lambda: record(
            scorer=scorer or self.scorer,
            resident=resident or self.resident,
            item=item or self.deed,
            occurred_on=occurred_on or self.today,
            idempotency_key=key,
        )

    def without_consent(self):
        withdraw_consent(resident=self.resident, recorded_by=self.head)
        return self._submit()

    def for_a_resident_who_moved_away(self):
        self.resident.status = Resident.Status.MOVED_AWAY
        self.resident.save()
        return self._submit()

    def by_a_scorer_of_another_village(self):
        return self._submit(scorer=self.outsider_scorer)

    def with_an_item_of_another_village(self):
        page = PageFactory(edition=EditionFactory(village=self.outsider_scorer.memberships.get().village))
        return self._submit(item=make_item(page, code=self.deed.code))

    def with_an_item_of_a_superseded_edition(self):
        draft = start_draft(village=self.resident.village, admin=self.admin)
        publish_edition(edition=draft, admin=self.admin, effective_from=self.today)
        return self._submit(item=self.deed)

    def dated_tomorrow(self):
        return self._submit(occurred_on=self.today + timedelta(days=1))

    def dated_before_the_backdating_limit(self):
        days = self.resident.village.backdate_days
        return self._submit(occurred_on=self.today - timedelta(days=days + 1))

    def over_the_cap(self):
        record(scorer=self.scorer, resident=self.resident, item=self.capped_deed)
        record(scorer=self.scorer, resident=self.resident, item=self.capped_deed)
        return self._submit(item=self.capped_deed)

    def reusing_a_key_for_another_resident(self):
        key = uuid.uuid4()
        record(scorer=self.scorer, resident=self.resident, item=self.deed, idempotency_key=key)
        return self._submit(resident=self.other_resident, key=key)


@pytest.fixture
def attempts(clock, resident, other_resident, scorer, outsider_scorer, head, admin, deed, capped_deed):
    return Attempts(
        resident=resident,
        other_resident=other_resident,
        scorer=scorer,
        outsider_scorer=outsider_scorer,
        head=head,
        admin=admin,
        deed=deed,
        capped_deed=capped_deed,
    )


# --- What a recording keeps ---------------------------------------------------------------


def test_it_copies_points_and_fine_from_the_item(clock, resident, scorer, infraction):
    entry = record(scorer=scorer, resident=resident, item=infraction, note="  鸡跑到邻居菜地  ")

    entry.refresh_from_db()
    assert entry.points_halves == -20
    assert entry.points == Decimal("-10")
    assert entry.fine_yuan == 200
    assert entry.item == infraction
    assert entry.recorded_by == scorer
    assert entry.note == "鸡跑到邻居菜地"
    assert compute_standing(resident=resident).balance == 990


def test_it_records_half_points(clock, resident, scorer, page):
    half = make_item(page, code="1.9", points=Decimal("0.5"))

    record(scorer=scorer, resident=resident, item=half)

    assert compute_standing(resident=resident).balance == Decimal("1000.5")


def test_it_records_one_entry_when_the_same_form_is_submitted_twice(clock, resident, scorer, deed):
    key = uuid.uuid4()
    submit = {"scorer": scorer, "resident": resident, "item": deed, "occurred_on": resident.village.today()}

    first = record_entry(idempotency_key=key, **submit)
    again = record_entry(idempotency_key=key, **submit)

    assert again.pk == first.pk
    assert Entry.objects.count() == 1
    assert compute_standing(resident=resident).balance == 1001


def test_it_replays_a_retry_even_after_the_cap_filled_up(clock, resident, scorer, capped_deed):
    key = uuid.uuid4()
    first = record(scorer=scorer, resident=resident, item=capped_deed, idempotency_key=key)
    record(scorer=scorer, resident=resident, item=capped_deed)

    again = record(scorer=scorer, resident=resident, item=capped_deed, idempotency_key=key)

    assert again.pk == first.pk
    assert Entry.objects.count() == 2


def test_it_accepts_a_date_exactly_at_the_backdating_limit(clock, resident, scorer, deed):
    village = resident.village

    entry = record(
        scorer=scorer, resident=resident, item=deed, occurred_on=village.today() - timedelta(days=village.backdate_days)
    )

    assert entry.pk is not None


def test_it_counts_a_cap_per_resident(clock, resident, other_resident, scorer, capped_deed):
    record(scorer=scorer, resident=resident, item=capped_deed)
    record(scorer=scorer, resident=resident, item=capped_deed)

    entry = record(scorer=scorer, resident=other_resident, item=capped_deed)

    assert entry.resident == other_resident


def test_it_counts_a_cap_per_calendar_month_of_the_deed(clock, resident, scorer, capped_deed):
    # Clock: 16 June. Two deeds in May fill May's cap, not June's.
    may = resident.village.today().replace(day=1) - timedelta(days=1)
    record(scorer=scorer, resident=resident, item=capped_deed, occurred_on=may)
    record(scorer=scorer, resident=resident, item=capped_deed, occurred_on=may)

    record(scorer=scorer, resident=resident, item=capped_deed)
    record(scorer=scorer, resident=resident, item=capped_deed)

    error = refused(lambda: record(scorer=scorer, resident=resident, item=capped_deed, occurred_on=may))
    assert error.code == "cap_reached"


def test_it_counts_a_yearly_cap_across_months(clock, resident, scorer, page):
    yearly = make_item(page, code="1.8", cap_count=1, cap_period="year")
    record(scorer=scorer, resident=resident, item=yearly, occurred_on=resident.village.today() - timedelta(days=20))

    error = refused(lambda: record(scorer=scorer, resident=resident, item=yearly))

    assert error.code == "cap_reached"


# --- Refusals: each writes nothing and says why -------------------------------------------


def test_it_refuses_a_resident_who_has_not_consented(attempts):
    assert refused(attempts.without_consent()).code == "no_consent"


def test_it_refuses_a_resident_who_moved_away(attempts):
    assert refused(attempts.for_a_resident_who_moved_away()).code == "inactive"


def test_it_refuses_a_scorer_from_another_village(attempts):
    assert refused(attempts.by_a_scorer_of_another_village()).code == "foreign_village"


def test_it_refuses_an_item_from_another_village(attempts):
    assert refused(attempts.with_an_item_of_another_village()).code == "unknown_item"


def test_it_refuses_an_item_of_a_superseded_edition(attempts):
    assert refused(attempts.with_an_item_of_a_superseded_edition()).code == "unknown_item"


def test_it_refuses_a_date_in_the_future(attempts):
    assert refused(attempts.dated_tomorrow()).code == "future_date"


def test_it_refuses_a_date_older_than_the_village_allows(attempts):
    assert refused(attempts.dated_before_the_backdating_limit()).code == "too_old"


def test_it_refuses_a_capped_deed_once_the_cap_is_reached(attempts):
    assert refused(attempts.over_the_cap()).code == "cap_reached"


def test_it_refuses_an_idempotency_key_reused_for_another_resident(attempts):
    assert refused(attempts.reusing_a_key_for_another_resident()).code == "key_reused"


def test_it_refuses_a_user_who_is_only_a_resident(clock, resident, other_resident, deed):
    error = refused(lambda: record(scorer=other_resident.user, resident=resident, item=deed))

    assert error.code == "foreign_village"


# NEEDS THE CHINESE CATALOGUE: these pass once locale/zh_Hans/LC_MESSAGES/django.mo is compiled.
# The check is on the message template (before names are filled in), because residents' names
# and item titles are Chinese in any language.
@pytest.mark.parametrize(
    "attempt",
    [
        "without_consent",
        "for_a_resident_who_moved_away",
        "by_a_scorer_of_another_village",
        "with_an_item_of_another_village",
        "with_an_item_of_a_superseded_edition",
        "dated_tomorrow",
        "dated_before_the_backdating_limit",
        "over_the_cap",
        "reusing_a_key_for_another_resident",
    ],
)
def test_it_explains_a_refusal_in_chinese(attempts, attempt):
    submit = getattr(attempts, attempt)()
    with translation.override("en"):
        english = refused(submit)
    with translation.override("zh-hans"):
        chinese = refused(submit)

    assert chinese.code == english.code
    assert not CJK.search(english.message), english.message
    assert CJK.search(chinese.message), f"not translated: {chinese.message!r}"
    assert chinese.messages != english.messages


def test_it_refuses_a_deed_dated_before_the_resident_agreed_to_be_scored(resident, scorer, deed):
    resident.consent_given_on = resident.village.today() - timedelta(days=2)
    resident.save()
    with pytest.raises(ValidationError) as refusal:
        record_entry(
            scorer=scorer,
            resident=resident,
            item=deed,
            occurred_on=resident.village.today() - timedelta(days=3),
            idempotency_key=uuid.uuid4(),
        )
    assert refusal.value.code == "before_consent"
    assert not Entry.objects.exists()


# --- item_to_record: the Record POST's item, read with the role and the edition in one statement ---


def test_item_to_record_finds_only_an_item_of_the_village(clock, village, scorer, deed, other_village):
    outsider_item = make_item(PageFactory(edition=EditionFactory(village=other_village)), points=1)

    scoring = item_to_record(scorer=scorer, village=village, pk=deed.pk)

    assert (scoring.item, scoring.may_score, scoring.in_force) == (deed, True, deed.edition_id)
    for pk in (outsider_item.pk, "x", None, 2**63):
        with pytest.raises(Item.DoesNotExist):
            item_to_record(scorer=scorer, village=village, pk=pk)


def test_a_scoring_read_for_one_scorer_does_not_let_another_record(clock, village, scorer, head, resident, deed):
    scoring = item_to_record(scorer=scorer, village=village, pk=deed.pk)

    with pytest.raises(ValidationError) as refusal:
        record_entry(
            scorer=head, resident=resident, item=scoring, occurred_on=village.today(), idempotency_key=uuid.uuid4()
        )

    assert refusal.value.code == "foreign_village"
    assert not Entry.objects.exists()


def test_a_scoring_read_before_a_new_edition_took_effect_is_read_again(clock, village, admin, scorer, resident, deed):
    """Read yesterday, used today: the edition that took effect overnight is the one in force."""
    scoring = item_to_record(scorer=scorer, village=village, pk=deed.pk)
    draft = start_draft(village=village, admin=admin)
    publish_edition(edition=draft, admin=admin, effective_from=village.today() + timedelta(days=1))
    clock.shift(timedelta(days=1))

    with pytest.raises(ValidationError) as refusal:
        record_entry(
            scorer=scorer, resident=resident, item=scoring, occurred_on=village.today(), idempotency_key=uuid.uuid4()
        )

    assert refusal.value.code == "unknown_item"
