"""points.standing.compute_standing: balance, grade, distance to the next grade, and when a
deduction stops counting, all in the village's own time zone."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from handbook.models import Item
from points.services import record_entry, reverse_entry
from points.standing import compute_standing
from tests.factories import make_item, record
from villages.models import Village

UTC = ZoneInfo("UTC")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_it_starts_a_resident_at_the_starting_capital_and_grade_a(clock, resident):
    standing = compute_standing(resident=resident)

    assert (standing.balance, standing.grade, standing.on) == (1000, "A", resident.village.today())
    assert standing.next_expiry is None


def test_it_drops_from_a_to_b_with_half_a_point_lost(clock, resident, scorer, page):
    half = make_item(page, code="1.9", kind=Item.Kind.INFRACTION, points=Decimal("0.5"))

    record(scorer=scorer, resident=resident, item=half)

    standing = compute_standing(resident=resident)
    assert (standing.balance, standing.grade) == (Decimal("999.5"), "B")


def test_it_uses_the_village_starting_capital(clock, resident, scorer, deed):
    Village.objects.filter(pk=resident.village_id).update(starting_capital=960)
    resident.village.refresh_from_db()
    record(scorer=scorer, resident=resident, item=deed)

    standing = compute_standing(resident=resident)

    assert (standing.balance, standing.grade) == (961, "B")


def test_it_ignores_other_residents_entries(clock, resident, other_resident, scorer, infraction):
    record(scorer=scorer, resident=other_resident, item=infraction)

    assert compute_standing(resident=resident).balance == 1000
    assert compute_standing(resident=other_resident).balance == 990


def test_it_lists_only_entries_that_count(clock, resident, scorer, head, deed, infraction):
    kept = record(scorer=scorer, resident=resident, item=deed)
    withdrawn = record(scorer=scorer, resident=resident, item=infraction)
    reverse_entry(entry=withdrawn, author=head, reason="认错了人")

    assert list(compute_standing(resident=resident).entries) == [kept]


# --- Deductions stop counting at local midnight -----------------------------------------


@pytest.fixture
def deduction_of_31_march_2025(resident, scorer, infraction):
    """−10, validity 12 months, recorded at noon on 31 March 2025 in Shanghai."""
    with time_machine.travel(datetime(2025, 3, 31, 12, 0, tzinfo=SHANGHAI), tick=False):
        return record(scorer=scorer, resident=resident, item=infraction)


def test_it_dates_a_deduction_to_stop_counting_after_its_validity(deduction_of_31_march_2025):
    assert deduction_of_31_march_2025.expires_on == date(2026, 3, 31)


@pytest.mark.parametrize(
    ("utc_instant", "balance"),
    [
        # 15:59:59 UTC on 30 March is 23:59:59 on 30 March in Shanghai: the deduction still counts.
        (datetime(2026, 3, 30, 15, 59, 59, tzinfo=UTC), 990),
        # One second later it is midnight of 31 March in Shanghai: it has stopped counting,
        # though in UTC it is still 30 March.
        (datetime(2026, 3, 30, 16, 0, 0, tzinfo=UTC), 1000),
        (datetime(2026, 3, 30, 16, 0, 1, tzinfo=UTC), 1000),
    ],
)
def test_it_stops_counting_a_deduction_at_shanghai_midnight_on_its_expiry_day(
    deduction_of_31_march_2025, resident, utc_instant, balance
):
    with time_machine.travel(utc_instant, tick=False):
        standing = compute_standing(resident=resident)

    assert standing.balance == balance


def test_it_shows_the_next_deduction_to_stop_counting(deduction_of_31_march_2025, resident):
    with time_machine.travel(datetime(2026, 3, 30, 15, 59, tzinfo=UTC), tick=False):
        assert compute_standing(resident=resident).next_expiry == deduction_of_31_march_2025
    with time_machine.travel(datetime(2026, 3, 30, 16, 1, tzinfo=UTC), tick=False):
        assert compute_standing(resident=resident).next_expiry is None


def test_it_keeps_a_deduction_without_validity_for_ever(clock, resident, scorer, page):
    lasting = make_item(page, code="1.8", kind=Item.Kind.INFRACTION, points=3)
    record(scorer=scorer, resident=resident, item=lasting)

    assert compute_standing(resident=resident, on=date(2035, 1, 1)).balance == 997


# --- The village's day, and so its cap months, turn at local midnight ---------------------


@pytest.mark.parametrize(
    ("utc_instant", "today"),
    [
        (datetime(2025, 1, 31, 15, 59, tzinfo=UTC), date(2025, 1, 31)),  # 23:59 in Shanghai
        (datetime(2025, 1, 31, 16, 1, tzinfo=UTC), date(2025, 2, 1)),  # 00:01 in Shanghai, 31 Jan in UTC
        (datetime(2025, 1, 31, 23, 59, tzinfo=UTC), date(2025, 2, 1)),
    ],
)
def test_it_turns_the_village_day_at_shanghai_midnight(village, utc_instant, today):
    with time_machine.travel(utc_instant, tick=False):
        assert village.today() == today


def test_it_uses_the_village_time_zone_rather_than_the_servers(village):
    village.timezone = "Europe/London"
    with time_machine.travel(datetime(2025, 1, 31, 16, 1, tzinfo=UTC), tick=False):
        assert village.today() == date(2025, 1, 31)


def test_it_starts_a_new_cap_month_at_shanghai_midnight(resident, scorer, capped_deed):
    def record_today():
        return record_entry(
            scorer=scorer,
            resident=resident,
            item=capped_deed,
            occurred_on=resident.village.today(),
            idempotency_key=uuid.uuid4(),
        )

    with time_machine.travel(datetime(2025, 1, 31, 23, 59, tzinfo=SHANGHAI), tick=False):
        record_today()
        record_today()
        with pytest.raises(ValidationError) as caught:
            record_today()
        assert caught.value.code == "cap_reached"

    with time_machine.travel(datetime(2025, 2, 1, 0, 1, tzinfo=SHANGHAI), tick=False):  # 16:01 UTC, 31 Jan
        entry = record_today()

    assert entry.occurred_on == date(2025, 2, 1)


# --- Distance to the next grade -----------------------------------------------------------


def standing_at(resident, scorer, page, balance: Decimal):
    """The resident's standing after one entry that brings them to `balance`."""
    delta = balance - resident.village.starting_capital
    if delta:
        kind = Item.Kind.DEED if delta > 0 else Item.Kind.INFRACTION
        record(scorer=scorer, resident=resident, item=make_item(page, code="9.9", kind=kind, points=abs(delta)))
    return compute_standing(resident=resident)


@pytest.mark.parametrize(
    ("balance", "grade", "up", "down"),
    [
        (Decimal("1000"), "A", ("A+", Decimal("30")), ("B", Decimal("0.5"))),
        (Decimal("1029.5"), "A", ("A+", Decimal("0.5")), ("B", Decimal("30"))),
        (Decimal("1030"), "A+", None, ("A", Decimal("0.5"))),
        (Decimal("1100"), "A+", None, ("A", Decimal("70.5"))),
        (Decimal("999.5"), "B", ("A", Decimal("0.5")), ("C", Decimal("40"))),
        (Decimal("960"), "B", ("A", Decimal("40")), ("C", Decimal("0.5"))),
        (Decimal("850"), "C", ("B", Decimal("110")), ("D", Decimal("0.5"))),
        (Decimal("849.5"), "D", ("C", Decimal("0.5")), None),
    ],
)
def test_it_says_how_far_the_next_grade_up_and_down_are(clock, resident, scorer, page, balance, grade, up, down):
    standing = standing_at(resident, scorer, page, balance)

    assert (standing.balance, standing.grade) == (balance, grade)
    assert standing.to_next_grade_up == up
    assert standing.to_next_grade_down == down
