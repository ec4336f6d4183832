"""Monthly snapshots, written set-based, one transaction: every resident's standing (one INSERT …
SELECT per village) and the village's entries per handbook page and kind (a grouped query)."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Case, Count, Max, Sum, Value, When
from django.utils import timezone

from handbook.models import Item, Page
from points.models import Entry, MonthlyGradeTally, MonthlyPageTally, MonthlySnapshot
from points.standing import Snapshotted, grade_expression, village_standings
from villages.grades import bands_on
from villages.models import Resident, Village


def previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def settled_month(village: Village) -> date:
    """The latest month (its first day) that is over and past the village's backdating window:
    nothing can be recorded into it any more, so its snapshot is final."""
    return previous_month(village.today() - timedelta(days=village.backdate_days))


def snapshotted(tally: MonthlyGradeTally) -> Snapshotted | None:
    """What the month's snapshots hold, for grade_tallies to start from; None for a month
    snapshotted before its tally said so."""
    if tally.through_entry is None:
        return None
    last_day = (tally.month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return Snapshotted(tally.month, last_day, tally.starting_capital, tally.through_entry)


def take_settled_snapshots() -> int:
    """Snapshot each village's settled month; a no-op once done. Returns rows written."""
    villages_by_month: dict[date, list[Village]] = defaultdict(list)
    for village in Village.objects.all():
        villages_by_month[settled_month(village)].append(village)
    return sum(take_monthly_snapshots(month=month, villages=villages) for month, villages in villages_by_month.items())


def take_monthly_snapshots(*, month: date, villages: Iterable[Village] | None = None) -> int:
    """Record every consenting resident's balance and grade as of the last day of `month`
    (its first day), and each village's entries of the month per handbook page and kind
    (MonthlyPageTally), in every village or in `villages`. Safe to run twice: existing rows are
    left alone. Returns the residents' rows written."""
    last_day = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    written = 0
    # One transaction for the run: one commit (one fsync) rather than one per village, which was
    # most of the time of a county's run on PostgreSQL. Only snapshot rows are written.
    with transaction.atomic():
        for village in villages if villages is not None else Village.objects.all():
            written += _snapshot_village(village=village, month=month, last_day=last_day)
            _tally_village(village=village, month=month, last_day=last_day)
    return written


