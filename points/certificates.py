"""Certificate PDFs: pure functions from a certificate's data to PDF bytes.

No database and no request here: the same data always gives the same bytes (ReportLab's invariant
mode), so a reprint is the certificate that was issued and a batch can be rendered again after a
worker died. A5 landscape, bilingual on purpose (a certificate is read by people of either language,
whatever the issuer's screen showed), the red seal and the QR code drawn as vectors.

Fonts: WenQuanYi Micro Hei (Debian's fonts-wqy-microhei, installed by `make`), embedded as a subset.
ReportLab's built-in CID fonts are not embedded and print as empty boxes on many viewers.

Speed (bench/certificates.py): ReportLab's C accelerators (the rl-accel package) and a fixed QR
mask are what keep a 1,000-resident batch well under 15 s on one core.
"""

import hashlib
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

import segno
from pypinyin import lazy_pinyin
from reportlab.lib.colors import Color, white
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from villages.pdf import FONT, fill_star, register_font
from villages.templatetags.points_format import format_points

PAGE = landscape(A5)  # 210 × 148 mm

SEAL_RED = Color(0.80, 0.07, 0.10)
INK = Color(0.12, 0.12, 0.14)
MUTED = Color(0.38, 0.38, 0.42)
GOLD = Color(0.72, 0.55, 0.20)


@dataclass(frozen=True)
class CertificateData:
    """What a certificate shows, as recorded at issue (see points.models.Certificate.data)."""

    serial: str
    village_name: str
    seal_text: str
    resident_name: str
    grade: str
    balance: Decimal
    issued_on: date
    verify_url: str
    benefits: tuple[str, ...] = ()  # what the grade gave on the day of issue: "text (provider)"


def render_certificate(data: CertificateData) -> bytes:
    """One certificate as a one-page PDF."""
    return render_certificates([data])


def render_certificates(certificates: Iterable[CertificateData], *, on_page=None) -> bytes:
    """Many certificates as one printable PDF, a page each, in the order given.

    `on_page(number)` (optional) is called after each page is drawn, for progress reports."""
    buffer = io.BytesIO()
    canvas = new_canvas(buffer)
    for number, data in enumerate(certificates, start=1):
        draw_certificate(canvas, data)
        canvas.showPage()
        if on_page is not None:
            on_page(number)
    canvas.save()
    return buffer.getvalue()


def new_canvas(target) -> Canvas:
    """An A5 landscape canvas in invariant mode (no creation date, fixed ids: reproducible bytes)."""
    register_font()
    canvas = Canvas(target, pagesize=PAGE, invariant=1, pageCompression=1)
    canvas.setTitle("Village Points certificate")
    canvas.setAuthor("Village Points")
    return canvas


def draw_certificate(canvas: Canvas, data: CertificateData) -> None:
    """Draw one certificate on the canvas's current page.

    What every certificate of a village shares (frame, headings, labels, the seal) is drawn once
    per PDF as a reusable form (a PDF XObject) and placed on each page: a batch of a thousand
    draws the seal's characters and the village's pinyin once, not a thousand times. The benefits
    of a grade on a day are a form of their own, placed on the pages that list the same ones."""
    width, height = PAGE
    form = "village-" + _digest(data.village_name, data.seal_text)
    if not canvas.hasForm(form):
        canvas.beginForm(form)
        _village_page(canvas, data, width, height)
        canvas.endForm()
        # The seal in a form of its own, drawn opaque: a form carries no transparency of its own,
        # so the ink's translucency is set on the page around it.
        canvas.beginForm(form + "-seal")
        draw_seal(canvas, x=172 * mm, y=36 * mm, radius=18 * mm, text=data.seal_text or data.village_name, alpha=1)
        canvas.endForm()
    canvas.doForm(form)
    if data.benefits:
        benefits = "benefits-" + _digest(*data.benefits)
        if not canvas.hasForm(benefits):
            canvas.beginForm(benefits)
            _benefits(canvas, data.benefits, x=24 * mm, y=35 * mm, width=72 * mm)
            canvas.endForm()
        canvas.doForm(benefits)
    canvas.saveState()
    canvas.setFillAlpha(SEAL_ALPHA)
    canvas.setStrokeAlpha(SEAL_ALPHA)
    canvas.doForm(form + "-seal")
    canvas.restoreState()

    # The resident, their grade and the facts, in one text object (one BT … ET a page).
    issued = data.issued_on
    text = canvas.beginText()
    text.setFillColor(INK)
    text.setFont(FONT, 24)
    text.setTextOrigin(24 * mm, height - 70 * mm)
    text.textLine(data.resident_name)
    text.setFillColor(SEAL_RED)
    text.setFont(FONT, 40)
    text.setTextOrigin(24 * mm, height - 104 * mm)
    text.textLine(data.grade)
    text.setFillColor(INK)
    text.setFont(FONT, 10.5, leading=FACT_LEADING)
    text.setTextOrigin(FACT_VALUE_X, height - 90 * mm)
    text.textLine(format_points(data.balance, grouped=True))
    text.textLine(f"{issued.year}年{issued.month}月{issued.day}日 · {issued:%Y-%m-%d}")
    text.textLine(data.serial)
    canvas.drawText(text)

    # QR code: scan to verify.
    draw_qr(canvas, data.verify_url, x=QR_X, y=height - 56 * mm - QR_SIZE, size=QR_SIZE)


