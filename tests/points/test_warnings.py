"""Warnings before deductions: an infraction item may need a warning for it first."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from handbook.models import Item
from points.ledger import ledger_entries
from points.models import Entry
from points.services import withdraw_entry
from points.standing import compute_standing
from tests.factories import make_item, record


@pytest.fixture
def littering(page) -> Item:
    """−2, but only after a warning for it in the 30 days before."""
    return make_item(page, code="2.1", title="乱扔垃圾", kind=Item.Kind.INFRACTION, points=2, warning_days=30)


@pytest.fixture
def warning(page, littering) -> Item:
    """The warning that comes before 2.1; it shows for 30 days."""
    return make_item(
        page, code="2.0", title="乱扔垃圾：提醒", kind=Item.Kind.WARNING, points=0, warning_days=30, warns_for="2.1"
    )


def test_it_refuses_a_deduction_that_needs_a_warning_without_one_and_says_why(
    clock, scorer, resident, littering, warning
):
    with pytest.raises(ValidationError) as refusal:
        record(scorer=scorer, resident=resident, item=littering)

    assert refusal.value.code == "warning_required"
    message = refusal.value.messages[0]
    assert "needs a warning first" in message and "2.0 乱扔垃圾：提醒" in message
    assert Entry.objects.count() == 0


def test_it_accepts_the_deduction_after_a_warning_for_the_same_item(clock, scorer, resident, littering, warning):
    given = record(scorer=scorer, resident=resident, item=warning)
    clock.shift(timedelta(days=10))

    deduction = record(scorer=scorer, resident=resident, item=littering)

    assert (given.points_halves, given.fine_yuan, deduction.points_halves) == (0, None, -4)
    assert compute_standing(resident=resident).balance == resident.village.starting_capital - 2


def test_it_refuses_again_once_the_warning_is_older_than_the_period(clock, scorer, resident, littering, warning):
    record(scorer=scorer, resident=resident, item=warning)
    clock.shift(timedelta(days=31))

    with pytest.raises(ValidationError) as refusal:
        record(scorer=scorer, resident=resident, item=littering)
    assert refusal.value.code == "warning_required"


def test_a_withdrawn_warning_does_not_count_as_given(clock, scorer, resident, littering, warning):
    given = record(scorer=scorer, resident=resident, item=warning)
    withdraw_entry(entry=given, scorer=scorer, reason="认错人了")

    with pytest.raises(ValidationError):
        record(scorer=scorer, resident=resident, item=littering)


def test_a_warning_for_another_resident_does_not_count(clock, scorer, resident, other_resident, littering, warning):
    record(scorer=scorer, resident=other_resident, item=warning)
    with pytest.raises(ValidationError):
        record(scorer=scorer, resident=resident, item=littering)


def test_a_warning_counts_nothing_shows_in_the_ledger_and_stops_showing_after_its_period(
    clock, scorer, resident, warning
):
    given = record(scorer=scorer, resident=resident, item=warning)

    assert compute_standing(resident=resident).balance == resident.village.starting_capital
    assert list(ledger_entries(resident)) == [given]
    assert given.expires_on == given.occurred_on + timedelta(days=30)

    clock.shift(timedelta(days=30))
    assert list(ledger_entries(resident)) == []
    assert compute_standing(resident=resident).balance == resident.village.starting_capital


def test_the_resident_reads_the_warning_in_their_ledger_and_notices(client, clock, scorer, resident, warning):
    from points.notices import entry_recorded

    given = record(scorer=scorer, resident=resident, item=warning)
    entry_recorded(given.pk)  # what the outbox task does after commit
    client.force_login(resident.user)

    standing = client.get("/me/").content.decode()
    ledger = client.get("/me/ledger/").content.decode()

    assert "gave you a warning: “乱扔垃圾：提醒”" in standing and "It counts no points." in standing
    assert "A warning counts no points" in ledger


def test_an_item_that_needs_no_warning_is_recorded_as_before(clock, scorer, resident, infraction):
    assert record(scorer=scorer, resident=resident, item=infraction).points_halves == -20


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"points": 1}, "points"),
        ({"fine_yuan": 50}, "fine_yuan"),
        ({"warning_days": None}, "warning_days"),
    ],
)
def test_the_handbook_refuses_a_warning_that_is_worth_something_or_has_no_period(page, fields, field):
    values = {"code": "9.9", "title": "提醒", "kind": Item.Kind.WARNING, "points": 0, "warning_days": 7, **fields}
    item = Item(edition=page.edition, page=page, **values)
    with pytest.raises(ValidationError) as refusal:
        item.clean()
    assert field in refusal.value.message_dict


def test_the_scorer_reads_why_the_deduction_was_refused_on_the_record_page(
    client, clock, scorer, resident, littering, warning
):
    client.force_login(scorer)
    form = {
        "resident": resident.pk,
        "item": littering.pk,
        "occurred_on": resident.village.today().isoformat(),
        "idempotency_key": "6f1c1f47-9d2f-4c55-8a55-0d7f9b1e2a01",
        "confirmed": "on",  # a deduction is confirmed with its points and fine
    }
    page = client.post("/record/", form).content.decode()
    assert "needs a warning first" in page and "2.0 乱扔垃圾：提醒" in page
    assert Entry.objects.count() == 0
