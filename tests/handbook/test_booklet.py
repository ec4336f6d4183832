"""The printed handbook: a cover and one A5 sheet per handbook page, Chinese embedded and extractable."""

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from handbook.booklet import render_booklet

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "test_booklet"


def test_it_has_a_cover_and_one_sheet_per_handbook_page(twelve_page_edition):
    reader = PdfReader(io.BytesIO(render_booklet(twelve_page_edition)))
    assert len(reader.pages) == 13
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (420, 595)  # A5 in points


def test_its_text_holds_every_item_code_and_chinese_title(twelve_page_edition):
    reader = PdfReader(io.BytesIO(render_booklet(twelve_page_edition)))
    cover = reader.pages[0].extract_text()
    assert "东岛刘家村" in cover and "东岛刘家村村民委员会" in cover and "东岛刘家村村民积分手册" in cover
    pages = [page.extract_text() for page in reader.pages[1:]]
    for sheet, handbook_page in zip(pages, twelve_page_edition.pages.order_by("number"), strict=True):
        assert handbook_page.title in sheet
        for code, title in handbook_page.items.values_list("code", "title"):
            assert code in sheet and title in sheet, (code, title)


def test_it_embeds_its_chinese_font(twelve_page_edition):
    reader = PdfReader(io.BytesIO(render_booklet(twelve_page_edition)))
    fonts = reader.pages[1]["/Resources"]["/Font"]
    descriptors = [fonts[name].get_object().get("/FontDescriptor") for name in fonts]
    assert all(descriptors), "every font is embedded"
    assert all("WenQuanYi" in d.get_object()["/FontName"] and "/FontFile2" in d.get_object() for d in descriptors)


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils is installed by `make test`")
def test_it_saves_two_pages_as_images_to_look_at(twelve_page_edition, tmp_path):
    pdf = tmp_path / "booklet.pdf"
    pdf.write_bytes(render_booklet(twelve_page_edition))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "100", "-f", "1", "-l", "2", "-png", str(pdf), str(ARTIFACTS / "page")], check=True
    )
    images = sorted(ARTIFACTS.glob("page-*.png"))
    assert len(images) == 2
    # Side by side, as the booklet lies open.
    left, right = (Image.open(path) for path in images)
    spread = Image.new("RGB", (left.width + right.width, max(left.height, right.height)), "white")
    spread.paste(left, (0, 0))
    spread.paste(right, (left.width, 0))
    spread.save(ARTIFACTS / "spread.png")
    assert spread.width > 2 * 400


def test_the_editor_serves_the_booklet_of_the_edition_in_force(client, admin, twelve_page_edition):
    client.force_login(admin)
    response = client.get(reverse("handbook:editor_booklet"))
    assert response["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 13
