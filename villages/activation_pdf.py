"""Activation slips: one per new login, eight to an A4 page, the Chinese font embedded. Each slip
carries the login's user name and its one-time code in clear, so the PDF is printed and handed out,
never stored."""

import io
from collections.abc import Iterable
from dataclasses import dataclass

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from villages.pdf import FONT, register_font

INK = Color(0.12, 0.12, 0.14)
MUTED = Color(0.38, 0.38, 0.42)
RED = Color(0.80, 0.07, 0.10)
PER_PAGE = 8


@dataclass(frozen=True)
class Slip:
    village_name: str
    resident_name: str
    household_number: str
    username: str
    code: str
    activate_url: str


def render_slips(slips: Iterable[Slip]) -> bytes:
    register_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle("Village Points activation slips")
    width, height = A4
    slot_height = (height - 20 * mm) / (PER_PAGE // 2)
    slot_width = (width - 20 * mm) / 2
    count = 0
    for count, slip in enumerate(slips, start=1):
        index = (count - 1) % PER_PAGE
        x = 10 * mm + (index % 2) * slot_width
        y = height - 10 * mm - (index // 2 + 1) * slot_height
        _slip(canvas, slip, x=x, y=y, w=slot_width, h=slot_height)
        if count % PER_PAGE == 0:
            canvas.showPage()
    if count % PER_PAGE or count == 0:
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _slip(canvas: Canvas, slip: Slip, *, x: float, y: float, w: float, h: float) -> None:
    canvas.setStrokeColor(MUTED)
    canvas.setDash(2, 2)
    canvas.rect(x, y, w, h, stroke=1, fill=0)
    canvas.setDash()
    left, top = x + 6 * mm, y + h - 8 * mm
    canvas.setFillColor(RED)
    canvas.setFont(FONT, 9)
    canvas.drawString(left, top, f"{slip.village_name} · 村民积分账号 Your login")
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 15)
    canvas.drawString(left, top - 10 * mm, f"{slip.resident_name}  ({slip.household_number})")
    lines = [
        ("用户名 User name", slip.username),
        ("激活码 Activation code", slip.code),
    ]
    row = top - 20 * mm
    for label, value in lines:
        canvas.setFillColor(MUTED)
        canvas.setFont(FONT, 8)
        canvas.drawString(left, row, label)
        canvas.setFillColor(INK)
        canvas.setFont(FONT, 13)
        canvas.drawString(left + 36 * mm, row, value)
        row -= 8 * mm
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 7.5)
    canvas.drawString(left, row - 2 * mm, "在此网址设置密码（激活码只能用一次，30天内有效）：")
    canvas.drawString(left, row - 6 * mm, "Set your password at (the code works once, for 30 days):")
    canvas.setFillColor(INK)
    canvas.drawString(left, row - 10.5 * mm, slip.activate_url)
