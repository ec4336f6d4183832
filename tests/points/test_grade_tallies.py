"""The dashboard's grades of the months still open, counted from the last settled month's snapshots
and what changed since (points.standing.grade_tallies with `since`), are the grades counted from
the whole ledger: across an expiry, a reversal before and after the snapshots, an entry backdated
before them, a paper ledger transcribed into the snapshotted month after them, a resident without
a snapshot, a new resident, a changed starting capital and a second run of the job."""

from datetime import date, datetime, time

from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from points.models import MonthlyGradeTally, MonthlySnapshot
from points.services import PaperEntry, record_paper_entries, reverse_entry
from points.snapshots import snapshotted, take_monthly_snapshots, take_settled_snapshots
from points.standing import grade_tallies
from tests.factories import ResidentFactory, record
from villages.grades import scale_history, scale_on
from villages.models import Resident
from villages.services import set_starting_capital

APRIL = date(2025, 4, 1)


def _move_to(clock, village, day: date) -> None:
    clock.move_to(datetime.combine(day, time(12), tzinfo=village.tzinfo))


def _both_ways(village, days: list[date]) -> tuple[list, list]:
    """The living residents' grade tallies on `days`, from the whole ledger and from April's snapshots."""
    scales = scale_history(village_id=village.pk)
    bands = [scale_on(scales, day) for day in days]
    since = snapshotted(MonthlyGradeTally.objects.get(village=village, month=APRIL))
    assert since is not None and since.on == date(2025, 4, 30)
    from_ledger = grade_tallies(village=village, days=days, bands=bands, living=True)
    with CaptureQueriesContext(connection) as queries:
        from_snapshots = grade_tallies(village=village, days=days, bands=bands, living=True, since=since)
    assert len(queries) == 1 and "points_monthlysnapshot" in queries[0]["sql"]
    return from_ledger, from_snapshots


def test_the_open_months_from_the_snapshots_are_the_open_months_from_the_ledger(
    clock, village, admin, head, scorer, resident, other_resident, deed, infraction
):
    # Counting on April 30; stops counting on May 10 and June 10 (between the days asked).
    _move_to(clock, village, date(2024, 5, 10))
    record(scorer=scorer, resident=resident, item=infraction)
    _move_to(clock, village, date(2024, 6, 10))
    record(scorer=scorer, resident=other_resident, item=infraction)
    _move_to(clock, village, date(2025, 4, 12))
    reversed_before = record(scorer=scorer, resident=resident, item=infraction)
    reversed_after = record(scorer=scorer, resident=other_resident, item=infraction)
    record(scorer=scorer, resident=resident, item=deed)
    _move_to(clock, village, date(2025, 5, 5))
    reverse_entry(entry=reversed_before, author=head, reason="认错了人")  # before the snapshots: counts from May 5
    _move_to(clock, village, date(2025, 5, 20))
    record(scorer=scorer, resident=other_resident, item=deed, occurred_on=date(2025, 4, 25))  # backdated into April
    late = ResidentFactory(village=village, consent_given_on=date(2025, 5, 15))  # no snapshot for April
    record(scorer=scorer, resident=late, item=deed)

    _move_to(clock, village, date(2025, 5, 31))  # April is settled: its snapshots are taken
    assert take_settled_snapshots() == 2

    _move_to(clock, village, date(2025, 6, 16))
    reverse_entry(entry=reversed_after, author=head, reason="认错了人")
    paper = [  # after the snapshots, into April; `late` has no snapshot row
        PaperEntry(resident, deed, date(2025, 4, 2), scorer, timezone.now()),
        PaperEntry(late, deed, date(2025, 4, 3), scorer, timezone.now()),
    ]
    record_paper_entries(village=village, transcribed_by=admin, entries=paper)
    newcomer = ResidentFactory(village=village)
    record(scorer=scorer, resident=newcomer, item=infraction)
    record(scorer=scorer, resident=resident, item=deed)

    days = [date(2025, 5, 31), date(2025, 6, 16)]
    from_ledger, from_snapshots = _both_ways(village, days)
    assert from_snapshots == from_ledger
    assert [tally.count for tally in from_ledger] == [4, 4]

    set_starting_capital(village=village, admin=admin, amount=1100)  # every balance moves by 100
    village.refresh_from_db()
    from_ledger, from_snapshots = _both_ways(village, days)
    assert from_snapshots == from_ledger
    assert from_ledger[-1].total_halves == sum(
        2 * 1100
        + sum(entry.points_halves for entry in who.entries.all() if entry.counts_from <= days[-1])
        - sum(entry.points_halves for entry in who.entries.all() if entry.expires_on and entry.expires_on <= days[-1])
        for who in Resident.objects.filter(village=village)
    )


