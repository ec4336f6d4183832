"""The month-by-month chart of a resident's balance and grade, drawn on the server as SVG."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from dateutil.relativedelta import relativedelta
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from points.standing import Standing, balance_halves, counted_halves_by_day, in_points
from villages.grades import Scales, grade_for, scale_history, scale_on
from villages.models import Resident
from villages.templatetags.points_format import format_points

WIDTH, HEIGHT = 360, 200
LEFT, RIGHT, TOP, BOTTOM = 62, 8, 12, 26  # room for the balance axis (14 px labels) and the month labels
TICK_STEPS = (10, 20, 50, 100, 200, 500, 1000)


@dataclass(frozen=True)
class MonthPoint:
    month: date  # first day of the month
    on: date  # the day the balance is taken: the month's last day, or today for the current month
    balance: Decimal
    grade: str
    x: float
    y: float

    # Written out here rather than with template filters (floatformat, add): the chart is drawn
    # on every Standing page, and a filter a point costs more than the rest of the point.
    @property
    def cx(self) -> str:
        return f"{self.x:.1f}"

    @property
    def cy(self) -> str:
        return f"{self.y:.1f}"


@dataclass(frozen=True)
class BandLine:
    grade: str
    min_points: int
    y: float

    @property
    def cy(self) -> str:
        return f"{self.y:.1f}"


@dataclass(frozen=True)
class Tick:
    value: int
    y: float

    @property
    def cy(self) -> str:
        return f"{self.y:.1f}"


@dataclass(frozen=True)
class Chart:
    points: list[MonthPoint]
    band_lines: list[BandLine]
    low: int
    high: int
    ticks: list[Tick] = ()
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom: int = HEIGHT - BOTTOM
    label_x: int = LEFT - 4  # where the axis labels end
    month_y: int = HEIGHT - 8  # the month numbers' baseline

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    # The repeated shapes and rows, written here in one pass each rather than by a template loop:
    # the chart is on every Standing page, and its ~150 template nodes cost more than the page's
    # queries (issue 18). points/_chart.html places them; what they say is translated on render.
    # Every value from outside (a grade is an administrator's text) goes through escape().
    def svg_marks(self) -> SafeString:
        """The grade bands (dashed line and label), the balance ticks, the line, and a dot (with
        its date, balance and grade as a tooltip) and a month number per point."""
        left, right, label_x, month_y = self.left, self.width, self.label_x, self.month_y
        marks = [
            f'<line class="band" x1="{left}" y1="{band.cy}" x2="{right}" y2="{band.cy}"/>'
            f'<text class="band-label" x="{label_x}" y="{band.cy}" text-anchor="end" dominant-baseline="middle">'
            f"{escape(band.grade)} {band.min_points}</text>"
            for band in self.band_lines
        ]
        marks += (
            f'<text class="value-label" x="{label_x}" y="{tick.cy}" text-anchor="end" dominant-baseline="middle">'
            f"{tick.value}</text>"
            for tick in self.ticks
        )
        marks.append(f'<polyline class="line" points="{self.polyline}"/>')
        marks += (
            f'<circle class="dot" cx="{p.cx}" cy="{p.cy}" r="3.5"><title>{escape(_day(p.on))}: '
            f"{format_points(p.balance)} · {escape(p.grade)}</title></circle>"
            f'<text class="month" x="{p.cx}" y="{month_y}" text-anchor="middle">{p.month.month}</text>'
            for p in self.points
        )
        return mark_safe("\n".join(marks))  # every part escaped above

    def table_rows(self) -> SafeString:
        """A row per month (the last one "to" today): month, balance, grade."""
        rows = []
        for p in self.points:
            month = escape(_month(p.month))
            if p is self.points[-1]:
                month += f" ({escape(gettext('to %(date)s') % {'date': _day(p.on)})})"
            rows.append(
                f'<tr><th scope="row">{month}</th><td>{format_points(p.balance)}</td><td>{escape(p.grade)}</td></tr>'
            )
        return mark_safe("\n".join(rows))  # every part escaped above

    @property
    def first(self) -> MonthPoint:
        return self.points[0]

    @property
    def last(self) -> MonthPoint:
        return self.points[-1]


@lru_cache(maxsize=1024)
def _formatted(day: date, format_name: str, language: str | None) -> str:
    return date_format(day, format_name)


def _day(day: date) -> str:
    """`day` as the date filter writes it with DATE_FORMAT in the active language; the chart's
    days are the same for every resident, and Django's date formatting is slow, so kept per process."""
    return _formatted(day, "DATE_FORMAT", get_language())


