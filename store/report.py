"""The monthly store report: stock reconciled per article, and store points credited and spent.

For every article: opening stock + deliveries − redeemed + returned − written off = closing stock.
The closing stock is summed separately from all movements before the month's end, so `reconciled`
is a real check, not the same sum twice. Store points: credited (deeds recognised in the month,
store.balance's rule) − spent + given back by returns.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from store.balance import credited_halves, local_midnight, recognised_deeds
from store.models import Goods, Receipt, StockMovement, StoreSettings
from villages.models import Village
from villages.pdf import register_font

Kind = StockMovement.Kind


@dataclass(frozen=True)
class StockRow:
    goods: Goods
    opening: int
    delivered: int
    redeemed: int
    returned: int
    written_off: int
    closing: int

    @property
    def reconciled(self) -> bool:
        return self.opening + self.delivered - self.redeemed + self.returned - self.written_off == self.closing

    @property
    def cells(self) -> list:
        return [
            str(self.goods),
            self.opening,
            self.delivered,
            self.redeemed,
            self.returned,
            self.written_off,
            self.closing,
        ]


@dataclass(frozen=True)
class StoreReport:
    village: Village
    month: date
    rows: list[StockRow]
    credited: Decimal
    spent: Decimal
    returned: Decimal
    receipts: int

    @property
    def net(self) -> Decimal:
        return self.credited - self.spent + self.returned

    @property
    def reconciled(self) -> bool:
        return all(row.reconciled for row in self.rows)


def _sum(kind: str | None = None, **bounds) -> Sum:
    condition = Q(**{f"movements__{k}": v for k, v in bounds.items()})
    if kind:
        condition &= Q(movements__kind=kind)
    return Sum("movements__quantity", filter=condition, default=0)


def build_report(*, config: StoreSettings, month: date) -> StoreReport:
    """Three queries: the goods with their movement sums, the receipts, the credits."""
    village = config.village
    start, end = local_midnight(village, month), local_midnight(village, month + relativedelta(months=1))
    in_month = {"at__gte": start, "at__lt": end}
    goods = (
        Goods.objects.filter(village=village)
        .annotate(
            opening=_sum(at__lt=start),
            closing=_sum(at__lt=end),
            delivered=_sum(Kind.DELIVERY, **in_month),
            redeemed=_sum(Kind.REDEMPTION, **in_month),
            returned=_sum(Kind.RETURN, **in_month),
            written_off=_sum(Kind.WRITE_OFF, **in_month),
        )
        .order_by("name", "pk")
    )
    rows = [
        StockRow(g, g.opening, g.delivered, -g.redeemed, g.returned, -g.written_off, g.closing)
        for g in goods
        if g.opening or g.closing or g.delivered or g.redeemed or g.returned or g.written_off
    ]
    receipts = Receipt.objects.filter(village=village, served_at__gte=start, served_at__lt=end).aggregate(
        spent=Sum("points_halves", filter=Q(reverses__isnull=True), default=0),
        returned=Sum("points_halves", filter=Q(reverses__isnull=False), default=0),
        count=Sum(1, filter=Q(reverses__isnull=True), default=0),
    )
    # Recognised in the month so far: a deed recognised after now is not credited yet.
    credited = credited_halves(recognised_deeds(config, recognised_from=start, until=min(end, timezone.now())), config)
    return StoreReport(
        village=village,
        month=month,
        rows=rows,
        credited=Decimal(credited) / 2,
        spent=Decimal(-receipts["spent"]) / 2,
        returned=Decimal(receipts["returned"]) / 2,
        receipts=receipts["count"],
    )


def stock_header() -> list[str]:
    return [
        _("Goods"),
        _("Opening stock"),
        _("Delivered"),
        _("Redeemed"),
        _("Returned"),
        _("Written off"),
        _("Closing stock"),
    ]


def export_rows(report: StoreReport) -> list[list]:
    """The stock table, then the store points, for CSV and XLSX."""
    rows = [row.cells for row in report.rows]
    rows += [
        [],
        [_("Store points credited"), report.credited],
        [_("Store points spent"), report.spent],
        [_("Store points given back by returns"), report.returned],
        [_("Net"), report.net],
    ]
    return rows


def report_pdf(report: StoreReport) -> bytes:
    """A4, one page for a village store: the stock table and the points."""
    import io

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = register_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=15, leading=21, spaceAfter=6)
    heading = ParagraphStyle("heading", parent=base, fontSize=11.5, leading=16, spaceBefore=10, spaceAfter=4)
    month = date_format(report.month, "YEAR_MONTH_FORMAT")

    def table(rows: list[list]) -> Table:
        t = Table([[Paragraph(str(c), base) for c in row] for row in rows], repeatRows=1, hAlign="LEFT")
        t.setStyle(
            TableStyle(
                [
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor("#cccccc")),
                ]
            )
        )
        return t

    story = [
        Paragraph(
            _("%(village)s · points store · %(month)s") % {"village": report.village.name, "month": month}, title
        ),
        Paragraph(_("Stock"), heading),
        table([stock_header(), *[row.cells for row in report.rows]] if report.rows else [[_("No goods moved.")]]),
        Paragraph(
            _("Opening stock + delivered − redeemed + returned − written off = closing stock: %(check)s")
            % {"check": _("reconciled") if report.reconciled else _("does NOT reconcile")},
            base,
        ),
        Spacer(1, 4 * mm),
        Paragraph(_("Store points"), heading),
        table(
            [
                [_("Credited from deeds"), _("Spent"), _("Given back by returns"), _("Net"), _("Receipts")],
                [report.credited, report.spent, report.returned, report.net, report.receipts],
            ]
        ),
        Paragraph(_("Spending never changes a grade: store points are a separate ledger."), base),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=_("Points store report"), invariant=1).build(story)
    return buffer.getvalue()
