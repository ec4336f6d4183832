"""The township's second level: a rejected appeal sent up, decided by a reviewer of the township."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from points.models import Appeal, Entry, Notification, Review
from points.notices import reviews_overdue
from points.services import decide_appeal, decide_review, file_appeal, request_review
from points.standing import compute_standing
from tests.factories import UserFactory, record
from villages.models import Township


@pytest.fixture
def reviewer(village):
    user = UserFactory(username="township")
    township = Township.objects.create(name="东岛镇")
    township.reviewers.add(user)
    village.township = township
    village.save(update_fields=["township"])
    return user


@pytest.fixture
def rejected(clock, reviewer, scorer, head, resident, infraction) -> Appeal:
    entry = record(scorer=scorer, resident=resident, item=infraction)
    appeal = file_appeal(entry=entry, resident_user=resident.user, reason="鸡是邻居家的")
    return decide_appeal(appeal=appeal, head=head, upheld=False, reason="有证人")


def test_a_rejected_resident_asks_for_review_and_the_reviewer_upholds_it(rejected, resident, reviewer, head):
    review = request_review(appeal=rejected, resident_user=resident.user, reason="证人是他亲戚")
    assert review.status == Review.Status.OPEN

    decide_review(review=review, reviewer=reviewer, upheld=True, reason="证人有利害关系")

    review.refresh_from_db()
    reversal = Entry.objects.get(reverses=rejected.entry)
    assert (review.status, reversal.recorded_by, reversal.reason) == (Review.Status.UPHELD, reviewer, "证人有利害关系")
    assert compute_standing(resident=resident).balance == resident.village.starting_capital
    told = set(Notification.objects.filter(kind=Notification.Kind.REVIEW_DECIDED).values_list("user_id", flat=True))
    assert told == {resident.user_id, head.pk}


def test_a_rejected_review_writes_no_entry_and_tells_both(rejected, resident, reviewer):
    review = request_review(appeal=rejected, resident_user=resident.user, reason="不服")
    entries = Entry.objects.count()
    decide_review(review=review, reviewer=reviewer, upheld=False, reason="维持村里的决定")
    assert Entry.objects.count() == entries
    assert Notification.objects.filter(kind=Notification.Kind.REVIEW_DECIDED).count() == 2


def test_review_can_be_asked_for_within_the_villages_window_only(clock, rejected, resident, village):
    assert village.review_window_days == 15
    clock.shift(timedelta(days=16))
    with pytest.raises(ValidationError) as refusal:
        request_review(appeal=rejected, resident_user=resident.user, reason="不服")
    assert refusal.value.code == "too_late"


def test_an_open_or_upheld_appeal_cannot_be_sent_up(clock, reviewer, scorer, resident, infraction):
    appeal = file_appeal(
        entry=record(scorer=scorer, resident=resident, item=infraction), resident_user=resident.user, reason="不对"
    )
    with pytest.raises(ValidationError) as refusal:
        request_review(appeal=appeal, resident_user=resident.user, reason="不服")
    assert refusal.value.code == "not_rejected"


def test_only_a_reviewer_of_the_villages_township_decides(rejected, resident, head, other_village):
    review = request_review(appeal=rejected, resident_user=resident.user, reason="不服")
    stranger = UserFactory(username="other_township")
    Township.objects.create(name="别的镇").reviewers.add(stranger)
    for user in (head, stranger):
        with pytest.raises(ValidationError) as refusal:
            decide_review(review=review, reviewer=user, upheld=True, reason="同意")
        assert refusal.value.code == "not_allowed"


def test_the_reviewer_sees_escalated_cases_of_their_villages_only(
    client, rejected, resident, reviewer, scorer, head, infraction, other_village, outsider_head
):
    review = request_review(appeal=rejected, resident_user=resident.user, reason="不服")
    open_appeal = file_appeal(
        entry=record(scorer=scorer, resident=resident, item=infraction), resident_user=resident.user, reason="不对"
    )
    client.force_login(reviewer)

    queue = client.get(reverse("points:review_queue"))
    assert [case["appeal"].pk for case in queue.context["cases"]] == [review.appeal_id]
    case = client.get(reverse("points:review_case", args=[rejected.pk])).content.decode()
    assert "有证人" in case and "鸡跑出鸡舍" in case  # the head's reasons and the handbook item
    # Not an appeal the village can decide, not a ledger, not another township's case.
    assert client.get(reverse("points:review_case", args=[open_appeal.pk])).status_code == 404
    assert client.get(reverse("points:resident_ledger", args=[resident.pk])).status_code == 404


def test_the_reviewer_gets_404_for_a_case_of_a_village_outside_their_township(
    client, reviewer, other_village, outsider_head
):
    from tests.factories import EditionFactory, PageFactory, ResidentFactory, make_item
    from tests.factories import member as _member
    from villages.models import Membership

    page = PageFactory(edition=EditionFactory(village=other_village))
    item = make_item(page, code="1.1", kind="infraction", points=1)
    scorer_y = _member(other_village, Membership.Role.SCORER, "sy")
    user_y = _member(other_village, Membership.Role.RESIDENT, "ry")
    resident_y = ResidentFactory(village=other_village, user=user_y)
    appeal = file_appeal(
        entry=record(scorer=scorer_y, resident=resident_y, item=item), resident_user=user_y, reason="不对"
    )
    appeal = decide_appeal(appeal=appeal, head=outsider_head, upheld=False, reason="不同意")
    Township.objects.create(name="滕家镇")  # village Y has no reviewer of ours
    Review.objects.create(appeal=appeal, requested_by=user_y, reason="不服")
    client.force_login(reviewer)
    assert client.get(reverse("points:review_case", args=[appeal.pk])).status_code == 404


def test_overdue_reviews_are_flagged_and_the_reviewer_reminded(client, clock, rejected, resident, reviewer, settings):
    request_review(appeal=rejected, resident_user=resident.user, reason="不服")
    clock.shift(timedelta(days=settings.APPEAL_DEADLINE_DAYS + 1))

    assert reviews_overdue() == 1
    assert reviews_overdue() == 1  # safe to run twice
    assert Notification.objects.filter(user=reviewer, kind=Notification.Kind.REVIEW_OVERDUE).count() == 1
    client.force_login(reviewer)
    assert "past the deadline" in client.get(reverse("points:review_queue")).content.decode()


def test_the_resident_sees_the_trail_in_their_ledger(client, rejected, resident, reviewer):
    client.force_login(resident.user)
    ledger = client.get(reverse("points:ledger")).content.decode()
    assert reverse("points:review_request", args=[rejected.pk]) in ledger
    response = client.post(reverse("points:review_request", args=[rejected.pk]), {"reason": "证人是他亲戚"})
    assert response.status_code == 302
    decide_review(review=Review.objects.get(), reviewer=reviewer, upheld=True, reason="证人有利害关系")
    ledger = client.get(reverse("points:ledger")).content.decode()
    assert "The township upheld it" in ledger and "证人有利害关系" in ledger
    standing = client.get(reverse("points:standing")).content.decode()
    assert "The township upheld your appeal" in standing


def test_the_head_reads_the_townships_decision_once_on_their_home_page(client, rejected, resident, reviewer, head):
    review = request_review(appeal=rejected, resident_user=resident.user, reason="不服")
    decide_review(review=review, reviewer=reviewer, upheld=True, reason="证人有利害关系")
    client.force_login(head)

    home = client.get(reverse("office:home")).content.decode()
    assert "The township upheld the appeal of 李伟" in home and "证人有利害关系" in home
    assert "The township upheld" not in client.get(reverse("office:home")).content.decode()
