"""The certificate pages on a phone: the public check a QR scan opens, and the head's batch."""

import pytest

from points.models import CertificateBatch
from points.services import issue_certificate, revoke_certificate
from points.verification import verify_path
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_scanned_certificate_reads_clearly_on_a_phone(live_server, new_page, artifacts, locale, head, resident):
    first = issue_certificate(resident=resident, issued_by=head)
    newer = issue_certificate(resident=resident, issued_by=head)
    revoke_certificate(certificate=newer, revoked_by=head, reason="颁发有误")
    issue_certificate(resident=resident, issued_by=head)  # a revoked certificate supersedes nothing
    phone = new_page(locale=locale)
    phone.goto(live_server.url + verify_path(first))
    expected = "Genuine certificate, superseded" if locale == "en-US" else "真实证书，已被新证书取代"
    assert phone.locator("h1").inner_text() == expected
    phone.screenshot(path=artifacts / "superseded.png", full_page=True)
    phone.goto(live_server.url + verify_path(newer))
    assert phone.locator("h1").inner_text() == ("Revoked certificate" if locale == "en-US" else "证书已撤销")
    phone.screenshot(path=artifacts / "revoked.png", full_page=True)
    response = phone.goto(live_server.url + verify_path(newer).replace("DDLJ", "DDLX"))
    assert response.status == 404
    phone.screenshot(path=artifacts / "forged.png", full_page=True)


def test_the_head_watches_a_batch_finish_and_downloads_it(
    live_server, phone, artifacts, head, resident, other_resident, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    sign_in(phone, live_server, "head")
    phone.goto(f"{live_server.url}/certificates/")
    phone.screenshot(path=artifacts / "registry.png", full_page=True)
    phone.get_by_role("button", name="Issue and print in the background").click()
    phone.wait_for_url("**/certificates/batches/*/")
    phone.get_by_role("link", name="Download the PDF to print").wait_for()
    assert "2 of 2 certificates (100%)" in phone.locator("#progress").inner_text()
    phone.screenshot(path=artifacts / "batch-done.png", full_page=True)
    assert CertificateBatch.objects.get().status == "done"