def _digest(*parts: str) -> str:
    """A short name for a form drawn from these texts."""
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:12]


FACT_LABELS = ["积分 Points", "颁发日期 Date of issue", "证书编号 Serial"]
FACT_LABEL_X, FACT_VALUE_X = 62 * mm, 100 * mm
FACT_LEADING = 7 * mm  # between the facts' lines
QR_SIZE = 30 * mm
QR_X = PAGE[0] - 24 * mm - QR_SIZE


def _village_page(canvas: Canvas, data: CertificateData, width: float, height: float) -> None:
    """Everything on a certificate that depends only on the village."""
    _frame(canvas, width, height)

    # Heading: village, then the title in both languages.
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 15)
    canvas.drawCentredString(width / 2, height - 24 * mm, data.village_name)
    canvas.setFont(FONT, 8.5)
    canvas.setFillColor(MUTED)
    canvas.drawCentredString(width / 2, height - 29 * mm, village_in_latin(data.village_name))
    canvas.setFillColor(SEAL_RED)
    canvas.setFont(FONT, 22)
    canvas.drawCentredString(width / 2, height - 40 * mm, "村民积分等级证书")
    canvas.setFont(FONT, 10)
    canvas.drawCentredString(width / 2, height - 46 * mm, "Certificate of Village Points Grade")

    left = 24 * mm
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 9)
    canvas.drawString(left, height - 58 * mm, "兹证明 This certifies that")
    canvas.drawString(left, height - 78 * mm, "在本村积分制管理中评定为 holds the grade")
    canvas.setFillColor(SEAL_RED)
    canvas.drawString(left, height - 88 * mm, "等级 Grade")
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 8.5)
    for n, label in enumerate(FACT_LABELS):
        canvas.drawString(FACT_LABEL_X, height - 90 * mm - n * FACT_LEADING, label)

    # Signature line, with the seal stamped across its end as a village office would.
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(0.6)
    canvas.line(100 * mm, 24 * mm, 165 * mm, 24 * mm)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 8)
    canvas.drawString(100 * mm, 19.5 * mm, "村主任签字 · Village head's signature")

    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 7.5)
    qr_y = height - 56 * mm - QR_SIZE
    canvas.drawCentredString(QR_X + QR_SIZE / 2, qr_y - 3.5 * mm, "扫码验证真伪 Scan to verify")


BENEFITS_PRINTED = 3


def _benefits(canvas: Canvas, benefits: tuple[str, ...], *, x: float, y: float, width: float) -> None:
    """Up to three benefits of the grade under it, in the free space left of the signature, each
    cut to `width` with an ellipsis."""
    canvas.setFillColor(SEAL_RED)
    canvas.setFont(FONT, 8)
    canvas.drawString(x, y, "凭本证可享 Benefits of this grade")
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 7.5)
    shown = list(benefits[:BENEFITS_PRINTED])
    if len(benefits) > BENEFITS_PRINTED:
        shown.append(f"… +{len(benefits) - BENEFITS_PRINTED}")
    for number, text in enumerate(shown, start=1):
        line = f"· {text}"
        while canvas.stringWidth(line, FONT, 7.5) > width and len(line) > 3:
            line = line[:-2] + "…"
        canvas.drawString(x, y - number * 4.2 * mm, line)


