"""The printed handbook: an edition as an A5 booklet, a cover and then one sheet per handbook page,
to print at the village office and hand to every household.

WenQuanYi Micro Hei is embedded (as a subset) so Chinese prints the same on any printer; ReportLab's
built-in CID fonts are not embedded and come out as boxes on printers without Chinese fonts.
"""

import io
from datetime import date

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepInFrame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from handbook.models import Edition, Item, Page
from villages.pdf import FONT, fill_star, register_font, text_paragraph
from villages.templatetags.points_format import format_points

SEAL_RED = colors.Color(0.78, 0.1, 0.1)
INK = colors.Color(0.1, 0.1, 0.1)
MUTED = colors.Color(0.35, 0.35, 0.35)
GREEN = colors.Color(0.1, 0.43, 0.23)
RED = colors.Color(0.7, 0.15, 0.12)
MARGIN = 12 * mm
PAGE_WIDTH, PAGE_HEIGHT = A5


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9.5, leading=13, textColor=INK, wordWrap="CJK")
    return {
        "page_title": ParagraphStyle("page_title", parent=base, fontSize=16, leading=21, spaceAfter=3 * mm),
        "code": ParagraphStyle("code", parent=base, fontSize=10.5, leading=14, textColor=SEAL_RED),
        "title": ParagraphStyle("title", parent=base, fontSize=10.5, leading=14),
        "description": ParagraphStyle("description", parent=base, fontSize=8.5, leading=11.5, textColor=MUTED),
        "rules": ParagraphStyle("rules", parent=base, fontSize=8.5, leading=11.5),
        "plus": ParagraphStyle("plus", parent=base, fontSize=12, leading=14, textColor=GREEN, alignment=2),
        "minus": ParagraphStyle("minus", parent=base, fontSize=12, leading=14, textColor=RED, alignment=2),
        "cover_small": ParagraphStyle("cover_small", parent=base, fontSize=9, leading=13, alignment=TA_CENTER),
    }


def render_booklet(edition: Edition) -> bytes:
    """The booklet PDF for `edition`: a cover, then exactly one sheet per page (a page too long for
    one sheet is shrunk to fit). Three queries: the village, the pages, the items."""
    register_font()
    village = edition.village
    pages = list(edition.pages.order_by("number"))
    items: dict[int, list[Item]] = {}
    for item in edition.items.order_by("page__number", "position", "code"):
        items.setdefault(item.page_id, []).append(item)
    styles = _styles()

    buffer = io.BytesIO()
    document = BaseDocTemplate(
        buffer,
        pagesize=A5,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm,
        title=f"{village.name} · {edition.title}",
        author=village.seal_text or village.name,
        subject=_("Edition %(number)d") % {"number": edition.number},
        creator="Village Points",
        initialFontName=FONT,  # otherwise every page names Helvetica, a font not embedded
    )
    frame = Frame(
        MARGIN, MARGIN + 6 * mm, PAGE_WIDTH - 2 * MARGIN, PAGE_HEIGHT - 2 * MARGIN - 6 * mm, id="body", showBoundary=0
    )
    footer_text = _("%(title)s · edition %(number)d") % {"title": edition.title, "number": edition.number}

    def draw_footer(canvas: Canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, MARGIN, footer_text)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, MARGIN, f"— {doc.page - 1} —")
        canvas.restoreState()

    document.addPageTemplates(
        [
            PageTemplate(id="cover", frames=[frame], onPage=lambda canvas, doc: None),
            PageTemplate(id="page", frames=[frame], onPage=draw_footer),
        ]
    )
    story = [_Cover(edition, styles), NextPageTemplate("page"), PageBreak()]
    for index, page in enumerate(pages):
        story.append(
            KeepInFrame(frame._aW, frame._aH, _page_story(page, items.get(page.pk, []), styles), mode="shrink")
        )
        if index < len(pages) - 1:
            story.append(PageBreak())
    document.build(story)
    return buffer.getvalue()


