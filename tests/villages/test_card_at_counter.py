"""The card at the store counter: what a camera or a barcode scanner reads from a card (its QR
address) or the code typed from it opens that resident for the keeper, only within the keeper's
village, through the same lookups and the same lock-out as the resident's own card pages."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import RequestFactory

from points.services.cards import issue_card, revoke_card
from tests.factories import ResidentFactory
from villages.cards import CardLocked, card_at_counter, card_path, card_url
from villages.models import CardCodeAttempts, Resident


@pytest.fixture
def card(clock, village, head, resident):
    return issue_card(resident=resident, issued_by=head)


@pytest.fixture
def outsider_card(clock, other_village, outsider_head):
    return issue_card(resident=ResidentFactory(village=other_village, name="滕亮"), issued_by=outsider_head)


def counter(address: str = "10.1.1.1"):
    return RequestFactory().post("/store/counter/card/", REMOTE_ADDR=address)


def wrong(code: str) -> str:
    return code[:4] + ("0" if code[4] != "0" else "1") + code[5:]


def test_it_finds_the_card_from_the_whole_address_a_scanner_types(card, village, resident):
    assert card_at_counter(counter(), card_url(card.secrets), village=village).resident == resident


def test_it_finds_the_card_from_the_address_without_the_site(card, village, resident):
    assert card_at_counter(counter(), card_path(card.secrets), village=village).resident == resident


def test_it_finds_the_card_from_the_typed_code_however_it_is_typed(card, village, resident):
    typed = f"  {card.secrets.code_display.lower()}  "
    assert card_at_counter(counter(), typed, village=village).resident == resident


def test_a_revoked_card_opens_nobody(card, village, head):
    revoke_card(card=card.card, revoked_by=head)
    assert card_at_counter(counter(), card_url(card.secrets), village=village) is None
    assert card_at_counter(counter(), card.secrets.code, village=village) is None


def test_a_card_of_a_resident_who_moved_away_opens_nobody(card, village, resident):
    Resident.objects.filter(pk=resident.pk).update(status=Resident.Status.MOVED_AWAY)
    assert card_at_counter(counter(), card_url(card.secrets), village=village) is None


def test_a_card_of_another_village_opens_nobody_and_its_code_counts_as_wrong(outsider_card, village):
    assert card_at_counter(counter(), card_url(outsider_card.secrets), village=village) is None
    assert card_at_counter(counter(), outsider_card.secrets.code, village=village) is None
    assert CardCodeAttempts.objects.get(key="address:10.1.1.1").failures == 1


def test_it_opens_no_card_session_and_writes_nothing_for_an_address(card, village, resident):
    request = counter()
    card_at_counter(request, card_url(card.secrets), village=village)
    card_at_counter(request, "https://example.org/card/?k=not-a-token", village=village)
    assert not hasattr(request, "session") and not CardCodeAttempts.objects.exists()


@pytest.mark.parametrize("raw", ["", "   ", "http://[", "?k=", "/card/?k=" + "x" * 200, "a\x00b", "ABCD-EFGH"])
def test_garbage_opens_nobody(card, village, raw):
    assert card_at_counter(counter(), raw, village=village) is None


def test_the_counter_is_no_way_around_the_lock_out_of_typed_codes(card, village, clock):
    """Ten wrong codes lock the card (and the counter's address) for an hour, even for the right code."""
    for _attempt in range(settings.CARD_CODE_FAILURE_LIMIT - 1):
        assert card_at_counter(counter(), wrong(card.secrets.code), village=village) is None
    with pytest.raises(CardLocked):
        card_at_counter(counter(), wrong(card.secrets.code), village=village)
    with pytest.raises(CardLocked):
        card_at_counter(counter("10.2.2.2"), card.secrets.code, village=village)
    clock.shift(timedelta(hours=settings.CARD_CODE_COOLOFF_HOURS, minutes=1))
    assert card_at_counter(counter("10.2.2.2"), card.secrets.code, village=village) is not None
