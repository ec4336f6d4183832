"""The head's dashboard: how the village is doing, for one month.

Every figure comes from a grouped query, so the dashboard runs the same number of queries for 10
residents as for 1,000 (tests/office/test_dashboard.py asserts it), and no balance or date is
computed in Python per resident or per entry:

1. the village's grade scales (all of them, to grade each month-end by the scale then in force);
2. the settled months (over, and past the backdating window) from their monthly grade tallies
   (written with the monthly snapshots): residents and summed balances per grade, ONE query of a
   row per month;
3. the month still running and the one entries may still be backdated into (and a month the
   snapshot job has not covered), tallied per grade by points.standing.grade_tallies over the
   residents living in the village now: one grouped query for all of them, which starts from
   the latest settled month's snapshots and reads only the entries that changed since;
4. deeds and infractions per month and handbook page: the settled months from their monthly
   tallies (one query), the others grouped in SQL over their entries only (one query);
5. scorer activity in the month, grouped by who recorded;
6. the open appeals, oldest first.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from html import escape

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from handbook.models import Item
from office import charts as shapes
from points.models import Appeal, Entry, MonthlyGradeTally, MonthlyPageTally
from points.snapshots import page_tallies, snapshotted
from points.standing import grade_tallies, in_points
from villages.grades import scale_history, scale_on
from villages.models import Village
from villages.periods import period_index
from villages.templatetags.points_format import format_points

MONTHS = 12
AGE_BUCKETS = [(0, 3), (4, 7), (8, 14), (15, None)]  # days an appeal has been open


@dataclass
class GradeCount:
    grade: str
    count: int
    share: int  # per cent, rounded


@dataclass
class MonthTrend:
    month: date
    on: date
    average: Decimal
    grades: dict[str, int]


@dataclass
class PageRow:
    number: int
    title: str
    deeds: int = 0
    deed_points: Decimal = Decimal(0)
    infractions: int = 0
    infraction_points: Decimal = Decimal(0)


@dataclass
class MonthKinds:
    month: date
    deeds: int = 0
    infractions: int = 0


@dataclass
class ScorerRow:
    user_id: int
    name: str
    entries: int
    deeds: int
    infractions: int
    reversed: int
    last_at: datetime | None


@dataclass
class OpenAppeal:
    pk: int  # the appeal's
    resident_name: str
    item_code: str
    item_title: str
    age_days: int
    overdue: bool


@dataclass
class Dashboard:
    village: Village
    month: date
    on: date  # the day the standings are taken: the month's last day, or today
    residents: int
    grades: list[GradeCount]
    trend: list[MonthTrend]
    grade_names: list[str]
    pages: list[PageRow]
    months: list[MonthKinds]
    scorers: list[ScorerRow]
    appeals: list[OpenAppeal]
    appeal_ages: list[tuple[str, int]]
    charts: dict[str, shapes.Chart] = field(default_factory=dict)

    @property
    def month_totals(self) -> MonthKinds:
        return self.months[-1] if self.months else MonthKinds(self.month)

    @property
    def average(self) -> Decimal:
        return self.trend[-1].average if self.trend else Decimal(self.village.starting_capital)

    # The two tables' rows drawn in one pass, as the charts' (office.charts): a row per page and per
    # scorer, so template loops were the part of the rendering that grew with the village.
    @property
    def page_rows(self) -> SafeString:
        return mark_safe(  # the title escaped; the rest our own figures
            "".join(
                f'<tr><th scope="row">{p.number}. {escape(p.title)}</th><td class="num">{p.deeds}</td>'
                f'<td class="num plus">{format_points(p.deed_points, signed=True)}</td>'
                f'<td class="num">{p.infractions}</td>'
                f'<td class="num minus">{format_points(p.infraction_points, signed=True)}</td></tr>'
                for p in self.pages
            )
        )

    @property
    def scorer_rows(self) -> SafeString:
        return mark_safe(  # the name escaped; the rest counts
            "".join(
                f'<tr><th scope="row">{escape(s.name)}</th><td class="num">{s.entries}</td>'
                f'<td class="num">{s.deeds}</td><td class="num">{s.infractions}</td>'
                f'<td class="num">{s.reversed}</td></tr>'
                for s in self.scorers
            )
        )


def month_end(month: date, today: date) -> date:
    """The last day of `month`, or today if the month is not over."""
    return min(month + relativedelta(months=1) - timedelta(days=1), today)


def build_dashboard(*, village: Village, month: date) -> Dashboard:
    """Everything the dashboard shows for `month` (its first day). Six queries, whatever the size."""
    today = village.today()
    month = min(month.replace(day=1), today.replace(day=1))
    months = [month - relativedelta(months=n) for n in range(MONTHS - 1, -1, -1)]
    days = [month_end(m, today) for m in months]
    on = days[-1]

    scales = scale_history(village_id=village.pk)
    # Settled: the month is over and no entry can be backdated into it any more.
    settled = today - timedelta(days=village.backdate_days)
    closed = [m for m, end in zip(months, days, strict=True) if end < settled]
    trend, grades_now = _standings(village, months, days, closed, scales)
    grade_names = [band.grade for band in scale_on(scales, on)]
    residents = sum(grades_now.values())
    grades = [
        GradeCount(
            grade, grades_now.get(grade, 0), round(100 * grades_now.get(grade, 0) / residents) if residents else 0
        )
        for grade in grade_names
    ]
    pages, kinds = _deeds_and_infractions(village, months, closed, on)
    dashboard = Dashboard(
        village=village,
        month=month,
        on=on,
        residents=residents,
        grades=grades,
        trend=trend,
        grade_names=grade_names,
        pages=pages,
        months=kinds,
        scorers=_scorers(village, month, today),
        appeals=_open_appeals(village, today),
        appeal_ages=[],
    )
    dashboard.appeal_ages = _age_buckets(dashboard.appeals)
    dashboard.charts = _charts(dashboard)
    return dashboard


def _standings(
    village: Village, months: list[date], days: list[date], closed: list[date], scales: list
) -> tuple[list[MonthTrend], dict[str, int]]:
    """Average balance and residents per grade at each month-end.

    A settled month (over, and past the village's backdating window) comes from its monthly
    grade tally (points.snapshots: the scheme's residents as they stood that day, per grade), all
    of them in one query. The month still running, a month entries may still be backdated into,
    and a month without snapshots (before the job first ran) is tallied live for the residents
    living in the village now: points.standing.grade_tallies, one grouped query for all of them,
    from the latest settled month's snapshots on when they say what they hold (Snapshotted), so
    that the village's whole ledger is not read on every visit. Sums stay in integer halves until
    the average. The snapshot job takes a month once it is settled in the
    same sense (points.snapshots.settled_month), so no entry can be backdated into a month after
    its snapshot."""
    taken: dict[date, dict[str, tuple[int, int]]] = {}
    since = None  # the latest snapshots the open months can start from
    if closed:
        for tally in MonthlyGradeTally.objects.filter(village=village, month__in=closed).order_by("month"):
            taken[tally.month] = {grade: (n, halves) for grade, (n, halves) in tally.grades.items()}
            since = snapshotted(tally) or since
    live = [(month, on) for month, on in zip(months, days, strict=True) if month not in taken]
    tallies = grade_tallies(
        village=village,
        days=[on for _, on in live],
        bands=[scale_on(scales, on) for _, on in live],
        living=True,
        since=since,
    )
    counted = {month: (tally.residents, tally.total_halves) for (month, _), tally in zip(live, tallies, strict=True)}
    trend = []
    for month, on in zip(months, days, strict=True):
        if month in taken:
            residents = {grade: n for grade, (n, _) in taken[month].items()}
            total = sum(halves for _, halves in taken[month].values())
        else:
            residents, total = counted[month]
        count = sum(residents.values())
        average = (in_points(total) / count).quantize(Decimal("0.1")) if count else Decimal(village.starting_capital)
        trend.append(MonthTrend(month=month, on=on, average=average, grades=residents))
    return trend, trend[-1].grades if trend else {}


def _month_of(field: str, months: list[date]) -> RawSQL:
    """The index in `months` of the month holding the date `field` (villages.periods)."""
    return period_index(Entry, field, [*months, months[-1] + relativedelta(months=1)])


def _deeds_and_infractions(
    village: Village, months: list[date], closed: list[date], on: date
) -> tuple[list[PageRow], list[MonthKinds]]:
    """Entries that stand (originals, not reversed) by the month of the deed, handbook page and
    kind, over the twelve months (points.snapshots.page_tallies). Settled months come from their
    monthly tallies (one query, a few dozen rows a month); the others are counted in the ledger,
    grouped in SQL, from the first of them on (one query): the twelve months' entries are no
    longer read on every visit."""
    index = {m: i for i, m in enumerate(months)}
    rows = []  # (month index, page number, kind, entries, halves, title)
    if closed:
        tallies = MonthlyPageTally.objects.filter(village=village, month__in=closed).values_list(
            "month", "page_number", "kind", "entries", "points_halves", "page_title"
        )
        rows = [(index[month], *rest) for month, *rest in tallies]
    tallied = {months[row[0]] for row in rows}
    live = [m for m in months if m not in tallied]
    if live:
        # A CASE over the months from the first live one only (usually two, not twelve): on
        # SQLite the twelve-way CASE was half the query's time.
        first = index[live[0]]
        counted = page_tallies(village=village, start=live[0], end=on, month=_month_of("occurred_on", months[first:]))
        rows += [
            (first + row["month"], row["item__page__number"], row["item__kind"], row["n"], row["halves"], row["title"])
            for row in counted
            if months[first + row["month"]] not in tallied
        ]
    by_month = {m: MonthKinds(m) for m in months}
    pages: dict[int, PageRow] = {}
    for month_index, number, kind, n, halves, title in rows:
        month = months[month_index]
        kinds = by_month[month]
        deed = kind == Item.Kind.DEED
        if deed:
            kinds.deeds += n
        else:
            kinds.infractions += n
        if month == months[-1]:
            page = pages.setdefault(number, PageRow(number, title))
            if deed:
                page.deeds += n
                page.deed_points += in_points(halves)
            else:
                page.infractions += n
                page.infraction_points += in_points(halves)
    return sorted(pages.values(), key=lambda p: p.number), list(by_month.values())


def _scorers(village: Village, month: date, today: date) -> list[ScorerRow]:
    """Who recorded how much in the month (by the day they recorded it, village time). One query."""
    tz = village.tzinfo
    start = datetime.combine(month, time.min, tzinfo=tz)
    end = datetime.combine(month + relativedelta(months=1), time.min, tzinfo=tz)
    rows = (
        Entry.objects.filter(village=village, recorded_at__gte=start, recorded_at__lt=end)
        .originals()
        .values("recorded_by_id")
        .annotate(
            entries=Count("pk"),
            deeds=Count("pk", filter=Q(points_halves__gt=0)),
            infractions=Count("pk", filter=Q(points_halves__lt=0)),
            reversed=Count("reversal"),
            last_at=Max("recorded_at"),
        )
        # The names looked up once per scorer, after grouping (a join would read the user row for
        # every entry and group by three strings: half the query's time on SQLite).
        .annotate(**{name: _user_field("recorded_by_id", name) for name in ("username", "first_name", "last_name")})
        .order_by("-entries", "username")
    )
    return [
        ScorerRow(
            user_id=row["recorded_by_id"],
            name=" ".join(filter(None, [row["first_name"], row["last_name"]])) or row["username"],
            entries=row["entries"],
            deeds=row["deeds"],
            infractions=row["infractions"],
            reversed=row["reversed"],
            last_at=row["last_at"],
        )
        for row in rows
    ]


def _user_field(column: str, name: str) -> Subquery:
    return Subquery(get_user_model().objects.filter(pk=OuterRef(column)).values(name))


def _open_appeals(village: Village, today: date) -> list[OpenAppeal]:
    """Open appeals, oldest first, with how many days each has waited. One query, of the five
    columns shown (as model instances with their entry, resident and item: 0.7 ms more a visit)."""
    appeals = (
        Appeal.objects.filter(status=Appeal.Status.OPEN, entry__village=village)
        .order_by("filed_at")
        .values_list("pk", "filed_at", "entry__resident__name", "entry__item__code", "entry__item__title")
    )
    tz = village.tzinfo
    result = []
    for pk, filed_at, name, code, title in appeals:
        age = (today - filed_at.astimezone(tz).date()).days
        result.append(OpenAppeal(pk, name, code, title, age_days=age, overdue=age > settings.APPEAL_DEADLINE_DAYS))
    return result


def _age_buckets(appeals: list[OpenAppeal]) -> list[tuple[str, int]]:
    buckets = []
    for low, high in AGE_BUCKETS:
        label = (
            _("%(low)d–%(high)d days") % {"low": low, "high": high}
            if high is not None
            else _("%(low)d days or more") % {"low": low}
        )
        count = sum(1 for a in appeals if a.age_days >= low and (high is None or a.age_days <= high))
        buckets.append((label, count))
    return buckets


def _month_label(month: date) -> str:
    return f"{month.month}"


def _charts(d: Dashboard) -> dict[str, shapes.Chart]:
    grades = shapes.columns(
        slug="grades",
        title=_("Residents by grade"),
        description=_("%(count)d residents living in the village, by grade on %(date)s.")
        % {"count": d.residents, "date": d.on.isoformat()},
        categories=[g.grade for g in d.grades],
        series=[shapes.Series(_("Residents"), "s-grade", [g.count for g in d.grades])],
    )
    trend = shapes.line(
        slug="trend",
        title=_("Average balance, month by month"),
        description=_("The average balance went from %(first)s to %(last)s over twelve months.")
        % {"first": d.trend[0].average, "last": d.trend[-1].average},
        categories=[_month_label(t.month) for t in d.trend],
        values=[t.average for t in d.trend],
    )
    kinds = shapes.columns(
        slug="kinds",
        title=_("Deeds and infractions per month"),
        description=_("%(deeds)d deeds and %(infractions)d infractions were recorded for the month.")
        % {"deeds": d.month_totals.deeds, "infractions": d.month_totals.infractions},
        categories=[_month_label(m.month) for m in d.months],
        series=[
            shapes.Series(_("Deeds"), "s-deed", [m.deeds for m in d.months]),
            shapes.Series(_("Infractions"), "s-infraction", [m.infractions for m in d.months]),
        ],
    )
    pages = shapes.bars(
        slug="pages",
        title=_("Deeds and infractions by handbook page"),
        description=_("For the month, per page of the handbook: how many deeds and infractions."),
        categories=[f"{p.number}. {p.title}" for p in d.pages],
        series=[
            shapes.Series(_("Deeds"), "s-deed", [p.deeds for p in d.pages]),
            shapes.Series(_("Infractions"), "s-infraction", [p.infractions for p in d.pages]),
        ],
        row_height=18,
    )
    scorers = shapes.bars(
        slug="scorers",
        title=_("Entries recorded, by who recorded them"),
        description=_("For the month, how many entries each scorer recorded."),
        categories=[s.name for s in d.scorers],
        series=[shapes.Series(_("Entries"), "s-scorer", [s.entries for s in d.scorers])],
    )
    ages = shapes.columns(
        slug="ages",
        title=_("Open appeals by days waiting"),
        description=_("%(count)d appeals are open.") % {"count": len(d.appeals)},
        categories=[label for label, _count in d.appeal_ages],
        series=[shapes.Series(_("Open appeals"), "s-appeal", [count for _label, count in d.appeal_ages])],
        height=160,
    )
    trend.row_labels = kinds.row_labels = [date_format(t.month, "YEAR_MONTH_FORMAT") for t in d.trend]
    return {"grades": grades, "trend": trend, "kinds": kinds, "pages": pages, "scorers": scorers, "ages": ages}
