"""Where a resident stands on a day: balance, grade, what counts and what expires next.

The one home of the standing rule. Every page and job that needs a balance uses these names:

- `counting(on)`: whether an entry counts on a day (a Q, for a filter or a filtered SUM);
- `counted_halves(on)`: the SUM of the points (in integer halves) of the entries that count;
- `counted_halves_by_day(resident, days)`: the same SUM on each of several days, one query;
- `village_standings(village, on)`: every resident's balance on a day, in one grouped query;
- `balance_halves(capital=…, counted=…)`: starting capital plus counted halves (`in_points`).

The standing page, the chart, the head's dashboard, the monthly snapshots (compiled to SQL from
`village_standings`) and certificates all call them; tests/points/test_one_standing_rule.py
checks that they agree.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property, lru_cache

from django.db import connection
from django.db.models import Case, Expression, F, FilteredRelation, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual

from points.models import Entry, EntryQuerySet
from villages.grades import Band, Scales, bands_on, grade_for, scale_on
from villages.models import Resident, Village


def counting(on: date, *, via: str = "", started: bool = False) -> Q:
    """An entry counts on `on` (a village-local date) from its `counts_from` day until the day
    before `expires_on` (a deduction's credit repair). Reversals are entries of their own, with
    the opposite points, counting from the day they were recorded and expiring with the original,
    so a reversed entry drops out of a plain SUM without a join. `via` is the path from the model
    queried to the entry, e.g. "entries__" from Resident. `started`: the query keeps only entries
    with `counts_from` ≤ `on` already (a join on it), so only the expiry is left to check."""
    not_expired = Q(**{f"{via}expires_on__isnull": True}) | Q(**{f"{via}expires_on__gt": on})
    return not_expired if started else Q(**{f"{via}counts_from__lte": on}) & not_expired


def counted_halves(on: date, *, via: str = "", started: bool = False) -> Sum:
    """The points, in integer halves, of the entries that count on `on` (0 without any)."""
    return Sum(f"{via}points_halves", filter=counting(on, via=via, started=started), default=0)


def counted_halves_by_day(resident: Resident | int, days: list[date]) -> list[int]:
    """`counted_halves(on)` of the resident's entries on each of `days` (ascending), in one query.

    The same rule as `counting`, read as an interval: an entry counts on every day from its
    `counts_from` up to the day before `expires_on`. An entry is added to the days from the first
    of `days` on which it counts (`counts_from` ≤ day) to the last before the first on which it
    no longer does (`expires_on` ≤ day), here. Most entries never stop counting within the days
    (no expiry, or a later one): they are summed per span of `counts_from` between two days, one
    range of the entry_resident_balance index each, without a comparison a row; only the few that
    stop in between (a deduction's credit repair) are grouped by both days, in CASEs. A plain
    filtered SUM per day would compare each entry's dates three times a day (issue 18: the
    standing page's chart, 2,000 entries: CASEs for every row took 1.1 ms, these spans a third).
    That is SQLite's statement; PostgreSQL plans each of its branches at every run (4.2 ms against
    1.3), so there every entry is grouped by both days, in one scan.
    tests/points/test_ledger_properties.py checks it against compute_standing on every day an
    entry starts, stops or is reversed, and the day before; tests/points/test_chart.py against
    the ledger's lines."""
    if len(days) > _MAX_DAYS_A_STATEMENT:  # each day is a branch of the statement
        cut = _MAX_DAYS_A_STATEMENT
        return counted_halves_by_day(resident, days[:cut]) + counted_halves_by_day(resident, days[cut:])
    if not days:
        return []
    values = {f"d{i}": connection.ops.adapt_datefield_value(day) for i, day in enumerate(days)}
    values["resident"] = resident if isinstance(resident, int) else resident.pk
    with connection.cursor() as cursor:
        # Named parameters: each day is written once, and Django's SQLite backend converts the
        # statement with `%` rather than the regular expression it runs over a positional one
        # (0.1 ms for these 3 KB).
        cursor.execute(_by_day_sql(len(days), connection.vendor), values)
        rows = cursor.fetchall()
    totals = [0] * len(days)
    for start, stop, halves in rows:
        for i in range(start, stop):
            totals[i] += halves or 0  # a span without entries sums to NULL
    return totals


_MAX_DAYS_A_STATEMENT = 100


@lru_cache
def _by_day_sql(n: int, vendor: str) -> str:
    """counted_halves_by_day's statement for `n` days on this kind of database. Rows of (first day
    it counts, first day it no longer does, SUM of halves), as indexes into the days; `n`: never
    stops within them."""
    table = connection.ops.quote_name(Entry._meta.db_table)
    last = f"%(d{n - 1})s"

    def first_day(column: str) -> str:
        whens = " ".join(f"WHEN {column} <= %(d{i})s THEN {i}" for i in range(n))
        return f"CASE {whens} ELSE {n} END"

    if vendor != "sqlite":
        return (
            f"SELECT {first_day('counts_from')}, {first_day('expires_on')}, SUM(points_halves) FROM {table} "
            f"WHERE resident_id = %(resident)s AND counts_from <= {last} GROUP BY 1, 2"
        )
    stays = f"(expires_on IS NULL OR expires_on > {last})"
    spans = [
        f"SELECT 0, {n}, SUM(points_halves) FROM {table} "
        f"WHERE resident_id = %(resident)s AND counts_from <= %(d0)s AND {stays}"
    ]
    spans += [
        f"SELECT {i}, {n}, SUM(points_halves) FROM {table} "
        f"WHERE resident_id = %(resident)s AND counts_from > %(d{i - 1})s AND counts_from <= %(d{i})s AND {stays}"
        for i in range(1, n)
    ]

    # Entries that stop counting after the first day (those stopping before it never count on
    # any of the days) and on or before the last.
    stopping = (
        f"SELECT {first_day('counts_from')}, {first_day('expires_on')}, SUM(points_halves) FROM {table} "
        f"WHERE resident_id = %(resident)s AND counts_from <= {last} AND expires_on > %(d0)s AND expires_on <= {last} "
        "GROUP BY 1, 2"
    )
    return " UNION ALL ".join([*spans, stopping])


def balance_halves(*, capital: int, counted: int | None) -> int:
    """The balance in halves: the village's starting capital plus the counted points (halves).
    village_standings writes the same sum in SQL."""
    return capital * 2 + (counted or 0)


def in_points(halves: int) -> Decimal:
    """Integer halves as points (1,001.5)."""
    return Decimal(halves) / 2


def grade_expression(bands: list[Band], *, halves: str | Expression = "balance_halves") -> Case | Value:
    """villages.grades.grade_for in SQL, on a balance in halves (a field or annotation name, or an
    expression)."""
    balance = F(halves) if isinstance(halves, str) else halves
    whens = [
        When(GreaterThanOrEqual(balance, band.min_points * 2), then=Value(band.grade))
        for band in bands
        if band.min_points is not None
    ]
    lowest = Value(bands[-1].grade if bands else "")
    return Case(*whens, default=lowest) if whens else lowest


def village_standings(*, village: Village, on: date, residents: QuerySet | None = None) -> QuerySet:
    """Every resident's balance on `on`, set-based: rows of `{"id", "balance_halves"}`, where
    balance_halves is the starting capital plus the counted points, in integer halves (a resident
    without entries has the capital). One query: residents LEFT JOIN their counting entries,
    grouped by resident, over the entry_resident_balance index. `residents` narrows the rows
    (a queryset of the village's residents); add `grade_expression` for grades in SQL."""
    rows = residents if residents is not None else Resident.objects.filter(village=village)
    return (
        # The rule in the join's ON clause (FilteredRelation), so a resident without counting
        # entries still has a row.
        rows.annotate(counting_entries=FilteredRelation("entries", condition=counting(on, via="entries__")))
        .order_by()
        .values("id")
        .annotate(
            balance_halves=Value(
                balance_halves(capital=village.starting_capital, counted=0), output_field=IntegerField()
            )
            + Coalesce(Sum("counting_entries__points_halves"), 0)
        )
    )


@dataclass(frozen=True)
class Standing:
    resident: Resident
    on: date
    balance: Decimal
    grade: str
    bands: list[Band]

    @cached_property
    def next_expiry(self) -> Entry | None:
        """The counting deduction that stops counting first (a warning is no deduction), or None. One
        query, when asked."""
        return (
            Entry.objects.filter(resident=self.resident, expires_on__isnull=False, points_halves__lt=0)
            .originals()
            .not_reversed(on=self.on)
            .counting(on=self.on)
            .select_related("item")
            .order_by("expires_on")
            .first()
        )

    @property
    def entries(self) -> EntryQuerySet:
        """The resident's entries that count on the day (reversed ones and reversals left out)."""
        return Entry.objects.filter(resident=self.resident).originals().not_reversed(on=self.on).counting(on=self.on)

    @property
    def to_next_grade_up(self) -> tuple[str, Decimal] | None:
        """The next higher grade and the points still needed for it, or None at the top."""
        higher = [b for b in self.bands if b.min_points is not None and b.min_points > self.balance]
        if not higher:
            return None
        band = higher[-1]
        return band.grade, band.min_points - self.balance

    @property
    def to_next_grade_down(self) -> tuple[str, Decimal] | None:
        """The next lower grade and how many points may be lost before dropping to it."""
        current = next((b for b in self.bands if b.min_points is None or self.balance >= b.min_points), None)
        if current is None or current.min_points is None:
            return None
        lower = self.bands[self.bands.index(current) + 1]
        return lower.grade, self.balance - current.min_points + Decimal("0.5")


def compute_standing(*, resident: Resident, on: date | None = None, scales: Scales | None = None) -> Standing:
    """Two queries: the bands (none if the caller passes the village's `scales`, from
    villages.grades.scale_history) and the balance (village_standings for one resident)."""
    village = resident.village
    on = on or village.today()
    bands = scale_on(scales, on) if scales is not None else bands_on(village=village, on=on)
    row = village_standings(village=village, on=on, residents=Resident.objects.filter(pk=resident.pk)).get()
    current = in_points(row["balance_halves"])
    return Standing(resident=resident, on=on, balance=current, grade=grade_for(current, bands), bands=bands)


def village_grades(*, village: Village, residents: list[Resident]) -> dict[int, tuple[Decimal, str]]:
    """Each resident's balance and grade today (resident pk → (balance, grade)). Two queries,
    whatever the number of residents: the bands and village_standings."""
    today = village.today()
    bands = bands_on(village=village, on=today)
    wanted = {resident.pk for resident in residents}
    grades = {}
    for row in village_standings(village=village, on=today):
        if row["id"] in wanted:
            current = in_points(row["balance_halves"])
            grades[row["id"]] = (current, grade_for(current, bands))
    return grades


@dataclass(frozen=True)
class GradeTally:
    """How many residents hold each grade on a day, and their balances summed (halves)."""

    residents: dict[str, int]
    total_halves: int

    @property
    def count(self) -> int:
        return sum(self.residents.values())


def grade_tally(*, village: Village, on: date, bands: list[Band], residents: QuerySet | None = None) -> GradeTally:
    """Every resident's balance on `on` (as village_standings) grouped by grade, in the database:
    one query, two integers per grade come back whatever the number of residents (no balance is
    computed in Python)."""
    return grade_tallies(village=village, days=[on], bands=[bands], residents=residents)[0]


def grade_tallies(
    *, village: Village, days: list[date], bands: list[list[Band]], residents: QuerySet | None = None
) -> list[GradeTally]:
    """`grade_tally` on each of `days` (with the scale in force that day, `bands[i]`), in ONE query:
    each resident's balance on every day is a filtered SUM (`counted_halves`) over one LEFT JOIN
    of their entries, and the residents are grouped by their grades on all the days at once, so
    at most (grades)^days rows come back, and never more than residents. The dashboard's running
    month and the month still open to backdating read the village's entries once, not twice."""
    if not days:
        return []
    rows = residents if residents is not None else Resident.objects.filter(village=village)
    capital = Value(balance_halves(capital=village.starting_capital, counted=0), output_field=IntegerField())
    # Entries that may count on one of the days; each day's SUM keeps those that count on it. On
    # the last day every joined entry has started: its SUM checks the expiry alone (1 ms of 7).
    last = max(days)
    joined = FilteredRelation("entries", condition=Q(entries__counts_from__lte=last))
    balances = {
        f"b{i}": capital + counted_halves(day, via="early_entries__", started=day == last) for i, day in enumerate(days)
    }
    standings = rows.annotate(early_entries=joined).order_by().values("id").annotate(**balances)
    select, params = standings.query.sql_with_params()
    # Each grade from its balance column, one level up: as annotations beside the balances, every
    # band's WHEN repeated the filtered SUM, which SQLite does not recognise as the same aggregate
    # when its dates are parameters: ten SUMs a resident instead of two (20 ms → 7 ms a dashboard).
    compiler = standings.query.get_compiler(using=standings.db)
    cases, case_params = [], []
    for i in range(len(days)):
        sql, case = compiler.compile(grade_expression(bands[i], halves=RawSQL(f"t.b{i}", [], IntegerField())))
        cases.append(f"{sql} AS g{i}")
        case_params += case
    graded = f"SELECT {', '.join(cases)}, {', '.join(f't.b{i}' for i in range(len(days)))} FROM ({select}) t"
    grades = ", ".join(f"u.g{i}" for i in range(len(days)))
    sums = ", ".join(f"SUM(u.b{i})" for i in range(len(days)))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {grades}, COUNT(*), {sums} FROM ({graded}) u GROUP BY {grades}", [*case_params, *params]
        )
        found = cursor.fetchall()
    n = len(days)
    tallies = []
    for i in range(n):
        counts: dict[str, int] = {}
        for row in found:
            counts[row[i]] = counts.get(row[i], 0) + row[n]
        tallies.append(GradeTally(residents=counts, total_halves=sum(int(row[n + 1 + i]) for row in found)))
    return tallies
