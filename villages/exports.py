"""CSV and XLSX downloads that are safe to open in a spreadsheet.

A text cell starting with = + - @ (or a tab or carriage return) would be run as a formula by
Excel or WPS ("CSV injection"): such cells get a leading single quote. Numbers and dates stay
numbers and dates. CSV files carry a UTF-8 byte order mark, so Excel on a Chinese Windows reads
the characters right.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: object) -> object:
    """The value to write: text that a spreadsheet would run as a formula is prefixed with a quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal | date | datetime):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _disposition(filename: str) -> str:
    # RFC 6266: an ASCII fallback plus the UTF-8 name, for Chinese file names.
    fallback = filename.encode("ascii", "ignore").decode() or "export"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(*, filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> StreamingHttpResponse:
    """Stream the rows as CSV (UTF-8 with BOM), so a large village never sits in memory."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow([safe_cell(cell) for cell in header])
        for row in rows:
            yield writer.writerow([_csv_text(safe_cell(cell)) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _disposition(filename)
    return response


def _csv_text(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def xlsx_response(
    *, filename: str, sheet: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    """One worksheet, written in openpyxl's streaming (write-only) mode."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=sheet[:31])
    worksheet.append([safe_cell(cell) for cell in header])
    for row in rows:
        worksheet.append([_xlsx_value(safe_cell(cell)) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = _disposition(filename)
    return response


def _xlsx_value(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; callers pass village-local times
    return value
