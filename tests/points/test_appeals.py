"""points.services.file_appeal and decide_appeal: a resident disputes, the head decides."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from points.models import Appeal, Entry
from points.services import decide_appeal, file_appeal, reverse_entry
from points.standing import compute_standing
from tests.factories import record


@pytest.fixture
def deduction(clock, resident, scorer, infraction) -> Entry:
    return record(scorer=scorer, resident=resident, item=infraction)


@pytest.fixture
def appeal(deduction, resident) -> Appeal:
    return file_appeal(entry=deduction, resident_user=resident.user, reason="鸡是邻居家的")


def refused(attempt) -> ValidationError:
    appeals, entries = Appeal.objects.count(), Entry.objects.count()
    with pytest.raises(ValidationError) as caught:
        attempt()
    assert (Appeal.objects.count(), Entry.objects.count()) == (appeals, entries)
    return caught.value


# --- Filing -------------------------------------------------------------------------------


def test_it_files_an_open_appeal_for_the_residents_own_entry(deduction, resident):
    appeal = file_appeal(entry=deduction, resident_user=resident.user, reason="  鸡是邻居家的  ")

    appeal.refresh_from_db()
    assert (appeal.status, appeal.filed_by, appeal.reason) == (Appeal.Status.OPEN, resident.user, "鸡是邻居家的")
    assert compute_standing(resident=resident).balance == 990  # filing alone changes nothing


def test_it_refuses_an_appeal_against_someone_elses_entry(deduction, other_resident):
    error = refused(lambda: file_appeal(entry=deduction, resident_user=other_resident.user, reason="不公平"))

    assert error.code == "not_allowed"


def test_it_refuses_an_appeal_filed_by_the_scorer(deduction, scorer):
    assert refused(lambda: file_appeal(entry=deduction, resident_user=scorer, reason="记错了")).code == "not_allowed"


def test_it_requires_a_reason_for_an_appeal(deduction, resident):
    assert refused(lambda: file_appeal(entry=deduction, resident_user=resident.user, reason=" ")).code == (
        "reason_required"
    )


def test_it_allows_one_open_appeal_per_entry(appeal, deduction, resident):
    error = refused(lambda: file_appeal(entry=deduction, resident_user=resident.user, reason="再申诉一次"))

    assert error.code == "appeal_open"


def test_it_accepts_an_appeal_on_the_last_day_of_the_window(clock, deduction, resident):
    clock.shift(timedelta(days=settings.APPEAL_WINDOW_DAYS))

    assert file_appeal(entry=deduction, resident_user=resident.user, reason="鸡是邻居家的").pk


def test_it_refuses_an_appeal_after_the_window(clock, deduction, resident):
    clock.shift(timedelta(days=settings.APPEAL_WINDOW_DAYS, seconds=1))

    error = refused(lambda: file_appeal(entry=deduction, resident_user=resident.user, reason="鸡是邻居家的"))

    assert error.code == "too_late"


def test_it_follows_the_configured_appeal_window(clock, deduction, resident, settings):
    settings.APPEAL_WINDOW_DAYS = 3
    clock.shift(timedelta(days=4))

    error = refused(lambda: file_appeal(entry=deduction, resident_user=resident.user, reason="鸡是邻居家的"))

    assert error.code == "too_late"


def test_it_refuses_an_appeal_against_a_reversed_entry(deduction, resident, head):
    reverse_entry(entry=deduction, author=head, reason="登记错了")

    error = refused(lambda: file_appeal(entry=deduction, resident_user=resident.user, reason="鸡是邻居家的"))

    assert error.code == "already_reversed"


# --- Deciding -----------------------------------------------------------------------------


def test_it_reverses_the_entry_when_the_head_upholds(clock, appeal, deduction, resident, head):
    decided = decide_appeal(appeal=appeal, head=head, upheld=True, reason="  核实后鸡确是邻居家的  ")

    decided.refresh_from_db()
    assert (decided.status, decided.decided_by, decided.decision_reason) == (
        Appeal.Status.UPHELD,
        head,
        "核实后鸡确是邻居家的",
    )
    assert decided.decided_at is not None
    reversal = Entry.objects.get(reverses=deduction)
    assert (reversal.recorded_by, reversal.reason, reversal.points_halves) == (head, "核实后鸡确是邻居家的", 20)
    assert compute_standing(resident=resident).balance == 1000


def test_it_leaves_the_balance_when_the_head_rejects(appeal, deduction, resident, head):
    decided = decide_appeal(appeal=appeal, head=head, upheld=False, reason="有村民作证")

    decided.refresh_from_db()
    assert (decided.status, decided.decision_reason) == (Appeal.Status.REJECTED, "有村民作证")
    assert not Entry.objects.filter(reverses=deduction).exists()
    assert compute_standing(resident=resident).balance == 990


@pytest.mark.parametrize("upheld", [True, False])
def test_it_refuses_to_decide_an_appeal_twice(appeal, resident, head, upheld):
    decide_appeal(appeal=appeal, head=head, upheld=upheld, reason="已核实")
    balance = compute_standing(resident=resident).balance

    for again in (True, False):
        error = refused(lambda again=again: decide_appeal(appeal=appeal, head=head, upheld=again, reason="改判"))
        assert error.code == "already_decided"
    assert compute_standing(resident=resident).balance == balance
    appeal.refresh_from_db()
    assert appeal.decision_reason == "已核实"


def test_it_requires_a_reason_for_a_decision(appeal, head):
    assert refused(lambda: decide_appeal(appeal=appeal, head=head, upheld=True, reason="")).code == "reason_required"
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.OPEN


@pytest.mark.parametrize("decider", ["admin", "scorer", "resident_user", "outsider_head"])
def test_it_lets_only_the_village_head_decide(request, appeal, resident, head, decider):
    user = resident.user if decider == "resident_user" else request.getfixturevalue(decider)

    error = refused(lambda: decide_appeal(appeal=appeal, head=user, upheld=True, reason="同意"))

    assert error.code == "not_allowed"
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.OPEN
    assert compute_standing(resident=resident).balance == 990