def _month(day: date) -> str:
    return _formatted(day, "YEAR_MONTH_FORMAT", get_language())


def chart_days(today: date, months: int = 12) -> list[date]:
    """The last day of each of the `months - 1` previous months, then today."""
    return list(_chart_days(today, months))


@lru_cache(maxsize=64)
def _chart_days(today: date, months: int) -> tuple[date, ...]:
    # The same days for every chart drawn on a day (a village's), and relativedelta is slow.
    first_of_month = today.replace(day=1)
    ends = [first_of_month - relativedelta(months=n - 1) - timedelta(days=1) for n in range(months - 1, 0, -1)]
    return (*ends, today)


def build_chart(
    *, resident: Resident, today: date | None = None, months: int = 12, scales: Scales | None = None
) -> Chart:
    """Balance and grade at each month's end over the last `months` months.

    Two queries whatever the size of the ledger: all month-end balances in one grouped query
    (points.standing.counted_halves_by_day), and the village's grade scales in one more (none if
    the caller passes them). `resident.village` should be loaded already.
    """
    village = resident.village
    today = today or village.today()
    days = chart_days(today, months)
    sums = counted_halves_by_day(resident, days)
    if scales is None:
        scales = scale_history(village_id=village.pk)
    balances = [in_points(balance_halves(capital=village.starting_capital, counted=counted)) for counted in sums]
    grades = [grade_for(balance, scale_on(scales, on)) for balance, on in zip(balances, days, strict=True)]

    low = int(min(balances)) - 20
    high = int(max(balances)) + 20
    if high - low < 60:
        middle = (high + low) // 2
        low, high = middle - 30, middle + 30

    def y(value: Decimal | int) -> float:
        return TOP + (high - float(value)) / (high - low) * (HEIGHT - TOP - BOTTOM)

    step = (WIDTH - LEFT - RIGHT) / max(len(days) - 1, 1)
    points = [
        MonthPoint(month=on.replace(day=1), on=on, balance=balance, grade=grade, x=LEFT + i * step, y=y(balance))
        for i, (on, balance, grade) in enumerate(zip(days, balances, grades, strict=True))
    ]
    band_lines = [
        BandLine(grade=band.grade, min_points=band.min_points, y=y(band.min_points))
        for band in scale_on(scales, today)
        if band.min_points is not None and low < band.min_points < high
    ]
    return Chart(points=points, band_lines=band_lines, low=low, high=high, ticks=_ticks(low, high, y, band_lines))


def chart_with_standing(*, resident: Resident, scales: Scales | None = None) -> tuple[Chart, Standing]:
    """The chart and today's standing (its last point), for a page that shows both: one query for
    the balances instead of two. The standing is the chart's last balance, so both follow the one
    rule (points.standing.counted_halves_by_day) and cannot disagree. Pass the village's `scales`
    (villages.grades.scale_history) if the page needs them anyway."""
    if scales is None:
        scales = scale_history(village_id=resident.village_id)
    chart = build_chart(resident=resident, scales=scales)
    today = chart.last
    standing = Standing(
        resident=resident, on=today.on, balance=today.balance, grade=today.grade, bands=scale_on(scales, today.on)
    )
    return chart, standing


def _ticks(low: int, high: int, y, band_lines: list[BandLine]) -> list[Tick]:
    """Round balances up the y-axis (at most four), except where a grade band's label already stands."""
    step = next((s for s in TICK_STEPS if (high - low) / s <= 4), TICK_STEPS[-1])
    first = -(-low // step) * step
    ticks = [Tick(value=v, y=y(v)) for v in range(first, high + 1, step) if low < v < high]
    return [t for t in ticks if all(abs(t.y - band.y) > 16 for band in band_lines)]
