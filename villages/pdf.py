"""What the printed documents share (the handbook booklet, the certificates, the monthly report): the
embedded Chinese font, the star of the village seal, and text set safely in a paragraph.

WenQuanYi Micro Hei (Debian's fonts-wqy-microhei) is embedded as a subset: ReportLab's built-in
CID fonts are not embedded and print as empty boxes on printers and viewers without Chinese fonts.
"""

import math
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT = "WQYMicroHei"


def register_font() -> str:
    """Register the embedded font once per process and return its name."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, FONT_PATH, subfontIndex=0))
    return FONT


def fill_star(canvas: Canvas, *, x: float, y: float, radius: float) -> None:
    """A filled five-pointed star centred on (x, y), one point straight up, in the fill colour."""
    path = canvas.beginPath()
    for point in range(10):
        angle = math.pi / 2 + point * math.pi / 5
        r = radius if point % 2 == 0 else radius * 0.382
        px, py = x + r * math.cos(angle), y + r * math.sin(angle)
        if point == 0:
            path.moveTo(px, py)
        else:
            path.lineTo(px, py)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


def text_paragraph(text: object, style: ParagraphStyle, *, line_breaks: bool = False) -> Paragraph:
    """A ReportLab paragraph showing `text` exactly as written. Every text a PDF sets in a Paragraph
    goes through here: Paragraph parses its text as markup, so a name like `a <br> b` or
    `<img src="/path">` would break the layout or embed a file from the server's disk. With
    `line_breaks`, the text's own new lines are kept."""
    escaped = escape(str(text), {'"': "&quot;"})
    if line_breaks:
        escaped = escaped.replace("\n", "<br/>")
    return Paragraph(escaped, style)
