"""The public page behind a certificate's QR code."""

import pytest
from django.urls import reverse

from points.services import issue_certificate, revoke_certificate
from points.verification import code_for, verify_path
from tests.factories import record


@pytest.fixture
def certificate(clock, village, head, resident, scorer, deed):
    record(scorer=scorer, resident=resident, item=deed, note="帮邻居修剪果树")
    return issue_certificate(resident=resident, issued_by=head)


def test_it_says_a_genuine_current_certificate_is_current_to_anyone(client, certificate):
    response = client.get(verify_path(certificate))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Genuine certificate, and current" in html
    for shown in ["李伟", "东岛刘家村", "DDLJ-2025-0001", "June 16, 2025", '<dd class="verify-grade">A</dd>']:
        assert shown in html


def test_it_shows_only_the_name_village_grade_date_and_serial(client, certificate, resident):
    html = client.get(verify_path(certificate)).content.decode()
    facts = html.split('<dl class="facts">')[1].split("</dl>")[0]
    assert facts.count("<dt>") == 5
    for hidden in ["1,001", "1001", "修剪", "帮邻居", resident.household.number, "head"]:
        assert hidden not in facts, hidden
    assert "帮邻居修剪果树" not in html and "1,001" not in html  # nothing from the ledger anywhere


def test_it_says_a_revoked_certificate_is_revoked_with_the_date(client, clock, certificate, admin):
    clock.shift(86400 * 3)
    revoke_certificate(certificate=certificate, revoked_by=admin, reason="等级评错了")
    html = client.get(verify_path(certificate)).content.decode()
    assert "Revoked certificate" in html and "revoked on June 19, 2025" in html
    assert "等级评错了" not in html  # the reason is for the registry, not the public


def test_it_says_an_older_certificate_is_superseded(client, certificate, head, resident):
    newer = issue_certificate(resident=resident, issued_by=head)
    assert "Genuine certificate, superseded" in client.get(verify_path(certificate)).content.decode()
    assert "Genuine certificate, and current" in client.get(verify_path(newer)).content.decode()


def test_an_older_certificate_is_current_again_when_the_newer_one_is_revoked(client, certificate, head, resident):
    newer = issue_certificate(resident=resident, issued_by=head)
    revoke_certificate(certificate=newer, revoked_by=head, reason="颁发有误")
    html = client.get(verify_path(certificate)).content.decode()
    assert "Genuine certificate, and current" in html
    assert "Ask for the newer one" not in html


def test_it_sends_the_checker_to_the_newest_certificate_that_still_stands(client, certificate, head, resident):
    revoked = issue_certificate(resident=resident, issued_by=head)
    revoke_certificate(certificate=revoked, revoked_by=head, reason="颁发有误")
    newest = issue_certificate(resident=resident, issued_by=head)
    assert "Genuine certificate, superseded" in client.get(verify_path(certificate)).content.decode()
    assert "Genuine certificate, and current" in client.get(verify_path(newest)).content.decode()


@pytest.mark.parametrize("typed", ["DDLJ-2025-0001", "ddlj-2025-0001 "])
def test_a_typed_serial_is_explained_not_called_forged(client, certificate, typed):
    response = client.get(reverse("points:verify_form"), {"code": typed})
    assert response.status_code == 404
    html = response.content.decode()
    assert "A serial number alone cannot be checked" in html
    assert "forged" not in html
    assert "A serial number alone cannot be checked" in client.get(f"/verify/{typed.strip()}/").content.decode()


def test_a_typed_full_code_opens_the_verdict(client, certificate):
    response = client.get(reverse("points:verify_form"), {"code": f" {code_for(certificate)} "})
    assert response["Location"] == verify_path(certificate)
    assert "Check a certificate" in client.get(reverse("points:verify_form")).content.decode()


def _changed(code: str, position: int) -> str:
    replacement = "B" if code[position] != "B" else "C"
    return code[:position] + replacement + code[position + 1 :]


def test_it_refuses_a_code_with_any_one_character_changed(client, certificate):
    code = code_for(certificate)
    for position in range(len(code)):
        forged = _changed(code, position)
        response = client.get(reverse("points:verify", args=[forged]))
        assert response.status_code == 404, forged
        assert "Not a genuine certificate" in response.content.decode()


@pytest.mark.parametrize(
    "code", ["garbage", "DDLJ-2025-0001.", ".", "..", "李伟", "%00", "a" * 500, "DDLJ-2025-0001.x.y"]
)
def test_it_refuses_garbage_with_a_clear_page_never_an_error(client, certificate, code):
    response = client.get(reverse("points:verify", args=[code]))
    assert response.status_code == 404
    assert "Not a genuine certificate" in response.content.decode()


def test_it_refuses_a_genuine_looking_code_for_a_certificate_that_does_not_exist(client, certificate):
    certificate.serial = "DDLJ-2025-0999"  # signed with the right key, but never issued
    assert client.get(reverse("points:verify", args=[code_for(certificate)])).status_code == 404


def test_it_reads_in_chinese(client, certificate, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    html = client.get(verify_path(certificate), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "李伟" in html and "Genuine certificate" not in html
