"""Signing in: rate-limited per user name and address, one generic error, a new session at sign-in,
sessions that end after inactivity, strong passwords; administrators reset passwords (which lifts
a lock-out) and see each account's sign-in history; every sign-in event lands in the audit trail."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import PASSWORD
from villages.models import AuditEvent
from villages.security import LOCKED_OUT, SIGN_IN, SIGN_IN_FAILED, client_address
from villages.services import reset_password

GENERIC = "That user name and password do not match."
OFFICE = "10.0.0.7"
ELSEWHERE = "10.0.0.8"


def _sign_in(client, username: str, password: str, address: str = OFFICE):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_it_says_the_same_thing_for_a_wrong_password_and_an_unknown_user(client, resident):
    wrong = _sign_in(client, "resident", "not-the-password")
    unknown = _sign_in(client, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    assert GENERIC in wrong.content.decode()
    assert GENERIC in unknown.content.decode()


def test_the_sixth_bad_password_in_a_row_locks_that_user_name_from_that_address(client, resident, other_resident):
    for _attempt in range(5):
        response = _sign_in(client, "resident", "wrong-password")
        assert response.status_code == 200
        assert GENERIC in response.content.decode()
    sixth = _sign_in(client, "resident", "wrong-password")
    assert sixth.status_code == 429
    assert "Too many wrong passwords" in sixth.content.decode()
    # Locked: even the right password is refused from that address now.
    assert _sign_in(client, "resident", PASSWORD).status_code == 429
    assert not _signed_in(client)
    # Another resident behind the same address (the village office) still signs in.
    assert _sign_in(client, "resident_b", PASSWORD).status_code == 302
    assert _signed_in(client)


def test_the_locked_user_still_signs_in_from_another_address(client, resident):
    for _attempt in range(6):
        _sign_in(client, "resident", "wrong-password")
    assert _sign_in(client, "resident", PASSWORD, address=ELSEWHERE).status_code == 302


def test_a_good_password_resets_the_count(client, resident):
    for _attempt in range(5):
        _sign_in(client, "resident", "wrong-password")
    assert _sign_in(client, "resident", PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(5):
        assert _sign_in(client, "resident", "wrong-password").status_code == 200


def test_signing_in_gives_a_new_session_key(client, resident):
    client.get(reverse("login"))
    session = client.session
    session["before"] = "sign-in"
    session.save()
    before = session.session_key
    assert _sign_in(client, "resident", PASSWORD).status_code == 302
    assert client.session.session_key != before


def test_a_session_ends_after_inactivity_but_not_while_in_use(client, resident, clock):
    _sign_in(client, "resident", PASSWORD)
    age = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    for _request in range(3):
        clock.shift(age - timedelta(minutes=5))
        assert client.get(reverse("points:standing")).status_code == 200
    clock.shift(age + timedelta(seconds=1))
    response = client.get(reverse("points:standing"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("password", ["village", "1234567890", "password123", "resident2025"])
def test_weak_passwords_are_refused(resident, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=resident.user)


def test_sign_ins_failures_and_lockouts_are_audited_in_the_users_village(client, village, resident):
    _sign_in(client, "resident", PASSWORD)
    client.logout()
    for _attempt in range(6):
        _sign_in(client, "resident", "wrong-password")
    events = AuditEvent.objects.filter(village=village, target="resident")
    assert events.filter(action=SIGN_IN, actor=resident.user, address=OFFICE).count() == 1
    assert events.filter(action=SIGN_IN_FAILED).count() == 6
    assert events.filter(action=LOCKED_OUT).count() == 1


def test_a_failure_for_an_unknown_name_belongs_to_no_village(client, village):
    _sign_in(client, "ghost", "wrong-password")
    assert AuditEvent.objects.get(action=SIGN_IN_FAILED, target="ghost").village is None


def test_the_administrator_sees_an_accounts_sign_in_history(client, admin, resident):
    _sign_in(client, "resident", "wrong-password")
    _sign_in(client, "resident", PASSWORD)
    client.logout()
    client.force_login(admin)
    page = client.get(reverse("villages:account_detail", args=[resident.user.pk])).content.decode()
    assert "Sign-in history" in page
    assert "Signed in" in page
    assert "Wrong password" in page
    assert OFFICE in page


def test_an_administrators_password_reset_lifts_the_lock_out(client, admin, resident):
    for _attempt in range(6):
        _sign_in(client, "resident", "wrong-password")
    assert _sign_in(client, "resident", PASSWORD).status_code == 429
    client.force_login(admin)
    response = client.post(reverse("villages:account_password", args=[resident.user.pk]))
    new_password = response.context["password"]
    client.logout()
    assert _sign_in(client, "resident", new_password).status_code == 302
    validate_password(new_password, user=resident.user)


def test_the_head_cannot_reset_passwords_or_read_sign_in_history(client, head, resident):
    client.force_login(head)
    assert client.get(reverse("villages:account_detail", args=[resident.user.pk])).status_code in (403, 404)
    assert client.post(reverse("villages:account_password", args=[resident.user.pk])).status_code in (403, 404)


def test_a_password_reset_by_the_service_lifts_the_lock_out_too(client, village, admin, resident):
    for _attempt in range(6):
        _sign_in(client, "resident", "wrong-password")
    new_password = reset_password(user=resident.user, village=village, actor=admin)
    assert _sign_in(client, "resident", new_password).status_code == 302


def test_an_over_long_user_name_is_an_ordinary_failed_sign_in(client, resident):
    response = _sign_in(client, "x" * 300, "whatever")
    assert response.status_code == 200
    assert GENERIC in response.content.decode()
    assert not AccessAttempt.objects.filter(username__startswith="xxx").exists()


# --- Behind reverse proxies (TRUSTED_PROXIES) --------------------------------------------------
# Two proxies: the outer one appends the client's address to X-Forwarded-For, the inner one the
# outer one's, and the inner one connects to gunicorn (REMOTE_ADDR). Anything to the left of the
# last two entries was written by the client and is ignored.

OUTER_PROXY, INNER_PROXY = "192.0.2.10", "192.0.2.11"
ATTACKER, USER = "203.0.113.66", "198.51.100.7"


def _through_two_proxies(client, username: str, password: str, client_address: str, spoofed: str = ""):
    forwarded = ", ".join(part for part in (spoofed, client_address, OUTER_PROXY) if part)
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=INNER_PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_two_proxies_an_attacker_who_spoofs_addresses_locks_out_only_himself(client, settings, resident):
    settings.TRUSTED_PROXIES = 2
    for attempt in range(8):
        _through_two_proxies(client, "resident", "wrong-password", ATTACKER, spoofed=f"10.9.9.{attempt}")
    assert _through_two_proxies(client, "resident", PASSWORD, ATTACKER).status_code == 429
    assert _through_two_proxies(client, "resident", PASSWORD, USER).status_code == 302


def test_behind_two_proxies_the_audit_trail_records_the_clients_address(client, settings, resident):
    settings.TRUSTED_PROXIES = 2
    _through_two_proxies(client, "resident", "wrong-password", ATTACKER, spoofed="127.0.0.1")
    _through_two_proxies(client, "resident", PASSWORD, USER)
    failed = AuditEvent.objects.get(action=SIGN_IN_FAILED)
    signed_in = AuditEvent.objects.get(action=SIGN_IN)
    assert (failed.address, signed_in.address) == (ATTACKER, USER)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.66", "192.0.2.11"),  # no proxy trusted: the header is the client's own words
        (1, "10.0.0.1, 203.0.113.66", "203.0.113.66"),
        (2, "10.0.0.1, 203.0.113.66, 192.0.2.10", "203.0.113.66"),
        (2, "192.0.2.10", "192.0.2.11"),  # shorter than the proxies: not through them all
        (1, "not-an-address", "192.0.2.11"),
    ],
)
def test_the_client_address_is_the_one_the_outermost_trusted_proxy_appended(rf, settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    request = rf.get("/", REMOTE_ADDR=INNER_PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected
