"""A certificate's status label — current, superseded or revoked — is the same everywhere it shows:
the registry, the resident's page in the office, the resident's own list and the public
verification page. A revoked certificate says so even when it is the newest; once every newer one is
revoked, the newest one standing is current again."""

import re

import pytest
from django.urls import reverse

from points.services import issue_certificate, revoke_certificate
from points.verification import code_for


@pytest.fixture
def three(clock, village, head, resident):
    """The resident's first certificate (superseded), second (revoked) and third (current)."""
    first = issue_certificate(resident=resident, issued_by=head)
    second = issue_certificate(resident=resident, issued_by=head)
    revoke_certificate(certificate=second, revoked_by=head, reason="wrong grade")
    third = issue_certificate(resident=resident, issued_by=head)
    return first, second, third


def _label(html: str, serial: str) -> str:
    row = re.search(rf"{re.escape(serial)}.*?cert-(current|superseded|revoked)", html, re.S)
    assert row, f"{serial} has no status label"
    return row.group(1)


def _labels_everywhere(client, head, resident, certificates) -> list[dict[str, str]]:
    client.force_login(head)
    pages = [
        client.get(reverse("points:certificates")).content.decode(),
        client.get(reverse("points:resident_certificates", args=[resident.pk])).content.decode(),
    ]
    client.force_login(resident.user)
    pages.append(client.get(reverse("points:my_certificates")).content.decode())
    return [{c.serial: _label(html, c.serial) for c in certificates} for html in pages]


def test_every_list_labels_superseded_revoked_and_current_alike(client, head, resident, three):
    first, second, third = three
    expected = {first.serial: "superseded", second.serial: "revoked", third.serial: "current"}
    assert _labels_everywhere(client, head, resident, three) == [expected] * 3


def test_revoking_the_newest_makes_the_newest_one_standing_current_everywhere_and_on_the_public_page(
    client, head, resident, three
):
    first, second, third = three
    revoke_certificate(certificate=third, revoked_by=head, reason="moved away")
    expected = {first.serial: "current", second.serial: "revoked", third.serial: "revoked"}
    assert _labels_everywhere(client, head, resident, three) == [expected] * 3
    client.logout()
    verdicts = {c.serial: client.get(reverse("points:verify", args=[code_for(c)])).content.decode() for c in three}
    assert "verify-revoked" in verdicts[third.serial] and "verify-revoked" in verdicts[second.serial]
    assert "verify-current" in verdicts[first.serial]
