"""Resident cards as PDF: business-card size (85 × 54 mm), ten to an A4 sheet, cut marks between.

Pure functions from what a card shows to PDF bytes, like points.certificates. The QR code and the
typed code are secrets in clear: the PDF exists only to be printed (the sheet job keeps it under
MEDIA_ROOT, served only to the office, and discards it with old certificate batches).
"""

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from points.certificates import INK, MUTED, SEAL_RED, draw_qr
from villages.pdf import FONT, register_font

CARD_WIDTH, CARD_HEIGHT = 85 * mm, 54 * mm
COLUMNS, ROWS = 2, 5
PER_PAGE = COLUMNS * ROWS


@dataclass(frozen=True)
class CardFace:
    village_name: str
    resident_name: str
    household_number: str
    url: str  # the QR code's address, with the token
    code: str  # the typed code as printed, e.g. 4K7M-2Q9X-TR8C
    enter_url: str  # where to type the code


def render_cards(faces: Iterable[CardFace], *, on_card: Callable[[int], None] | None = None) -> bytes:
    """The cards on A4 sheets, in the order given. `on_card(number)` after each card, for progress."""
    buffer = io.BytesIO()
    canvas = new_sheet_canvas(buffer)
    count = draw_cards(canvas, faces, on_card=on_card)
    if count == 0:
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def new_sheet_canvas(target) -> Canvas:
    register_font()
    canvas = Canvas(target, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle("Village Points resident cards")
    canvas.setAuthor("Village Points")
    return canvas


def draw_cards(canvas: Canvas, faces: Iterable[CardFace], *, on_card=None, start: int = 0) -> int:
    """Draw cards from position `start` of the sheet sequence; returns the position after the last.
    A page is finished (showPage) whenever it is full."""
    position = start
    for face in faces:
        slot = position % PER_PAGE
        column, row = slot % COLUMNS, slot // COLUMNS
        page_width, page_height = A4
        left = (page_width - COLUMNS * CARD_WIDTH) / 2 + column * CARD_WIDTH
        top = page_height - (page_height - ROWS * CARD_HEIGHT) / 2 - row * CARD_HEIGHT
        draw_card(canvas, face, x=left, y=top - CARD_HEIGHT)
        position += 1
        if on_card is not None:
            on_card(position)
        if position % PER_PAGE == 0:
            canvas.showPage()
    return position


def finish(canvas: Canvas, position: int) -> None:
    if position % PER_PAGE or position == 0:
        canvas.showPage()
    canvas.save()


def draw_card(canvas: Canvas, face: CardFace, *, x: float, y: float) -> None:
    """One card with its lower left corner at (x, y)."""
    canvas.saveState()
    canvas.setStrokeColor(MUTED)
    canvas.setLineWidth(0.3)
    canvas.setDash(2, 2)
    canvas.rect(x, y, CARD_WIDTH, CARD_HEIGHT, stroke=1, fill=0)  # cut line
    canvas.setDash()
    pad = 4 * mm
    canvas.setFillColor(SEAL_RED)
    canvas.setFont(FONT, 8)
    canvas.drawString(x + pad, y + CARD_HEIGHT - pad - 3 * mm, f"{face.village_name} · 村民积分卡")
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 16)
    canvas.drawString(x + pad, y + CARD_HEIGHT - pad - 12 * mm, face.resident_name)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 7)
    canvas.drawString(x + pad, y + CARD_HEIGHT - pad - 17 * mm, f"户号 Household {face.household_number}")
    canvas.drawString(x + pad, y + 17 * mm, "扫码查看本人积分 Scan to see your points")
    canvas.drawString(x + pad, y + 13 * mm, "或输入卡号 or type the code at")
    canvas.drawString(x + pad, y + 9.5 * mm, face.enter_url)
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 10)
    canvas.drawString(x + pad, y + pad, face.code)
    qr = 30 * mm
    draw_qr(canvas, face.url, x=x + CARD_WIDTH - pad - qr, y=y + CARD_HEIGHT - pad - qr - 2 * mm, size=qr)
    canvas.restoreState()