def _frame(canvas: Canvas, width: float, height: float) -> None:
    canvas.setStrokeColor(SEAL_RED)
    canvas.setLineWidth(2.2)
    canvas.rect(8 * mm, 8 * mm, width - 16 * mm, height - 16 * mm, stroke=1, fill=0)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.6)
    canvas.rect(10.5 * mm, 10.5 * mm, width - 21 * mm, height - 21 * mm, stroke=1, fill=0)


SEAL_ALPHA = 0.88  # slightly translucent, like ink over the signature line


def draw_seal(canvas: Canvas, *, x: float, y: float, radius: float, text: str, alpha: float = SEAL_ALPHA) -> None:
    """A red round seal: a ring, the text along the upper arc, a five-pointed star in the middle
    and a short line below it, as on a village committee's official seal."""
    canvas.saveState()
    if alpha < 1:
        canvas.setFillAlpha(alpha)
        canvas.setStrokeAlpha(alpha)
    canvas.setStrokeColor(SEAL_RED)
    canvas.setFillColor(SEAL_RED)
    canvas.setLineWidth(radius * 0.07)
    canvas.circle(x, y, radius, stroke=1, fill=0)

    fill_star(canvas, x=x, y=y, radius=radius * 0.30)

    # The text runs clockwise along the upper arc, each character upright towards the centre.
    chars = list(text)
    span = min(math.radians(210), math.radians(26) * max(len(chars) - 1, 1))
    step = span / (len(chars) - 1) if len(chars) > 1 else 0
    # As large as fits: at most a quarter of the radius, and a character's width per step of arc.
    size = radius * 0.25
    while len(chars) > 1 and size > radius * 0.08 and size > 0.85 * step * (radius * 0.82 - size / 2):
        size *= 0.95
    canvas.setFont(FONT, size)
    text_radius = radius * 0.82 - size / 2
    start = math.pi / 2 + span / 2
    for index, char in enumerate(chars):
        angle = start - index * step
        canvas.saveState()
        canvas.translate(x + text_radius * math.cos(angle), y + text_radius * math.sin(angle))
        canvas.rotate(math.degrees(angle) - 90)
        canvas.drawCentredString(0, -size * 0.35, char)
        canvas.restoreState()

    canvas.setFont(FONT, radius * 0.13)
    canvas.drawCentredString(x, y - radius * 0.6, "积分证书专用章")
    canvas.restoreState()


@lru_cache(maxsize=64)
def _qr_runs(url: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """The QR code's dark modules as horizontal runs (row, first column, length), with the size.

    Mask fixed: letting segno try all eight masks costs ~5 ms a code, half a certificate's time,
    and a fixed mask decodes just as well at this size."""
    code = segno.make(url, error="m", mask=0, micro=False)
    runs = []
    for row, line in enumerate(code.matrix):
        column = 0
        while column < len(line):
            if line[column]:
                start = column
                while column < len(line) and line[column]:
                    column += 1
                runs.append((row, start, column - start))
            else:
                column += 1
    return len(code.matrix), tuple(runs)


def draw_qr(canvas: Canvas, url: str, *, x: float, y: float, size: float) -> None:
    """The QR code as filled rectangles, on a white square with the standard 4-module quiet zone."""
    modules, runs = _qr_runs(url)
    module = size / (modules + 8)
    canvas.saveState()
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(INK)
    path = canvas.beginPath()
    top = y + size - 4 * module
    for row, column, length in runs:
        path.rect(x + (4 + column) * module, top - (row + 1) * module, length * module, module)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def village_in_latin(name: str) -> str:
    """The village's name in pinyin for the English line: 东岛刘家村 → "Dongdaoliujia Village"."""
    syllables = lazy_pinyin(name)
    suffix = ""
    if name.endswith("村") and len(syllables) > 1:
        syllables, suffix = syllables[:-1], " Village"
    return "".join(syllables).capitalize() + suffix
