"""Certificates per second on one process, against this machine's floor.

    .venv/bin/python bench/certificates.py [--count 200]

Prints, in one run: the floors (an empty ReportLab page; a page with a line in the embedded CJK
font and a QR code of a verify address as long as a real one), one certificate rendered as its own
PDF (a download or reprint), and a batch rendered into one PDF (what the batch task does), with the
projected time for a 1,000-resident village. Rendering only: no database (bench.run measures the
batch through the real task, issuing included).

Every certificate and every floor page has an address of its own (a running number), so no cache
of QR codes (points.certificates keeps 64) answers for a later one: a real batch never repeats one.
"""

import argparse
import base64
import hashlib
import io
import itertools
import os
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from points.certificates import (
    FONT,
    CertificateData,
    draw_certificate,
    draw_qr,
    new_canvas,
    render_certificate,
    render_certificates,
)

VILLAGE_SIZE = 1000
NAMES = ["刘建国", "刘秀英", "王志强", "李桂兰", "张玉珍", "于德明", "孙淑芬", "姜海燕", "林春生", "刘立新"]


def certificate(n: int) -> CertificateData:
    serial = f"DDLJ-2026-{n + 1:04d}"
    return CertificateData(
        serial=serial,
        village_name="东岛刘家村",
        seal_text="东岛刘家村村民委员会",
        resident_name=NAMES[n % len(NAMES)] + ("" if n < len(NAMES) else str(n)),
        grade=["A+", "A", "B", "C", "D"][n % 5],
        balance=Decimal(1000 + (n % 61) - 30) + (Decimal("0.5") if n % 3 == 0 else 0),
        issued_on=date(2026, 3, 5),
        verify_url=f"http://127.0.0.1:8000/verify/{serial}.{signature_like(serial)}/",
    )


def signature_like(serial: str) -> str:
    """43 characters as a real code's signature looks (URL-safe base64 of an HMAC, as random as
    one), so the QR code has as many dark runs to draw as a real one: 43 × "x" drew about 7 % more."""
    return base64.urlsafe_b64encode(hashlib.sha256(serial.encode()).digest()).decode().rstrip("=")


_numbers = itertools.count(10_000)  # distinct certificates for the whole run, never a cached QR code


def fresh(count: int) -> list[CertificateData]:
    """`count` certificates never rendered before in this process."""
    return [certificate(next(_numbers)) for _ in range(count)]


def per_item(function, count: int, *, rounds: int = 5) -> float:
    """Median seconds per item over `rounds` runs of `function(count)`."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        function(count)
        times.append((time.perf_counter() - start) / count)
    return statistics.median(times)


def empty_pages(count: int) -> None:
    for _ in range(count):
        canvas = new_canvas(io.BytesIO())
        canvas.showPage()
        canvas.save()


def font_pages(count: int) -> None:
    for n in range(count):
        canvas = new_canvas(io.BytesIO())
        canvas.setFont(FONT, 14)
        canvas.drawString(72, 300, f"东岛刘家村 村民积分等级证书 {NAMES[n % len(NAMES)]} DDLJ-2026-{n:04d}")
        canvas.showPage()
        canvas.save()


def _floor_page(canvas, data: CertificateData) -> None:
    """The least a certificate page holds: a line in the embedded font and the QR code."""
    canvas.setFont(FONT, 14)
    canvas.drawString(72, 300, f"{data.village_name} {data.resident_name} {data.grade} {data.serial}")
    draw_qr(canvas, data.verify_url, x=420, y=200, size=85)
    canvas.showPage()


def floor_singles(count: int) -> None:
    """The floor of a certificate as its own PDF: one page, the font and a QR code (distinct)."""
    for data in fresh(count):
        canvas = new_canvas(io.BytesIO())
        _floor_page(canvas, data)
        canvas.save()


def floor_batch(count: int) -> None:
    """The floor of a batch: `count` such pages in one PDF."""
    canvas = new_canvas(io.BytesIO())
    for data in fresh(count):
        _floor_page(canvas, data)
    canvas.save()


def singles(count: int) -> None:
    for data in fresh(count):
        render_certificate(data)


def batch(count: int) -> None:
    render_certificates(fresh(count))


def batch_size(count: int) -> int:
    buffer = io.BytesIO()
    canvas = new_canvas(buffer)
    for n in range(count):
        draw_certificate(canvas, certificate(n))
        canvas.showPage()
    canvas.save()
    return len(buffer.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="certificates per measured run (default 200)")
    count = parser.parse_args().count
    render_certificate(certificate(0))  # font registered and parsed once, as in a long-running worker

    rows = [
        ("floor: empty ReportLab page", per_item(empty_pages, count)),
        ("floor: one line in the embedded CJK font", per_item(font_pages, count)),
        ("floor: that line and a QR code (own PDF each)", per_item(floor_singles, count)),
        ("floor: that line and a QR code (one PDF)", per_item(floor_batch, count)),
        ("one certificate as its own PDF (download)", per_item(singles, count)),
        ("certificates in one batch PDF", per_item(batch, count)),
    ]
    print(f"One process, medians of 5 runs of {count}; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"{'':44} {'ms each':>9} {'per second':>11}")
    for label, seconds in rows:
        print(f"{label:44} {seconds * 1000:9.2f} {1 / seconds:11.0f}")
    batch_seconds = rows[-1][1]
    print(
        f"\nProjected for a {VILLAGE_SIZE:,}-resident village in one batch PDF: {batch_seconds * VILLAGE_SIZE:.1f} s "
        f"of rendering (target: under 15 s); as separate PDFs: {rows[4][1] * VILLAGE_SIZE:.1f} s."
    )
    print(f"Batch PDF size for {count}: {batch_size(count) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
