"""Workbooks built by hand for the import tests: what openpyxl itself would never write."""

import io
import zipfile

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"


def _cell(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def workbook_bomb(rows: int, columns: int) -> bytes:
    """An .xlsx whose sheet has the register's header, then `rows` rows of `columns` one-letter
    cells without r= attributes: it compresses to little and unpacks to a great deal."""
    skeleton = io.BytesIO()
    Workbook().save(skeleton)
    body = "<row>" + _cell("x") * columns + "</row>"
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + "<row>"
        + _cell("姓名")
        + _cell("户号")
        + "</row>"
        + body * rows
        + "</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(skeleton) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, sheet if info.filename == SHEET else source.read(info.filename))
    return out.getvalue()
