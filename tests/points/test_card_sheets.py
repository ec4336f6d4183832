"""A sheet of resident cards: one background job with progress, one PDF, every QR code working."""

import io
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from points.models import CardSheet
from points.services.cards import card_sheet_path, run_card_sheet, start_card_sheet
from tests.factories import HouseholdFactory, ResidentFactory
from villages.cards import card_for_token
from villages.models import Resident, ResidentCard

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "cards"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _residents(village, count: int) -> list[Resident]:
    households = [HouseholdFactory(village=village) for _ in range(count // 3 + 1)]
    return [ResidentFactory(village=village, household=households[n // 3]) for n in range(count)]


def _pages_as_png(pdf: Path, tmp_path: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "sheet")], check=True)
    return sorted(tmp_path.glob("sheet-*.png"))


def test_two_hundred_cards_render_as_one_job_with_progress(clock, village, head, tmp_path):
    residents = _residents(village, 200)
    ResidentFactory(village=village, consent_given_on=None, consent_recorded_by=None)  # gets no card
    sheet = start_card_sheet(village=village, requested_by=head)
    assert (sheet.total, sheet.done, sheet.status) == (200, 0, "queued")

    with CaptureQueriesContext(connection) as queries:
        run_card_sheet(sheet_id=sheet.pk)
    progress = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "points_cardsheet" SET "done"')]
    assert len(progress) == 20  # a page of ten cards at a time, visible on the progress page

    sheet.refresh_from_db()
    assert (sheet.status, sheet.done) == ("done", 200)
    assert ResidentCard.objects.usable().count() == 200
    pdf = card_sheet_path(sheet)
    reader = PdfReader(io.BytesIO(pdf.read_bytes()))
    assert len(reader.pages) == 20

    fonts = [font.get_object() for font in reader.pages[0]["/Resources"]["/Font"].values()]
    descriptors = [f["/DescendantFonts"][0].get_object()["/FontDescriptor"] for f in fonts if "/DescendantFonts" in f]
    descriptors += [f["/FontDescriptor"] for f in fonts if "/FontDescriptor" in f]
    assert descriptors and all("/FontFile2" in d for d in descriptors), "the Chinese font must be embedded"

    pages = _pages_as_png(pdf, tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "card-sheet-page-1.png").write_bytes(pages[0].read_bytes())
    addresses = [result.text for page in pages for result in zxingcpp.read_barcodes(Image.open(page))]
    assert len(set(addresses)) == 200  # (zxing may report a code twice)
    # Every address opens a card of one of the residents, each resident's exactly once ...
    opened = [card_for_token(address.split("?k=", 1)[1]) for address in set(addresses)]
    assert sorted(card.resident_id for card in opened) == sorted(r.pk for r in residents)
    names = {r.pk: r.name for r in residents}
    for address in addresses[::37]:  # ... and a sample of them, opened on a phone
        assert address.startswith("http://127.0.0.1:8000/card/?k=")
        client = Client()
        assert client.get(address.removeprefix("http://127.0.0.1:8000")).status_code == 302
        page = client.get(reverse("points:standing")).content.decode()
        assert any(name in page for name in names.values())


def test_the_head_starts_a_sheet_and_watches_its_progress(clock, village, head, django_capture_on_commit_callbacks):
    _residents(village, 12)
    client = Client()
    client.force_login(head)
    response = client.post(reverse("points:card_sheet_start"))
    sheet = CardSheet.objects.get()
    assert response["Location"] == reverse("points:card_sheet", args=[sheet.pk])
    assert "0 of 12 cards" in client.get(response["Location"]).content.decode()
    run_card_sheet(sheet_id=sheet.pk)
    page = client.get(reverse("points:card_sheet", args=[sheet.pk]), headers={"HX-Request": "true"})
    assert (
        "12 of 12 cards" in page.content.decode()
        and reverse("points:card_sheet_pdf", args=[sheet.pk]) in page.content.decode()
    )
    pdf = client.get(reverse("points:card_sheet_pdf", args=[sheet.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_cards_for_the_residents_ticked_in_the_register_only(clock, village, head):
    residents = _residents(village, 5)
    client = Client()
    client.force_login(head)
    register = client.get(reverse("villages:residents")).content.decode()
    assert f'name="resident" value="{residents[0].pk}"' in register
    chosen = {"scope": "selected", "resident": [residents[0].pk, residents[3].pk]}
    client.post(reverse("points:card_sheet_start"), chosen)
    assert CardSheet.objects.get().resident_ids == [residents[0].pk, residents[3].pk]


def test_nothing_ticked_prints_nothing(clock, village, head):
    _residents(village, 3)
    client = Client()
    client.force_login(head)
    response = client.post(reverse("points:card_sheet_start"), {"scope": "selected"})
    assert response["Location"] == reverse("villages:residents") and not CardSheet.objects.exists()


def test_a_sheet_run_again_after_a_worker_died_reissues_the_unprinted_cards(clock, village, head):
    residents = _residents(village, 3)
    sheet = start_card_sheet(village=village, requested_by=head)
    run_card_sheet(sheet_id=sheet.pk)
    first = set(ResidentCard.objects.usable().values_list("pk", flat=True))
    CardSheet.objects.filter(pk=sheet.pk).update(status="running")  # as if redelivered mid-run
    run_card_sheet(sheet_id=sheet.pk)
    live = set(ResidentCard.objects.usable().values_list("pk", flat=True))
    assert len(live) == len(residents) and not live & first  # the PDF on disk holds the live cards
