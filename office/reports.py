"""The monthly village report (PDF) and the ledger export rows.

The PDF embeds WenQuanYi Micro Hei as a TrueType subset: ReportLab's built-in CID fonts (STSong)
are not embedded, so a reader without them shows empty boxes instead of characters.
"""

import io
from collections.abc import Iterator
from datetime import date

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from office.dashboard import Dashboard
from points.heads import Head
from points.models import Entry
from villages.models import Resident, Village
from villages.pdf import FONT, register_font, text_paragraph
from villages.templatetags.points_format import format_points


def monthly_report_pdf(d: Dashboard, *, head: Head, head_final: bool) -> bytes:
    """A4, one or two pages: the month's figures as the dashboard shows them, as tables, and the
    ledger's chain head (points.heads), final for an ended month, so far for the current one."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    font = register_font()
    base = ParagraphStyle("base", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=16, leading=22, spaceAfter=4)
    heading = ParagraphStyle("heading", parent=base, fontSize=12, leading=18, spaceBefore=10, spaceAfter=4)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#555555"))
    month = date_format(d.month, "YEAR_MONTH_FORMAT")

    def table(header: list[str], rows: list[list], widths: list[float] | None = None) -> Table:
        cells = [[text_paragraph(str(c), base) for c in header]] + [
            [text_paragraph(str(c), base) for c in row] for row in rows
        ]
        t = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
        t.setStyle(
            TableStyle(
                [
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor("#cccccc")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    story = [
        text_paragraph(
            _("%(village)s · monthly report · %(month)s") % {"village": d.village.name, "month": month}, title
        ),
    ]
    if d.village.seal_text:
        story.append(text_paragraph(d.village.seal_text, base))
    story += [
        text_paragraph(
            _("Balances and grades as of %(date)s.") % {"date": date_format(d.on, "DATE_FORMAT")},
            small,
        ),
        Spacer(1, 4 * mm),
        table(
            [_("Residents living here"), _("Average balance"), _("Deeds"), _("Infractions"), _("Open appeals")],
            [[d.residents, format_points(d.average), d.month_totals.deeds, d.month_totals.infractions, len(d.appeals)]],
        ),
        text_paragraph(_("Grade distribution"), heading),
        table([_("Grade"), _("Residents"), _("Share")], [[g.grade, g.count, f"{g.share}%"] for g in d.grades]),
        text_paragraph(_("Balance trend"), heading),
        table(
            [_("Month"), _("Average balance"), *d.grade_names],
            [
                [date_format(t.month, "YEAR_MONTH_FORMAT"), format_points(t.average)]
                + [t.grades.get(g, 0) for g in d.grade_names]
                for t in d.trend
            ],
        ),
        text_paragraph(_("Deeds and infractions by handbook page"), heading),
    ]
    if d.pages:
        story.append(
            table(
                [_("Page"), _("Deeds"), _("Points"), _("Infractions"), _("Points")],
                [
                    [
                        f"{p.number}. {p.title}",
                        p.deeds,
                        format_points(p.deed_points),
                        p.infractions,
                        format_points(p.infraction_points),
                    ]
                    for p in d.pages
                ],
                widths=[70 * mm, 22 * mm, 22 * mm, 22 * mm, 22 * mm],
            )
        )
    else:
        story.append(text_paragraph(_("Nothing was recorded this month."), base))
    story.append(text_paragraph(_("Scorer activity"), heading))
    if d.scorers:
        story.append(
            table(
                [_("Recorded by"), _("Entries"), _("Deeds"), _("Infractions"), _("Reversed")],
                [[s.name, s.entries, s.deeds, s.infractions, s.reversed] for s in d.scorers],
            )
        )
    else:
        story.append(text_paragraph(_("Nothing was recorded this month."), base))
    story.append(text_paragraph(_("Open appeals"), heading))
    if d.appeals:
        story.append(
            table(
                [_("Resident"), _("Entry"), _("Days open")],
                [
                    [
                        a.resident_name,
                        f"{a.item_code} {a.item_title}",
                        a.age_days,
                    ]
                    for a in d.appeals
                ],
                widths=[35 * mm, 100 * mm, 25 * mm],
            )
        )
    else:
        story.append(text_paragraph(_("No appeal is waiting."), base))
    story += [
        text_paragraph(_("Ledger chain head"), heading),
        table([_("Last entry"), _("Entries in the chain")], [[head.entry_id or "-", head.entries]]),
        # Full width: the 64 characters of the hash on one line, to be compared character by character.
        text_paragraph(_("Chain hash: %(hash)s") % {"hash": head.chain_hash}, base),
        text_paragraph(
            _(
                "Keep this page. `manage.py verify_ledger --published` checks that the ledger still reaches this "
                "head: a missing entry or another hash means entries were changed or deleted after it was printed."
            )
            if head_final
            else _(
                "The month has not ended: this is the head so far. The head at the end of the month is published "
                "on the first day of the next month; print the report again then."
            ),
            small,
        ),
    ]
    generated = date_format(timezone.localtime(timezone.now(), d.village.tzinfo), "DATETIME_FORMAT")

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(15 * mm, 10 * mm, _("Printed %(when)s") % {"when": generated})
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, str(doc.page))
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=f"{d.village.name} {month}",
        author=d.village.seal_text or d.village.name,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


# --- Ledger export -------------------------------------------------------------------------------


def ledger_header() -> list[str]:
    return [
        _("Entry"),
        _("Date of the deed"),
        _("Household"),
        _("Resident"),
        _("Item code"),
        _("Item"),
        _("Kind"),
        _("Points"),
        _("Fine (yuan)"),
        _("Counts from"),
        _("Stops counting on"),
        _("Recorded by"),
        _("Recorded at"),
        _("Note"),
        _("Witness"),
        _("Reverses entry"),
        _("Reason"),
    ]


def ledger_rows(*, village: Village, resident: Resident | None = None, month: date | None = None) -> Iterator[list]:
    """One row per ledger entry (reversals included, pointing at what they reverse), oldest first.
    One query, read in chunks."""
    entries = Entry.objects.filter(village=village).select_related("resident__household", "item", "recorded_by")
    if resident is not None:
        entries = entries.filter(resident=resident)
    if month is not None:
        entries = entries.filter(occurred_on__year=month.year, occurred_on__month=month.month)
    tz = village.tzinfo
    for e in entries.order_by("occurred_on", "recorded_at", "pk").iterator(chunk_size=1000):
        yield [
            e.pk,
            e.occurred_on,
            e.resident.household.number,
            e.resident.name,
            e.item.code,
            e.item.title,
            e.item.get_kind_display(),
            e.points,
            e.fine_yuan,
            e.counts_from,
            e.expires_on,
            e.recorded_by.get_full_name() or e.recorded_by.get_username(),
            timezone.localtime(e.recorded_at, tz).replace(microsecond=0),
            e.note,
            e.witness,
            e.reverses_id,
            e.reason,
        ]