def page_tallies(*, village: Village, start: date, end: date, **group) -> list[dict]:
    """The village's entries that stand (originals, not reversed) whose deed happened from `start`
    to `end`, per handbook page number and kind of item, and per any `group` expression (e.g. the
    month): rows of `group`'s names, "item__page__number", "item__kind", "n" (entries), "halves"
    and "title". Pages are matched by number across editions. One query; the dashboard and the
    monthly tally both count this way.

    A reversal is the only entry that points at another, and it repeats the original's item and
    date with the opposite points (points.services.write_reversal; one per original, never itself
    reversed). So within a group, every row summed gives the points of the originals that stand,
    and originals less reversals their number: no per-entry lookup of a reversal (NOT EXISTS) and
    the entries read from the entry_village_day index alone. They are grouped by item first and
    joined to the handbook once per item, not once per entry."""
    names = list(group)
    inner, params = (
        Entry.objects.filter(village=village, occurred_on__range=(start, end))
        .annotate(**group)
        .values(*names, "item_id")
        .annotate(
            n=Sum(Case(When(reverses__isnull=True, then=Value(1)), default=Value(-1))),
            halves=Sum("points_halves"),
        )
        .order_by()
        .query.sql_with_params()
    )
    keys = [*(f"t.{name}" for name in names), "p.number", "i.kind"]
    sql = (
        f"SELECT {', '.join(keys)}, SUM(t.n), SUM(t.halves), MAX(p.title) FROM ({inner}) t "
        f"JOIN {Item._meta.db_table} i ON i.id = t.item_id JOIN {Page._meta.db_table} p ON p.id = i.page_id "
        f"GROUP BY {', '.join(keys)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    columns = [*names, "item__page__number", "item__kind"]
    return [
        # int(): PostgreSQL's SUM of a SUM is numeric.
        {**dict(zip(columns, row, strict=False)), "n": int(n), "halves": int(halves), "title": title}
        for *row, n, halves, title in found
        if n
    ]


def _tally_village(*, village: Village, month: date, last_day: date) -> None:
    """The month's page_tallies, kept (a few dozen rows) for the dashboard's settled months."""
    now = timezone.now()
    MonthlyPageTally.objects.bulk_create(
        [
            MonthlyPageTally(
                village=village,
                month=month,
                page_number=row["item__page__number"],
                page_title=row["title"],
                kind=row["item__kind"],
                entries=row["n"],
                points_halves=row["halves"],
                taken_at=now,
            )
            for row in page_tallies(village=village, start=month, end=last_day)
        ],
        ignore_conflicts=True,
    )


def _snapshot_village(*, village: Village, month: date, last_day: date) -> int:
    """One INSERT … SELECT whose SELECT is points.standing.village_standings compiled to SQL,
    with the grade as a CASE over the bands in force on the last day: the snapshot cannot
    disagree with the standing page. Then the month's MonthlyGradeTally, from its rows.

    The first run of a month notes the village's starting capital and last entry, and counts the
    entries up to it (a later run, for a resident who has consented since, counts up to the same
    one; if the capital has changed since, the tally stops saying what its rows hold): every
    writer of a village's entries holds its row lock until it commits (points.chain.lock_head),
    so the entries up to the last one committed are all there, and the dashboard knows which
    entries the snapshots hold (points.standing.grade_tallies)."""
    bands = bands_on(village=village, on=last_day)
    tally = MonthlyGradeTally.objects.filter(village=village, month=month).first()
    now = timezone.now()
    if tally is None:
        through_entry = Entry.objects.filter(village=village).aggregate(last=Max("id"))["last"] or 0
    else:
        through_entry = tally.through_entry
    consenting = Resident.objects.filter(
        village=village, consent_given_on__isnull=False, consent_given_on__lte=last_day
    )
    standings = village_standings(
        village=village, on=last_day, residents=consenting, through_entry=through_entry
    ).annotate(grade=grade_expression(bands))
    select, params = standings.query.sql_with_params()
    snapshot = MonthlySnapshot._meta.db_table
    sql = f"""
        INSERT INTO {snapshot} (village_id, resident_id, month, balance_halves, grade, taken_at)
        SELECT %s, t.id, %s, t.balance_halves, t.grade, %s
        FROM ({select}) t
        WHERE true  -- SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT
        ON CONFLICT (resident_id, month) DO NOTHING
    """
    with connection.cursor() as cursor:
        # taken_at as the ORM writes it (SQLite keeps text): the dashboard matches it to the tally's.
        taken_at = MonthlySnapshot._meta.get_field("taken_at").get_db_prep_value(now, connection)
        cursor.execute(sql, [village.pk, month, taken_at, *params])
        written = max(cursor.rowcount, 0)
    if written:
        grades = {
            row["grade"]: [row["n"], row["halves"]]
            for row in MonthlySnapshot.objects.filter(village=village, month=month)
            .values("grade")
            .annotate(n=Count("pk"), halves=Sum("balance_halves"))
            .order_by()
        }
        if tally is None:
            MonthlyGradeTally.objects.create(
                village=village,
                month=month,
                grades=grades,
                starting_capital=village.starting_capital,
                through_entry=through_entry,
                taken_at=now,
            )
        else:
            tally.grades = grades
            if tally.starting_capital != village.starting_capital:
                # The new rows start from another capital than the first run's: the month can no
                # longer be the open months' base (Snapshotted), its grades still stand.
                tally.through_entry = None
            tally.save(update_fields=["grades", "through_entry"])
    return written
