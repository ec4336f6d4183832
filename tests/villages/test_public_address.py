"""The address certificates' QR codes point at: set by the village's administrator, warned about
while no phone could open it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from points.services import issue_certificate
from points.verification import verify_path, verify_url
from villages.models import AuditEvent
from villages.public_address import is_loopback
from villages.services import set_public_address


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),
        ("http://[::1]/", True),
        ("http://127.3.2.1", True),
        ("http://192.168.1.20:8000", False),
        ("https://points.example.org", False),
    ],
)
def test_it_knows_a_loopback_address(address, loopback):
    assert is_loopback(address) is loopback


def test_the_qr_code_uses_the_village_address_once_set(village, admin, head, resident, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    certificate = issue_certificate(resident=resident, issued_by=head)
    assert verify_url(certificate).startswith("http://127.0.0.1:8000/verify/")
    set_public_address(village=village, admin=admin, address=" https://jifen.example.cn/ ")
    certificate.village.refresh_from_db()
    assert verify_url(certificate).startswith("https://jifen.example.cn/verify/DDLJ-")
    assert verify_url(certificate) == "https://jifen.example.cn" + verify_path(certificate)  # the code's own page
    assert AuditEvent.objects.filter(action="village.public_address", village=village).count() == 1


@pytest.mark.parametrize("address", ["jifen.example.cn", "ftp://jifen.example.cn", "https://x.cn/?a=1", "http://"])
def test_it_refuses_an_address_a_phone_could_not_open(village, admin, address):
    with pytest.raises(ValidationError):
        set_public_address(village=village, admin=admin, address=address)


def test_only_the_village_administrator_sets_it(village, head):
    with pytest.raises(ValidationError):
        set_public_address(village=village, admin=head, address="https://jifen.example.cn")


def test_the_head_is_warned_on_the_certificate_pages_while_the_address_is_loopback(
    client, village, head, admin, settings
):
    settings.SITE_URL = "http://127.0.0.1:8000"
    client.force_login(head)
    page = client.get(reverse("points:certificates")).content.decode()
    assert "The QR codes cannot be scanned yet." in page and "http://127.0.0.1:8000" in page
    client.force_login(admin)
    response = client.post(reverse("office:public_address"), {"public_address": "https://jifen.example.cn"})
    assert response.status_code == 302
    client.force_login(head)
    assert "The QR codes cannot be scanned yet." not in client.get(reverse("points:certificates")).content.decode()


def test_the_administrator_sees_a_refusal_in_place(client, admin):
    client.force_login(admin)
    response = client.post(reverse("office:public_address"), {"public_address": "not an address"})
    assert response.status_code == 400
    assert "Enter the address as a phone would open it" in response.content.decode()
