"""Nobody judges their own case: not an entry they recorded, not themselves, not their household."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from points.access import appeal_route
from points.models import Appeal, Entry
from points.services import decide_appeal, file_appeal
from tests.factories import ResidentFactory, UserFactory, record
from tests.factories import member as _member
from villages.models import Membership, Township

Role = Membership.Role


@pytest.fixture
def head_scorer(village, head):
    """The head also scores (small villages): they record entries themselves."""
    Membership.objects.create(user=head, village=village, role=Role.SCORER)
    return head


@pytest.fixture
def own_appeal(clock, head_scorer, resident, infraction) -> Appeal:
    """An appeal against an entry the head recorded."""
    entry = record(scorer=head_scorer, resident=resident, item=infraction)
    return file_appeal(entry=entry, resident_user=resident.user, reason="我那天不在家")


def test_a_head_cannot_see_the_decide_form_for_an_appeal_about_an_entry_they_recorded(client, head, own_appeal):
    client.force_login(head)
    url = reverse("points:appeal_decide", args=[own_appeal.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert 'name="decision"' not in page.content.decode()
    assert "You recorded this entry." in page.content.decode()

    refused = client.post(url, {"decision": "uphold", "reason": "好"})
    assert refused.status_code == 403
    own_appeal.refresh_from_db()
    assert own_appeal.status == Appeal.Status.OPEN and not Entry.objects.filter(reverses__isnull=False).exists()


def test_the_service_refuses_the_head_who_recorded_the_entry(head, own_appeal):
    with pytest.raises(ValidationError) as refusal:
        decide_appeal(appeal=own_appeal, head=head, upheld=False, reason="证据充分")
    assert refusal.value.code == "conflict"


def test_the_appeal_goes_to_another_head_and_the_queue_says_why(client, village, head, own_appeal):
    other_head = _member(village, Role.HEAD, "head_two")
    assert appeal_route(own_appeal).deciders == {other_head.pk}

    client.force_login(head)
    queue = client.get(reverse("points:appeal_queue")).content.decode()
    assert "You recorded this entry. Another head of the village decides it." in queue

    decide_appeal(appeal=own_appeal, head=other_head, upheld=True, reason="核实不在家")
    own_appeal.refresh_from_db()
    assert own_appeal.status == Appeal.Status.UPHELD


def test_with_no_other_head_the_administrator_decides(client, admin, own_appeal):
    assert appeal_route(own_appeal).level == "admin"
    client.force_login(admin)
    page = client.get(reverse("points:appeal_decide", args=[own_appeal.pk])).content.decode()
    assert 'name="decision"' in page and "an administrator decides it" in page
    response = client.post(
        reverse("points:appeal_decide", args=[own_appeal.pk]), {"decision": "reject", "reason": "有照片"}
    )
    assert response.status_code == 302
    own_appeal.refresh_from_db()
    assert (own_appeal.status, own_appeal.decided_by) == (Appeal.Status.REJECTED, admin)


def test_with_nobody_free_in_the_village_it_goes_to_the_township(client, village, head, admin, own_appeal, resident):
    # The administrator lives in the resident's household.
    ResidentFactory(village=village, household=resident.household, name="李强", user=admin)
    reviewer = UserFactory(username="township")
    township = Township.objects.create(name="东岛镇")
    township.reviewers.add(reviewer)
    village.township = township
    village.save()
    own_appeal = Appeal.objects.get(pk=own_appeal.pk)

    route = appeal_route(own_appeal)
    assert (route.level, route.deciders) == ("township", {reviewer.pk})
    with pytest.raises(ValidationError) as refusal:
        decide_appeal(appeal=own_appeal, head=admin, upheld=True, reason="同意")
    assert refusal.value.code == "conflict"
    client.force_login(reviewer)
    queue = client.get(reverse("points:review_queue")).content.decode()
    assert "Nobody in the village can decide this appeal without a conflict." in queue
    case = reverse("points:review_case", args=[own_appeal.pk])
    assert 'name="decision"' in client.get(case).content.decode()
    assert client.post(case, {"decision": "uphold", "reason": "镇里核实"}).status_code == 302
    assert Entry.objects.filter(reverses=own_appeal.entry, recorded_by=reviewer).exists()
    own_appeal.refresh_from_db()
    assert (own_appeal.status, own_appeal.decided_by) == (Appeal.Status.UPHELD, reviewer)


def test_a_head_cannot_decide_an_appeal_about_a_member_of_their_household(clock, village, head, scorer, infraction):
    relative_user = _member(village, Role.RESIDENT, "relative")
    ResidentFactory(village=village, name="主任本人", user=head)
    relative = ResidentFactory(
        village=village, household=head.resident.household, name="主任的儿子", user=relative_user
    )
    entry = record(scorer=scorer, resident=relative, item=infraction)
    appeal = file_appeal(entry=entry, resident_user=relative_user, reason="不是我")

    with pytest.raises(ValidationError) as refusal:
        decide_appeal(appeal=appeal, head=head, upheld=True, reason="同意")
    assert refusal.value.code == "conflict"


def test_the_queue_costs_the_same_queries_however_many_appeals_wait(
    client, clock, village, head, scorer, resident, infraction, django_assert_max_num_queries
):
    for _ in range(3):
        file_appeal(
            entry=record(scorer=scorer, resident=resident, item=infraction), resident_user=resident.user, reason="不对"
        )
    client.force_login(head)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("points:appeal_queue")).status_code == 200
    for _ in range(5):
        file_appeal(
            entry=record(scorer=scorer, resident=resident, item=infraction), resident_user=resident.user, reason="不对"
        )
    with django_assert_max_num_queries(12):
        assert client.get(reverse("points:appeal_queue")).status_code == 200
