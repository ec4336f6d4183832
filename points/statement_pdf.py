"""A resident's statement as an A4 PDF for the office printer (the Chinese font embedded).

Bilingual labels, like the certificates: the paper is read by whoever holds it. The same content as
the HTML statement: standing, the 12 months as a table, and every entry of those months.
"""

import io
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from points.certificates import INK, MUTED, SEAL_RED, format_points
from points.chart import Chart
from points.ledger import Line
from points.standing import Standing
from villages.models import Resident
from villages.pdf import FONT, register_font

STATES = {
    "counting": "计分 counts",
    "expired": "已到期 expired",
    "reversed": "已撤销 reversed",
    "under_appeal": "申诉中 under appeal",
}


def render_statement(
    *, resident: Resident, standing: Standing, chart: Chart, lines: list[Line], printed_by: str, printed_on: date
) -> bytes:
    register_font()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title="积分对账单 Points statement",
        author="Village Points",
        invariant=1,
    )
    body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, textColor=INK)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=MUTED)
    title = ParagraphStyle("title", parent=body, fontSize=18, leading=24, textColor=SEAL_RED)
    heading = ParagraphStyle("heading", parent=body, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    village = resident.village
    balance = format_points(standing.balance)
    story = [
        Paragraph(village.seal_text or village.name, small),
        Paragraph("积分对账单 · Points statement", title),
        Paragraph(
            f"姓名 Resident: {resident.name} · 户号 Household: {resident.household.number} · "
            f"截至 As of: {standing.on:%Y-%m-%d} · 打印人 Printed by: {printed_by} ({printed_on:%Y-%m-%d})",
            body,
        ),
        Spacer(1, 4 * mm),
        Paragraph(f"等级 Grade <b>{standing.grade}</b> · 积分 Points <b>{balance}</b>", heading),
    ]
    up, down = standing.to_next_grade_up, standing.to_next_grade_down
    if up:
        story.append(
            Paragraph(f"再得 {format_points(up[1])} 分升至 {up[0]} · {format_points(up[1])} more for {up[0]}", body)
        )
    if down:
        story.append(
            Paragraph(
                f"再扣 {format_points(down[1])} 分降至 {down[0]} · losing {format_points(down[1])} drops to {down[0]}",
                body,
            )
        )
    story.append(Paragraph("近12个月 · The last 12 months", heading))
    months = [["月份 Month", "积分 Points", "等级 Grade"]] + [
        [f"{p.month:%Y-%m}", format_points(p.balance), p.grade] for p in chart.points
    ]
    story.append(_table(months, widths=[40 * mm, 40 * mm, 30 * mm]))
    story.append(Paragraph("近12个月记录 · Entries of the last 12 months", heading))
    rows = [["日期 Date", "细则 Item", "分 Points", "罚款 Fine", "状态 State"]]
    for line in lines:
        entry = line.entry
        rows.append(
            [
                f"{entry.occurred_on:%Y-%m-%d}",
                Paragraph(f"{entry.item.code} {entry.item.title}", small),
                f"{entry.points:+}",
                f"{entry.fine_yuan} 元" if entry.fine_yuan else "",
                STATES.get(line.state, line.state),
            ]
        )
    if len(rows) == 1:
        rows.append(["—", "无记录 No entries", "", "", ""])
    story.append(_table(rows, widths=[24 * mm, 76 * mm, 18 * mm, 18 * mm, 38 * mm]))
    story.append(Spacer(1, 6 * mm))
    story.append(
        Paragraph("如有异议，可在记录后30天内向村委会申诉。Entries can be appealed at the village office.", small)
    )
    document.build(story)
    return buffer.getvalue()


def _table(rows: list[list], *, widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 8.5),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.2, MUTED),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table
