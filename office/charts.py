"""Geometry for small server-rendered SVG charts: grouped columns, horizontal bars and a line.

The numbers are computed here, and so are the chart's repeated shapes (ticks, rects, dots,
labels) and the rows of its table of figures, each drawn in one pass as one string: as
template loops they were most of the dashboard's rendering (~1,800 variable lookups a request).
The template (office/dashboard.html, partial "chart") draws the frame: the SVG with role="img", a
<title> and a <desc>, and the table with the same figures beside every chart.
points.chart draws a resident's balance-and-grade line with band lines of its own; these are the
village-wide shapes, which that one does not cover.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH = 360


# Numbers as the SVG and the tables print them, written here rather than with floatformat in the
# template: six charts of a few dozen shapes each made the filter most of the page's rendering.
def coordinate(value: float) -> str:
    """One decimal, always (a position or a length)."""
    return f"{value:.1f}"


def figure(value: float | Decimal) -> str:
    """A value: no decimals if it is whole, otherwise one (floatformat:"-1")."""
    rounded = round(float(value), 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # class of the shapes, which sets the colour (site.css: .chart .s-…)
    values: list[float]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    value: float
    label: str
    series: str
    css: str

    @property
    def svg(self) -> dict[str, str]:
        """x, y, width, height, the right end and the value as the template prints them."""
        return {
            "x": coordinate(self.x),
            "y": coordinate(self.y),
            "w": coordinate(self.w),
            "h": coordinate(self.h),
            "end": coordinate(self.x + self.w),
            "value": figure(self.value),
        }


@dataclass(frozen=True)
class Tick:
    value: float
    pos: float  # y for columns and lines, x for bars

    @property
    def svg_pos(self) -> str:
        return coordinate(self.pos)

    @property
    def svg_value(self) -> str:
        return figure(self.value)


@dataclass(frozen=True)
class Label:
    text: str
    x: float
    y: float

    @property
    def svg_x(self) -> str:
        return coordinate(self.x)

    @property
    def svg_y(self) -> str:
        return coordinate(self.y)


@dataclass
class Chart:
    slug: str  # unique on the page: ids of <title> and <desc>
    kind: str  # "columns", "bars" or "line"
    title: str
    description: str
    width: int = WIDTH
    height: int = 200
    rects: list[Rect] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    row_labels: list[str] = field(default_factory=list)  # longer labels for the table (e.g. "June 2025")
    polyline: str = ""
    dots: list[Label] = field(default_factory=list)  # for a line: the points, text = value
    plot_left: float = 0
    plot_right: float = WIDTH
    plot_top: float = 0
    plot_bottom: float = 0

    @property
    def empty(self) -> bool:
        return not any(v for s in self.series for v in s.values)

    @property
    def table(self) -> list[tuple[str, list[float]]]:
        """The same figures as the drawing: one row per category, one column per series."""
        labels = self.row_labels or self.categories
        return [(label, [s.values[i] for s in self.series]) for i, label in enumerate(labels)]

    @property
    def printed_table(self) -> list[tuple[str, list[str]]]:
        """`table` with its values as printed."""
        return [(label, [figure(v) for v in values]) for label, values in self.table]

    @property
    def label_x(self) -> float:
        return self.plot_left - 4

    @property
    def shapes(self) -> SafeString:
        """The SVG's content after its <title> and <desc>: grid lines with their ticks, the rects
        (with their values at the end of a bar), the line and its dots, the category labels.
        Every text is escaped here; the numbers are our own formatted figures."""
        parts = []
        for tick in self.ticks:
            y = tick.svg_pos
            parts.append(
                f'<line class="grid" x1="{self.plot_left}" y1="{y}" x2="{self.plot_right}" y2="{y}"/>'
                f'<text class="tick" x="{self.label_x}" y="{y}" text-anchor="end" dominant-baseline="middle">'
                f"{tick.svg_value}</text>"
            )
        bars = self.kind == "bars"
        for rect in self.rects:
            r = rect.svg
            parts.append(
                f'<rect class="{escape(rect.css)}" x="{r["x"]}" y="{r["y"]}" width="{r["w"]}" height="{r["h"]}">'
                f"<title>{escape(rect.label)} · {escape(rect.series)}: {r['value']}</title></rect>"
            )
            if bars and rect.value:
                parts.append(
                    f'<text class="value" x="{r["end"]}" dx="4" y="{r["y"]}" dy="{r["h"]}" '
                    f'dominant-baseline="text-after-edge">{r["value"]}</text>'
                )
        if self.polyline:
            parts.append(f'<polyline class="line" points="{self.polyline}"/>')
            parts += [
                f'<circle class="dot" cx="{dot.svg_x}" cy="{dot.svg_y}" r="3.5">'
                f"<title>{escape(dot.text)}</title></circle>"
                for dot in self.dots
            ]
        if bars:
            label = '<text class="row-label" x="{}" y="{}">{}</text>'
        else:
            label = '<text class="month" x="{}" y="{}" text-anchor="middle">{}</text>'
        parts += [label.format(lb.svg_x, lb.svg_y, escape(lb.text)) for lb in self.labels]
        return mark_safe("".join(parts))  # every text escaped above

    @property
    def figure_rows(self) -> SafeString:
        """The rows of the table of figures: a category, then its value in each series."""
        rows = []
        for label, values in self.printed_table:
            cells = "".join(f'<td class="num">{value}</td>' for value in values)
            rows.append(f'<tr><th scope="row">{escape(label)}</th>{cells}</tr>')
        return mark_safe("".join(rows))  # the label escaped, the values our own figures


def nice_max(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `value` (at least 1): a round top for the axis."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def columns(
    *, slug: str, title: str, description: str, categories: list[str], series: list[Series], height: int = 200
) -> Chart:
    """Grouped vertical columns, one group per category (a month, a grade), one column per series."""
    left, right, top, bottom = 34, 6, 10, 24
    chart = Chart(
        slug=slug,
        kind="columns",
        title=title,
        description=description,
        height=height,
        series=series,
        categories=categories,
    )
    chart.plot_left, chart.plot_right, chart.plot_top, chart.plot_bottom = left, WIDTH - right, top, height - bottom
    top_value = nice_max(max((v for s in series for v in s.values), default=0))
    plot_h = height - top - bottom
    group_w = (WIDTH - left - right) / max(len(categories), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    for i, category in enumerate(categories):
        x0 = left + i * group_w + group_w * 0.1
        for j, s in enumerate(series):
            value = float(s.values[i])
            h = plot_h * value / top_value
            chart.rects.append(Rect(x0 + j * bar_w, top + plot_h - h, bar_w * 0.92, h, value, category, s.name, s.css))
        chart.labels.append(Label(category, left + (i + 0.5) * group_w, height - 8))
    chart.ticks = [Tick(v, top + plot_h - plot_h * v / top_value) for v in (0, top_value / 2, top_value)]
    return chart


def bars(
    *, slug: str, title: str, description: str, categories: list[str], series: list[Series], row_height: int = 26
) -> Chart:
    """Horizontal bars, one row per category (a handbook page, a scorer), long labels on their own line."""
    left, right, top = 4, 40, 4
    height = top + len(categories) * row_height * max(len(series), 1) + len(categories) * 16 + 4
    chart = Chart(
        slug=slug,
        kind="bars",
        title=title,
        description=description,
        height=height,
        series=series,
        categories=categories,
    )
    chart.plot_left, chart.plot_right = left, WIDTH - right
    top_value = nice_max(max((v for s in series for v in s.values), default=0))
    plot_w = WIDTH - left - right
    y = top
    for i, category in enumerate(categories):
        chart.labels.append(Label(category, left, y + 12))
        y += 16
        for s in series:
            value = float(s.values[i])
            w = plot_w * value / top_value
            chart.rects.append(Rect(left, y, w, row_height - 8, value, category, s.name, s.css))
            y += row_height
    return chart


def line(
    *, slug: str, title: str, description: str, categories: list[str], values: list[Decimal | float], height: int = 200
) -> Chart:
    """One line over the categories (months), the value axis fitted to the data with some room."""
    left, right, top, bottom = 44, 10, 12, 24
    chart = Chart(
        slug=slug,
        kind="line",
        title=title,
        description=description,
        height=height,
        categories=categories,
        series=[Series(title, "s-line", list(values))],
    )
    chart.plot_left, chart.plot_right, chart.plot_top, chart.plot_bottom = left, WIDTH - right, top, height - bottom
    if not values:
        return chart
    floats = [float(v) for v in values]
    low, high = math.floor(min(floats)) - 5, math.ceil(max(floats)) + 5
    if high - low < 20:
        middle = (high + low) / 2
        low, high = math.floor(middle - 10), math.ceil(middle + 10)
    plot_h = height - top - bottom
    step = (WIDTH - left - right) / max(len(values) - 1, 1)

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * plot_h

    points = [(left + i * step, y(v)) for i, v in enumerate(floats)]
    chart.polyline = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    chart.dots = [Label(f"{categories[i]}: {values[i]}", px, py) for i, (px, py) in enumerate(points)]
    chart.labels = [Label(category, left + i * step, height - 8) for i, category in enumerate(categories)]
    chart.ticks = [Tick(v, y(v)) for v in (low, (low + high) / 2, high)]
    return chart