def _page_story(page: Page, items: list[Item], styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [text_paragraph((f"{page.number}. {page.title}"), styles["page_title"])]
    if not items:
        story.append(text_paragraph((_("This page has no items.")), styles["description"]))
        return story
    rows = []
    for item in items:
        cell = [text_paragraph((item.title), styles["title"])]
        rules = _rules(item)
        if rules:
            cell.append(text_paragraph((" · ".join(rules)), styles["rules"]))
        if item.description:
            cell.append(text_paragraph(item.description, styles["description"], line_breaks=True))
        points_style = styles["minus"] if item.kind == Item.Kind.INFRACTION else styles["plus"]
        rows.append(
            [
                text_paragraph((item.code), styles["code"]),
                cell,
                text_paragraph(format_points(item.signed_points, signed=True), points_style),
            ]
        )
    width = PAGE_WIDTH - 2 * MARGIN
    table = Table(rows, colWidths=[12 * mm, width - 30 * mm, 18 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),  # the cells' default, Helvetica, is not embedded
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.Color(0.8, 0.78, 0.72)),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    story.append(table)
    return story


def _rules(item: Item) -> list[str]:
    rules = [item.get_kind_display()]
    if item.fine_yuan:
        rules.append(_("fine ¥%(fine)d") % {"fine": item.fine_yuan})
    if item.cap_count:
        if item.cap_period == Item.Period.YEAR:
            text = ngettext("at most %(count)d time a year", "at most %(count)d times a year", item.cap_count)
        else:
            text = ngettext("at most %(count)d time a month", "at most %(count)d times a month", item.cap_count)
        rules.append(text % {"count": item.cap_count})
    if item.validity_months:
        rules.append(
            ngettext(
                "stops counting after %(months)d month",
                "stops counting after %(months)d months",
                item.validity_months,
            )
            % {"months": item.validity_months}
        )
    if item.warning_days and item.kind == Item.Kind.INFRACTION:
        rules.append(
            ngettext(
                "deducted only after a warning in the %(days)d day before",
                "deducted only after a warning in the %(days)d days before",
                item.warning_days,
            )
            % {"days": item.warning_days}
        )
    if item.kind == Item.Kind.WARNING:
        if item.warns_for:
            rules.append(_("comes before %(code)s") % {"code": item.warns_for})
        rules.append(
            ngettext("shows for %(days)d day", "shows for %(days)d days", item.warning_days or 0)
            % {"days": item.warning_days or 0}
        )
    return rules


def _date(value: date | None) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else ""


class _Cover(Flowable):
    """The cover: village, edition, when it is in force, and the committee's seal."""

    def __init__(self, edition: Edition, styles: dict[str, ParagraphStyle]) -> None:
        super().__init__()
        self.edition = edition
        self.styles = styles

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width, self.height = available_width, available_height - 1
        return self.width, self.height

    def draw(self) -> None:
        canvas, edition, village = self.canv, self.edition, self.edition.village
        middle = self.width / 2
        canvas.setFillColor(INK)
        canvas.setFont(FONT, 24)
        canvas.drawCentredString(middle, self.height - 30 * mm, village.name)
        canvas.setFont(FONT, 17)
        canvas.drawCentredString(middle, self.height - 45 * mm, edition.title)
        canvas.setFont(FONT, 10)
        canvas.setFillColor(MUTED)
        if edition.effective_from:
            line = _("Edition %(number)d · in force from %(date)s") % {
                "number": edition.number,
                "date": _date(edition.effective_from),
            }
        else:
            line = _("Edition %(number)d · draft, not yet in force") % {"number": edition.number}
        canvas.drawCentredString(middle, self.height - 55 * mm, line)
        if village.seal_text:
            draw_seal(canvas, x=middle, y=self.height / 2 - 12 * mm, radius=26 * mm, text=village.seal_text)
        note = text_paragraph(
            _(
                "Keep this booklet at home. It lists every deed and infraction the village scores, "
                "with its points. Ask the village office about any entry in your ledger."
            ),
            self.styles["cover_small"],
        )
        _w, h = note.wrap(self.width - 10 * mm, 40 * mm)
        note.drawOn(canvas, 5 * mm, 4 * mm)
        canvas.setFont(FONT, 9)
        canvas.setFillColor(INK)
        canvas.drawCentredString(middle, 4 * mm + h + 4 * mm, village.seal_text or village.name)


def draw_seal(canvas: Canvas, *, x: float, y: float, radius: float, text: str) -> None:
    """A plain red seal: a double ring, a star, and the seal text across the middle."""
    canvas.saveState()
    canvas.setStrokeColor(SEAL_RED)
    canvas.setFillColor(SEAL_RED)
    canvas.setLineWidth(radius * 0.06)
    canvas.circle(x, y, radius, stroke=1, fill=0)
    canvas.setLineWidth(radius * 0.02)
    canvas.circle(x, y, radius * 0.86, stroke=1, fill=0)
    fill_star(canvas, x=x, y=y + radius * 0.25, radius=radius * 0.28)
    # As large as fits inside the inner ring.
    size = min(radius * 0.2, radius * 1.5 / max(len(text), 1))
    canvas.setFont(FONT, size)
    canvas.drawCentredString(x, y - radius * 0.35, text)
    canvas.restoreState()
