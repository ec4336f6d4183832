"""The counter opens a resident from their card: the QR address (camera or barcode scanner) or the
typed code lands the store keeper on that resident's counter page, as themself (no card session);
anything else is refused with the reason and nothing is written."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from points.services.cards import issue_card, revoke_card
from store.models import Receipt
from tests.factories import ResidentFactory
from villages.cards import SESSION_KEY, card_url
from villages.models import CardCodeAttempts

pytestmark = pytest.mark.usefixtures("clock")
URL = reverse("store:counter_card")


@pytest.fixture
def card(village, head, resident):
    return issue_card(resident=resident, issued_by=head)


@pytest.fixture
def at_counter(client, keeper, store) -> Client:
    client.force_login(keeper)
    return client


def test_it_opens_the_resident_from_the_address_a_scanner_types(at_counter, card, resident, keeper):
    response = at_counter.post(URL, {"card": card_url(card.secrets)})
    assert response.status_code == 302 and response.url == reverse("store:serve", args=[resident.pk])
    page = at_counter.get(response.url)
    assert page.status_code == 200 and resident.name in page.text
    assert SESSION_KEY not in at_counter.session and page.wsgi_request.user == keeper


def test_it_opens_the_resident_from_the_typed_code(at_counter, card, resident):
    response = at_counter.post(URL, {"card": card.secrets.code_display})
    assert response.status_code == 302 and response.url == reverse("store:serve", args=[resident.pk])


def test_a_revoked_card_is_refused_with_the_reason_and_nothing_written(at_counter, card, head):
    revoke_card(card=card.card, revoked_by=head)
    response = at_counter.post(URL, {"card": card_url(card.secrets)})
    assert response.status_code == 400
    assert "not a valid card of this village" in response.text
    assert not CardCodeAttempts.objects.exists() and not Receipt.objects.exists()


def test_the_refusal_is_in_the_keepers_language(at_counter, card, head):
    revoke_card(card=card.card, revoked_by=head)
    response = at_counter.post(URL, {"card": card_url(card.secrets)}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400 and "不是本村有效的积分卡" in response.text


def test_an_empty_field_says_what_to_do(at_counter):
    response = at_counter.post(URL, {"card": ""})
    assert response.status_code == 400 and "Scan the card, or type the code" in response.text


def test_a_card_of_another_village_opens_nobody(at_counter, other_village, outsider_head):
    theirs = issue_card(resident=ResidentFactory(village=other_village, name="滕亮"), issued_by=outsider_head)
    for raw in (card_url(theirs.secrets), theirs.secrets.code):
        response = at_counter.post(URL, {"card": raw})
        assert response.status_code == 400 and "not a valid card of this village" in response.text


def test_ten_wrong_codes_lock_the_counter_out_for_an_hour(at_counter, card, resident, clock):
    code = card.secrets.code
    wrong = code[:4] + ("0" if code[4] != "0" else "1") + code[5:]
    for _attempt in range(settings.CARD_CODE_FAILURE_LIMIT):
        response = at_counter.post(URL, {"card": wrong})
    assert response.status_code == 429 and "Too many wrong codes" in response.text
    assert at_counter.post(URL, {"card": code}).status_code == 429
    # The QR address is no code: a real card still opens from the camera or the scanner.
    assert at_counter.post(URL, {"card": card_url(card.secrets)}).status_code == 302
    clock.shift(timedelta(hours=settings.CARD_CODE_COOLOFF_HOURS, minutes=1))
    assert at_counter.post(URL, {"card": code}).status_code == 302


def test_only_a_store_keeper_opens_a_resident_from_a_card(client, head, card, store):
    client.force_login(head)
    assert client.post(URL, {"card": card_url(card.secrets)}).status_code == 403


def test_the_counter_may_use_the_camera_and_other_pages_may_not(at_counter):
    assert "camera=(self)" in at_counter.get(reverse("store:counter"))["Permissions-Policy"]
    assert "camera=(self)" in at_counter.post(URL, {"card": "x"})["Permissions-Policy"]
    assert "camera=()" in at_counter.get(reverse("store:catalogue"))["Permissions-Policy"]


def test_the_counter_offers_the_scan_from_a_script_of_its_own(at_counter):
    page = at_counter.get(reverse("store:counter")).text
    assert 'id="card-form"' in page and "js/scan.js" in page and "<script>" not in page
