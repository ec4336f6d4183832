"""Issuing and revoking certificates, and the PDF they render to."""

import io
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import zxingcpp
from django.core.exceptions import ValidationError
from PIL import Image
from pypdf import PdfReader

from points.certificates import render_certificate
from points.models import Certificate
from points.services import issue_certificate, revoke_certificate
from points.verification import certificate_data, verify_url
from tests.conftest import SHANGHAI
from tests.factories import ResidentFactory, record
from villages.models import Resident

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "certificates"


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def render_png(pdf: bytes, tmp_path: Path, *, dpi: int = 150) -> Path:
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(tmp_path / "c.pdf"), str(tmp_path / "c")], check=True
    )
    return tmp_path / "c.png"


def test_it_records_the_serial_grade_and_balance_at_issue(clock, village, head, resident, scorer, deed):
    record(scorer=scorer, resident=resident, item=deed)
    certificate = issue_certificate(resident=resident, issued_by=head)
    assert certificate.serial == "DDLJ-2025-0001"
    assert (certificate.grade, certificate.balance) == ("A", 1001)
    assert (certificate.resident_name, certificate.village_name) == ("李伟", "东岛刘家村")
    assert certificate.issued_by == head


def test_it_numbers_serials_per_village_and_year_without_gaps(
    clock, village, other_village, head, admin, outsider_head, resident, other_resident
):
    first = issue_certificate(resident=resident, issued_by=head)
    second = issue_certificate(resident=other_resident, issued_by=admin)
    elsewhere = issue_certificate(resident=ResidentFactory(village=other_village), issued_by=outsider_head)
    clock.move_to(datetime(2026, 1, 1, 0, 5, tzinfo=SHANGHAI))  # a new year in the village
    next_year = issue_certificate(resident=resident, issued_by=head)
    assert [first.serial, second.serial, elsewhere.serial, next_year.serial] == [
        "DDLJ-2025-0001",
        "DDLJ-2025-0002",
        "TJ-2025-0001",
        "DDLJ-2026-0001",
    ]


@pytest.mark.parametrize("who", ["scorer", "resident", "outsider_head", "outsider_admin"])
def test_it_lets_only_the_head_and_administrators_of_the_village_issue(request, who, other_resident):
    user = request.getfixturevalue(who)
    user = user.user if isinstance(user, Resident) else user
    with pytest.raises(ValidationError) as refused:
        issue_certificate(resident=other_resident, issued_by=user)
    assert refused.value.code == "not_allowed"
    assert not Certificate.objects.exists()


def test_it_refuses_a_resident_who_moved_away_or_never_joined(village, head):
    moved = ResidentFactory(village=village, status=Resident.Status.MOVED_AWAY)
    outside = ResidentFactory(village=village, consent_given_on=None, consent_recorded_by=None)
    for resident, code in [(moved, "inactive"), (outside, "no_consent")]:
        with pytest.raises(ValidationError) as refused:
            issue_certificate(resident=resident, issued_by=head)
        assert refused.value.code == code
    assert not Certificate.objects.exists()


def test_it_revokes_with_a_reason_once(village, head, admin, resident):
    certificate = issue_certificate(resident=resident, issued_by=head)
    with pytest.raises(ValidationError) as refused:
        revoke_certificate(certificate=certificate, revoked_by=head, reason="  ")
    assert refused.value.code == "reason_required"
    revoked = revoke_certificate(certificate=certificate, revoked_by=admin, reason="等级评错了")
    assert revoked.is_revoked and revoked.revoked_by == admin
    with pytest.raises(ValidationError) as again:
        revoke_certificate(certificate=certificate, revoked_by=head, reason="再次")
    assert again.value.code == "already_revoked"


@pytest.mark.parametrize("who", ["scorer", "resident", "outsider_head"])
def test_it_lets_only_the_head_and_administrators_revoke(request, who, village, head, other_resident):
    certificate = issue_certificate(resident=other_resident, issued_by=head)
    user = request.getfixturevalue(who)
    user = user.user if isinstance(user, Resident) else user
    with pytest.raises(ValidationError):
        revoke_certificate(certificate=certificate, revoked_by=user, reason="不对")
    certificate.refresh_from_db()
    assert not certificate.is_revoked


def test_its_pdf_holds_the_name_grade_and_serial(clock, village, head, resident):
    certificate = issue_certificate(resident=resident, issued_by=head)
    text = pdf_text(render_certificate(certificate_data(certificate)))
    for expected in [
        "李伟",
        "东岛刘家村",
        "DDLJ-2025-0001",
        "A",
        "1,000",
        "2025年6月16日",
        "Certificate of Village Points",
    ]:
        assert expected in text


def test_its_pdf_embeds_the_chinese_font(village, head, resident):
    certificate = issue_certificate(resident=resident, issued_by=head)
    page = PdfReader(io.BytesIO(render_certificate(certificate_data(certificate)))).pages[0]
    fonts = [font.get_object() for font in page["/Resources"]["/Font"].values()]
    descriptors = [
        font["/DescendantFonts"][0].get_object()["/FontDescriptor"] for font in fonts if "/DescendantFonts" in font
    ] or [font["/FontDescriptor"] for font in fonts if "/FontDescriptor" in font]
    assert descriptors and all("/FontFile2" in d for d in descriptors), "the CJK font must be embedded"


def test_a_reprint_is_the_same_document(village, head, resident):
    certificate = issue_certificate(resident=resident, issued_by=head)
    first = render_certificate(certificate_data(certificate))
    again = render_certificate(certificate_data(Certificate.objects.select_related("village").get(pk=certificate.pk)))
    assert first == again


def test_its_qr_code_decodes_to_the_verify_url(clock, village, head, resident, tmp_path):
    certificate = issue_certificate(resident=resident, issued_by=head)
    png = render_png(render_certificate(certificate_data(certificate)), tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "certificate-a5.png").write_bytes(png.read_bytes())  # the screenshot to look at
    image = Image.open(png)
    width, height = image.size
    assert abs(width - 1240) <= 2 and abs(height - 874) <= 2  # A5 landscape (210 × 148 mm) at 150 dpi
    decoded = [result.text for result in zxingcpp.read_barcodes(image)]
    assert decoded == [verify_url(certificate)]
    assert decoded[0].startswith("http://127.0.0.1:8000/verify/DDLJ-2025-0001.")
