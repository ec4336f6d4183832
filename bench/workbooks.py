"""Workbooks built by hand for the import tests and bench: what openpyxl itself would never write.

.venv/bin/python -m bench.workbooks     # how long the import takes to refuse a 2 MB bomb (goal < 2 s)
"""

import io
import statistics
import time
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


BOMB_GOAL_SECONDS = 2.0


def bomb_of(max_bytes: int) -> bytes:
    """A bomb of 400-cell rows just under an upload limit of 2 MB (about 0.7 GB once unpacked)."""
    bomb = workbook_bomb(45_000, 400)  # 2,077,290 bytes
    assert len(bomb) <= max_bytes, "the bomb must pass the upload limit to test what comes after it"
    return bomb


def refusal_seconds(data: bytes, *, runs: int) -> list[float]:
    """Seconds villages.importing.read_rows takes to refuse `data`, `runs` times."""
    from datetime import date

    from django.core.exceptions import ValidationError

    from villages.importing import read_rows

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        try:
            read_rows(data=data, filename="bomb.xlsx", today=date(2026, 1, 1))
        except ValidationError:
            times.append(time.perf_counter() - start)
        else:
            raise RuntimeError("the workbook bomb was accepted")
    return times


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    from villages.importing import MAX_BYTES

    bomb = bomb_of(MAX_BYTES)
    median = statistics.median(refusal_seconds(bomb, runs=5))
    verdict = "met" if median < BOMB_GOAL_SECONDS else "NOT met"
    size = len(bomb) / 1e6
    print(f"a {size:.2f} MB workbook bomb refused in {median * 1000:.2f} ms (goal < {BOMB_GOAL_SECONDS:g} s):", verdict)
