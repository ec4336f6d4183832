"""The head prints a resident's statement as an A4 PDF with the Chinese font embedded."""

import io

from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import record


def test_the_statement_is_an_a4_pdf_with_the_font_embedded(clock, village, head, scorer, resident, infraction):
    record(scorer=scorer, resident=resident, item=infraction)
    client = Client()
    client.force_login(head)
    response = client.get(reverse("points:statement_pdf", args=[resident.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    page = PdfReader(io.BytesIO(response.content)).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
    descriptors = [f["/DescendantFonts"][0].get_object()["/FontDescriptor"] for f in fonts if "/DescendantFonts" in f]
    descriptors += [f["/FontDescriptor"] for f in fonts if "/FontDescriptor" in f]
    assert descriptors and all("/FontFile2" in d for d in descriptors)
    text = page.extract_text()
    for expected in ["积分对账单", resident.name, "990", "1.3", "鸡跑出鸡舍", "-10"]:
        assert expected in text


def test_the_html_statement_links_to_the_pdf_instead_of_ctrl_p(clock, head, resident):
    client = Client()
    client.force_login(head)
    page = client.get(reverse("points:statement", args=[resident.pk])).content.decode()
    assert reverse("points:statement_pdf", args=[resident.pk]) in page and "Ctrl+P" not in page