def test_a_second_run_of_the_job_keeps_what_the_first_one_counted(
    clock, village, admin, scorer, resident, deed, infraction
):
    _move_to(clock, village, date(2025, 4, 10))
    record(scorer=scorer, resident=resident, item=infraction)
    _move_to(clock, village, date(2025, 5, 31))
    take_monthly_snapshots(month=APRIL)
    record(scorer=scorer, resident=resident, item=deed)
    joined = ResidentFactory(village=village, consent_given_on=date(2025, 4, 20))  # consent noted late
    paper = [PaperEntry(joined, deed, date(2025, 4, 21), scorer, timezone.now())]
    record_paper_entries(village=village, transcribed_by=admin, entries=paper)
    assert take_monthly_snapshots(month=APRIL) == 1  # the late resident's row, counted up to the same entry
    tally = MonthlyGradeTally.objects.get(village=village, month=APRIL)
    rows = MonthlySnapshot.objects.filter(village=village, month=APRIL)
    assert sum(n for n, _ in tally.grades.values()) == rows.count() == 2
    assert sum(halves for _, halves in tally.grades.values()) == sum(row.balance_halves for row in rows)

    _move_to(clock, village, date(2025, 6, 16))
    from_ledger, from_snapshots = _both_ways(village, [date(2025, 5, 31), date(2025, 6, 16)])
    assert from_snapshots == from_ledger

    # The balances do start from the first run's rows: one changed by hand shows on both days.
    MonthlySnapshot.objects.filter(resident=resident).update(balance_halves=models.F("balance_halves") + 2)
    from_ledger, from_snapshots = _both_ways(village, [date(2025, 5, 31), date(2025, 6, 16)])
    assert [t.total_halves for t in from_snapshots] == [t.total_halves + 2 for t in from_ledger]


def test_a_run_after_the_capital_changed_leaves_the_month_no_base(clock, village, admin, scorer, resident, deed):
    _move_to(clock, village, date(2025, 5, 31))
    take_monthly_snapshots(month=APRIL)
    set_starting_capital(village=village, admin=admin, amount=1100)
    ResidentFactory(village=village, consent_given_on=date(2025, 4, 20))  # consent noted late
    assert take_monthly_snapshots(month=APRIL) == 1  # its row starts from 1,100, the first from 1,000
    tally = MonthlyGradeTally.objects.get(village=village, month=APRIL)
    assert snapshotted(tally) is None
    assert tally.grades == {"A": [1, 2000], "A+": [1, 2200]}


def test_a_month_snapshotted_before_its_tally_said_what_it_holds_is_no_base(clock, village, resident):
    _move_to(clock, village, date(2025, 5, 31))
    take_monthly_snapshots(month=APRIL)
    tally = MonthlyGradeTally.objects.get(village=village, month=APRIL)
    tally.through_entry = None  # as the migration tallies the months snapshotted before it
    tally.save()
    assert snapshotted(tally) is None
    assert tally.grades == {"A": [1, 2000]}


def test_the_migration_tallies_the_months_snapshotted_before_it(clock, village, scorer, resident, other_resident, deed):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("points.migrations.0020_monthly_grade_tally")
    _move_to(clock, village, date(2025, 4, 10))
    record(scorer=scorer, resident=resident, item=deed)
    _move_to(clock, village, date(2025, 5, 31))
    take_monthly_snapshots(month=APRIL)
    MonthlyGradeTally.objects.all().delete()  # as before the migration
    migration.tally_the_snapshots_taken(apps, None)
    tally = MonthlyGradeTally.objects.get(village=village, month=APRIL)
    assert tally.grades == {"A": [2, 2000 + 2002]}
    assert snapshotted(tally) is None  # what the rows hold is unknown: the open months count the ledger
