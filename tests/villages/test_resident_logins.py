"""Logins for many residents at once, all or none, with one-time activation codes on paper."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import ResidentFactory
from villages.models import ActivationCode, Membership, Resident
from villages.services.activation import create_resident_logins

PASSWORD = "a-long-village-password"


@pytest.fixture
def elders(village) -> list[Resident]:
    return [ResidentFactory(village=village) for _ in range(3)]


def _activate(client, username, code, password=PASSWORD):
    return client.post(
        reverse("villages:activate"),
        {"username": username, "code": code, "password1": password, "password2": password},
    )


def test_the_administrator_creates_logins_for_the_ticked_residents_and_gets_the_slips(clock, admin, elders):
    client = Client()
    client.force_login(admin)
    response = client.post(reverse("villages:logins_for_selected"), {"resident": [e.pk for e in elders]})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    for elder in elders:
        elder.refresh_from_db()
        assert elder.user is not None and not elder.user.has_usable_password()
        assert Membership.objects.filter(user=elder.user, role=Membership.Role.RESIDENT).exists()
        assert elder.name in text and f"ddlj{elder.pk}" in text


def test_it_creates_none_if_one_of_them_cannot_have_a_login(clock, village, admin, elders, resident):
    with pytest.raises(ValidationError) as refused:
        create_resident_logins(village=village, residents=[*elders, resident], actor=admin)
    assert resident.name in str(refused.value)
    assert not Resident.objects.filter(pk__in=[e.pk for e in elders], user__isnull=False).exists()
    assert not ActivationCode.objects.exists()


def test_only_an_administrator_creates_logins(clock, village, head, elders):
    with pytest.raises(ValidationError):
        create_resident_logins(village=village, residents=elders, actor=head)


def test_a_resident_activates_their_login_once_and_is_signed_in(clock, village, admin, elders):
    (made,) = create_resident_logins(village=village, residents=elders[:1], actor=admin)
    client = Client()
    response = _activate(client, made.username, made.code_display.lower())
    assert response.status_code == 302
    assert client.get(reverse("points:standing")).status_code == 200
    signed_in = Client().post(reverse("login"), {"username": made.username, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert _activate(Client(), made.username, made.code, password="another-long-password").status_code == 400


def test_an_activation_code_expires_after_thirty_days(clock, village, admin, elders):
    (made,) = create_resident_logins(village=village, residents=elders[:1], actor=admin)
    clock.shift(timedelta(days=31))
    assert _activate(Client(), made.username, made.code).status_code == 400


def test_ten_wrong_codes_lock_the_login_for_an_hour(clock, village, admin, elders):
    (made,) = create_resident_logins(village=village, residents=elders[:1], actor=admin)
    for attempt in range(10):
        response = _activate(Client(REMOTE_ADDR=f"10.1.0.{attempt}"), made.username, "0000-0000-0000")
    assert response.status_code == 429
    assert _activate(Client(REMOTE_ADDR="10.1.1.1"), made.username, made.code).status_code == 429
