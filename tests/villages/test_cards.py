"""Resident cards: the QR address and the typed code open one resident's own pages, and nothing else."""

import logging
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from points.models import Appeal
from points.services import record_entry
from points.services.cards import issue_card, revoke_card
from villages.cards import card_path
from villages.models import Resident, ResidentCard

ENTER = "/card/code/"


@pytest.fixture
def card(clock, village, head, resident):
    return issue_card(resident=resident, issued_by=head)


def opened(card) -> Client:
    client = Client()
    response = client.get(card_path(card.secrets))
    assert response.status_code == 302
    return client


def test_it_opens_the_residents_standing_from_the_qr_address_and_drops_the_token(card, resident):
    client = Client()
    response = client.get(card_path(card.secrets))
    assert response.status_code == 302 and response["Location"] == reverse("points:standing")
    assert card.secrets.token not in response["Location"]
    assert response["Referrer-Policy"] == "no-referrer"
    page = client.get(reverse("points:standing"))
    assert page.status_code == 200 and resident.name in page.content.decode()
    # The page's own address carries no token; same-origin keeps Django's CSRF origin check working.
    assert page["Referrer-Policy"] == "same-origin" and "no-store" in page["Cache-Control"]
    assert client.get(reverse("points:ledger")).status_code == 200


def test_the_card_session_ends_when_the_browser_closes(card):
    response = Client().get(card_path(card.secrets))
    cookie = response.cookies["sessionid"]
    assert not cookie["max-age"] and not cookie["expires"]


def test_the_card_session_ends_after_a_day_even_in_use(card, clock):
    client = opened(card)
    for _ in range(2):
        clock.shift(timedelta(hours=11))
        assert client.get(reverse("points:standing")).status_code == 200
    clock.shift(timedelta(hours=3))
    assert client.get(reverse("points:standing")).status_code == 302  # to the sign-in page


def test_a_card_session_reaches_nothing_else(card, other_resident):
    client = opened(card)
    for url in [
        reverse("office:home"),
        reverse("points:resident_standing", args=[other_resident.pk]),
        reverse("points:resident_ledger", args=[card.card.resident_id]),
        reverse("villages:residents"),
        reverse("points:record"),
        reverse("login"),
    ]:
        assert client.get(url).status_code == 404, url


def test_revoking_stops_the_address_and_open_sessions_at_once(card, head):
    client = opened(card)
    revoke_card(card=card.card, revoked_by=head)
    assert Client().get(card_path(card.secrets)).status_code == 404
    assert client.get(reverse("points:standing")).status_code == 302


def test_reissuing_stops_the_old_card_and_the_new_one_works(card, head, resident):
    new = issue_card(resident=resident, issued_by=head)
    assert Client().get(card_path(card.secrets)).status_code == 404
    assert Client().get(card_path(new.secrets)).status_code == 302
    assert ResidentCard.objects.usable().filter(resident=resident).count() == 1


def test_neither_secret_is_stored(card):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM villages_residentcard")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert card.secrets.token not in stored
    assert card.secrets.code not in stored and card.secrets.code[4:] not in stored


def test_the_typed_code_opens_the_card_however_it_is_typed(card):
    client = Client()
    typed = card.secrets.code_display.lower().replace("-", " ")
    response = client.post(ENTER, {"code": typed})
    assert response.status_code == 302 and response["Location"] == reverse("points:standing")
    assert client.get(reverse("points:standing")).status_code == 200


def test_ten_wrong_codes_lock_the_card_even_for_the_right_code_until_the_hour_is_over(card, clock):
    right = card.secrets.code
    wrong = right[:4] + ("0" if right[4] != "0" else "1") + right[5:]
    for attempt in range(10):
        response = Client(REMOTE_ADDR=f"10.0.0.{attempt}").post(ENTER, {"code": wrong})
    assert response.status_code == 429
    assert "Too many wrong codes" in response.content.decode()
    assert Client(REMOTE_ADDR="10.0.1.1").post(ENTER, {"code": right}).status_code == 429
    clock.shift(timedelta(hours=1, minutes=1))
    assert Client(REMOTE_ADDR="10.0.1.1").post(ENTER, {"code": right}).status_code == 302


def test_ten_wrong_codes_from_one_address_lock_that_address_for_every_card(card, head, other_resident):
    other = issue_card(resident=other_resident, issued_by=head)
    client = Client(REMOTE_ADDR="10.9.9.9")
    for number in range(10):
        client.post(ENTER, {"code": f"ZZZZ{number:08d}"})
    assert client.post(ENTER, {"code": other.secrets.code}).status_code == 429
    assert Client(REMOTE_ADDR="10.9.9.8").post(ENTER, {"code": other.secrets.code}).status_code == 302


def test_a_wrong_code_says_so(card):
    response = Client().post(ENTER, {"code": "0000-0000-0000"})
    assert response.status_code == 400 and "does not open a card" in response.content.decode()


def test_a_card_of_a_resident_who_moved_away_opens_nothing(card, resident):
    Resident.objects.filter(pk=resident.pk).update(status=Resident.Status.MOVED_AWAY)
    assert Client().get(card_path(card.secrets)).status_code == 404


def test_the_token_never_reaches_the_request_log(card, head, resident, caplog):
    revoke_card(card=card.card, revoked_by=head)
    with caplog.at_level(logging.DEBUG):
        Client().get(card_path(card.secrets))
    assert caplog.records and all(card.secrets.token not in record.getMessage() for record in caplog.records)


def test_a_card_holder_appeals_a_line_of_their_ledger(card, scorer, resident, deed, village):
    entry = record_entry(
        scorer=scorer, resident=resident, item=deed, occurred_on=village.today(), idempotency_key=uuid.uuid4()
    )
    client = opened(card)
    response = client.post(reverse("points:appeal_entry", args=[entry.pk]), {"reason": "那天我不在村里"})
    assert response.status_code == 302
    appeal = Appeal.objects.get(entry=entry)
    assert (appeal.channel, appeal.card_id, appeal.filed_by) == (Appeal.Channel.CARD, card.card.pk, None)


def test_only_the_office_issues_cards(village, scorer, resident):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        issue_card(resident=resident, issued_by=scorer)


def test_a_card_is_printed_one_at_a_time_from_the_residents_page(clock, village, head, resident):
    client = Client()
    client.force_login(head)
    response = client.post(reverse("points:card_issue", args=[resident.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert ResidentCard.objects.usable().filter(resident=resident).count() == 1


def test_the_access_log_format_leaves_out_query_strings_and_referrers():
    from pathlib import Path

    namespace: dict = {}
    exec((Path(__file__).resolve().parents[2] / "gunicorn.conf.py").read_text(), namespace)
    log_format = namespace["access_log_format"]
    assert "%(U)s" in log_format
    assert not any(field in log_format for field in ("%(r)s", "%(q)s", "%(f)s", "%({"))


def test_a_token_in_a_logged_url_is_redacted():
    from config.log_filters import RedactCardTokens

    record = logging.LogRecord(
        "django.server", logging.INFO, "", 0, '"%s" %s', ("GET /card/?k=abcDEF-123_x HTTP/1.1", 302), None
    )
    RedactCardTokens().filter(record)
    assert record.getMessage() == '"GET /card/?k=[redacted] HTTP/1.1" 302'
