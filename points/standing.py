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
from django.db.models import (
    BigIntegerField,
    Case,
    DateField,
    Expression,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual

from points.models import Entry, EntryQuerySet
from villages.compiled import Slot, compiled_sql
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


def village_standings(
    *, village: Village, on: date, residents: QuerySet | None = None, through_entry: int | None = None
) -> QuerySet:
    """Every resident's balance on `on`, set-based: rows of `{"id", "balance_halves"}`, where
    balance_halves is the starting capital plus the counted points, in integer halves (a resident
    without entries has the capital). One query: residents LEFT JOIN their counting entries,
    grouped by resident, over the entry_resident_balance index. `residents` narrows the rows
    (a queryset of the village's residents); add `grade_expression` for grades in SQL.
    `through_entry`: count only the entries up to that id (the monthly snapshots, so that
    `grade_tallies` knows which entries they hold)."""
    rows = residents if residents is not None else Resident.objects.filter(village=village)
    rule = counting(on, via="entries__")
    if through_entry is not None:
        rule &= Q(entries__id__lte=through_entry)
    return (
        # The rule in the join's ON clause (FilteredRelation), so a resident without counting
        # entries still has a row.
        rows.annotate(counting_entries=FilteredRelation("entries", condition=rule))
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


def grade_tally(*, village: Village, on: date, bands: list[Band], living: bool = False) -> GradeTally:
    """Every resident's balance on `on` (as village_standings) grouped by grade, in the database:
    one query, two integers per grade come back whatever the number of residents (no balance is
    computed in Python)."""
    return grade_tallies(village=village, days=[on], bands=[bands], living=living)[0]


@dataclass(frozen=True)
class Snapshotted:
    """A village's residents as its monthly snapshots of `month` recorded them on `on`, the month's
    last day (points.models.MonthlyGradeTally): each row the balance with `capital` as starting
    capital and the entries up to id `through_entry`."""

    month: date
    on: date
    capital: int
    through_entry: int


def grade_tallies(
    *,
    village: Village,
    days: list[date],
    bands: list[list[Band]],
    living: bool = False,
    since: Snapshotted | None = None,
) -> list[GradeTally]:
    """`grade_tally` on each of `days` (with the scale in force that day, `bands[i]`), in ONE query,
    for the village's residents (`living`: those living in the village now): each resident's
    balance on every day is a filtered SUM (`counted_halves`) over one LEFT JOIN of their entries,
    and the residents are grouped by their grades on all the days at once, so at most
    (grades)^days rows come back, and never more than residents. The dashboard's running month
    and the month still open to backdating read the village's entries once, not twice.

    `since` (a settled month's snapshots, before every one of `days`): each balance is the
    resident's snapshot plus what changed since (`_balances_since`), so only the entries that
    started or stopped counting after it are read, not the village's whole ledger. That query is
    compiled once per number of days and scales (villages.compiled): building it from the ORM
    cost more than running it."""
    if not days:
        return []
    if since is not None and since.on < min(days):
        capital = balance_halves(capital=village.starting_capital, counted=0)
        statement = compiled_sql(_tallies_since, len(days), tuple(tuple(scale) for scale in bands), living)
        found = statement.rows(
            village=village.pk,
            month=since.month,
            then=since.on,
            last=max(days),
            through=since.through_entry,
            capital=capital,
            recapitalised=capital - balance_halves(capital=since.capital, counted=0),
            **{f"day{i}": day for i, day in enumerate(days)},
        )
    else:
        standings = _balances(village, _residents(village.pk, living), days)
        sql, params = _graded(standings, *standings.query.sql_with_params(), bands)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
    n = len(days)
    tallies = []
    for i in range(n):
        counts: dict[str, int] = {}
        for row in found:
            counts[row[i]] = counts.get(row[i], 0) + row[n]
        tallies.append(GradeTally(residents=counts, total_halves=sum(int(row[n + 1 + i]) for row in found)))
    return tallies


def _residents(village: int | Slot, living: bool) -> QuerySet:
    rows = Resident.objects.filter(village_id=village)
    return rows.filter(status=Resident.Status.ACTIVE) if living else rows


def _graded(standings: QuerySet, select: str, params, bands) -> tuple[str, list]:
    """The residents of `select` (rows of id, b0, b1, …) counted and their balances summed per
    grade on every day: rows of (g0, g1, …, residents, sum of b0, sum of b1, …)."""
    # Each grade from its balance column, one level up: as annotations beside the balances, every
    # band's WHEN repeated the filtered SUM, which SQLite does not recognise as the same aggregate
    # when its dates are parameters: ten SUMs a resident instead of two (20 ms → 7 ms a dashboard).
    compiler = standings.query.get_compiler(using=standings.db)
    cases, case_params = [], []
    for i, scale in enumerate(bands):
        sql, case = compiler.compile(grade_expression(list(scale), halves=RawSQL(f"t.b{i}", [], IntegerField())))
        cases.append(f"{sql} AS g{i}")
        case_params += case
    n = len(bands)
    graded = f"SELECT {', '.join(cases)}, {', '.join(f't.b{i}' for i in range(n))} FROM ({select}) t"
    grades = ", ".join(f"u.g{i}" for i in range(n))
    sums = ", ".join(f"SUM(u.b{i})" for i in range(n))
    return f"SELECT {grades}, COUNT(*), {sums} FROM ({graded}) u GROUP BY {grades}", [*case_params, *params]


def _balances(village: Village, rows: QuerySet, days: list[date]) -> QuerySet:
    """Rows of {"id", "b0", "b1", …}: each resident's balance (halves) on each of `days`, from
    their entries (village_standings' rule, on several days)."""
    capital = Value(balance_halves(capital=village.starting_capital, counted=0), output_field=IntegerField())
    # Entries that may count on one of the days; each day's SUM keeps those that count on it. On
    # the last day every joined entry has started: its SUM checks the expiry alone (1 ms of 7).
    last = max(days)
    joined = FilteredRelation("entries", condition=Q(entries__counts_from__lte=last))
    balances = {
        f"b{i}": capital + counted_halves(day, via="early_entries__", started=day == last) for i, day in enumerate(days)
    }
    return rows.annotate(early_entries=joined).order_by().values("id").annotate(**balances)


def _tallies_since(days: int, bands: tuple[tuple[Band, ...], ...], living: bool) -> tuple[str, list]:
    """`grade_tallies` from the snapshots of `since` (all of the days after `since.on`), as SQL
    with slots: village, month and then (`since`'s), last (the last day), through
    (`since.through_entry`), capital and recapitalised (halves: today's capital, and its difference
    from `since.capital`), day0, day1, …. Each resident's balance on a day:

        balance(day) = balance(since.on) + counted(day) − counted(since.on)

    where balance(since.on) is the resident's snapshot row (its capital replaced by today's, which
    the administrator may have changed), or, for a resident without one (no consent that month,
    or not living in the village then), the entries up to `through_entry` that counted on
    `since.on`, read for that resident alone. The difference of the two counts is non-zero only for an entry
    written after the snapshots (id > through_entry: counted(day) alone, the snapshots do not hold
    it, whatever its date), one that started counting after `since.on`, or one that counted then
    and stopped by the last day (`expires_on` in between): `counting` decides each, over those
    entries only (entry_village_chain, entry_village_counts_from, entry_village_expiring), grouped
    per resident. A resident's entries are all of their village's."""
    village = Slot("village", BigIntegerField())
    then, last = Slot("then", DateField()), Slot("last", DateField())
    through = Slot("through", BigIntegerField())
    capital = Slot("capital", IntegerField())
    recapitalised = Slot("recapitalised", IntegerField())
    rows = _residents(village, living)
    counted_then = (
        Entry.objects.filter(resident=OuterRef("pk"), id__lte=through)
        .filter(counting(then))
        .order_by()
        .values("resident")
        .annotate(halves=Sum("points_halves"))
        .values("halves")
    )
    snapshotted = FilteredRelation(
        "snapshots", condition=Q(snapshots__village_id=village, snapshots__month=Slot("month", DateField()))
    )
    # COALESCE stops at the snapshot: the entries are summed only for a resident without one.
    base = Coalesce(
        F("snapshotted__balance_halves") + recapitalised,
        capital + Coalesce(Subquery(counted_then), 0),
        output_field=IntegerField(),
    )
    # MAX over the resident's one row: a grouped subquery, which neither database merges into the
    # query around it, so the COALESCE and its subquery are computed once a resident, not again in
    # every band's WHEN of every day.
    bases = rows.annotate(snapshotted=snapshotted).order_by().values("id").annotate(base=Max(base))
    # The entries that changed, in three parts that exclude each other, each read from its own
    # index (one OR over them was read through the village's whole ledger): those written since
    # the snapshots (entry_village_chain), and of those written before, the ones that started
    # counting after `then` (entry_village_counts_from) and the ones that stopped by the last day
    # (entry_village_expiring).
    written_since, written_before = Q(id__gt=through), Q(id__lte=through)
    changed = [
        written_since,
        written_before & Q(counts_from__gt=then),
        written_before & Q(counts_from__lte=then, expires_on__gt=then, expires_on__lte=last),
    ]
    sums = {
        "held": Sum("points_halves", filter=written_before & counting(then), default=0),
        **{f"c{i}": counted_halves(Slot(f"day{i}", DateField())) for i in range(days)},
    }
    parts = [
        Entry.objects.filter(part, village_id=village).order_by().values("resident_id").annotate(**sums)
        for part in changed
    ]
    base_sql, base_params = bases.query.sql_with_params()
    parts_sql, parts_params = zip(*(part.query.sql_with_params() for part in parts), strict=True)
    totals = ", ".join(f"SUM(p.{name}) AS {name}" for name in sums)
    changed_sql = f"SELECT p.resident_id, {totals} FROM ({' UNION ALL '.join(parts_sql)}) p GROUP BY p.resident_id"
    balances = ", ".join(f"r.base + COALESCE(d.c{i} - d.held, 0) AS b{i}" for i in range(days))
    select = f"SELECT r.id, {balances} FROM ({base_sql}) r LEFT JOIN ({changed_sql}) d ON d.resident_id = r.id"
    params = (*base_params, *(param for params in parts_params for param in params))
    return _graded(bases, select, params, bands)
