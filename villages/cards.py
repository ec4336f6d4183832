"""Resident cards: a printed QR code and a short typed code that open one resident's own pages
without an account (a "card session").

Why Django's own primitives and not django-sesame: sesame logs a *user* in from a signed token;
card holders have no account, and giving each of them a shadow user would hand them a full
authenticated session that every `@login_required` view accepts. Sesame's tokens are also far too
long to type and revocable only per user. Here the token is 32 random bytes (`secrets`), stored only
as its SHA-256; the typed code's secret part is stored only as an HMAC-SHA256 under SECRET_KEY
(`salted_hmac`), because 40 bits could be brute-forced from a plain hash if the database leaked.
Revoking a card (or reissuing it) stops both at once, including sessions already open.

A card session is a session holding the card's id: it ends when the browser closes (no cookie
age) or CARD_SESSION_MAX_AGE after it was opened, and the middleware answers 404 for every view
outside CARD_VIEWS. Tokens travel in the query string (`/card/?k=`), which neither Django's
request logging nor gunicorn's access log (gunicorn.conf.py) writes; the exchange answers with
Referrer-Policy: no-referrer and redirects to a URL without the token.
"""

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from urllib.parse import parse_qs, urlsplit

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from villages.models import CardCodeAttempts, ResidentCard, Village

SESSION_KEY = "card_id"
OPENED_KEY = "card_opened_at"

# Crockford's base32: no I, L, O or U, so a code read aloud or typed from paper is unambiguous.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LOOKUP_LENGTH = 4  # finds the card; not a secret
SECRET_LENGTH = 8  # 40 bits; ten wrong tries per hour per card and per address
TYPO_MAP = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})

# What a card session may open: the resident's own pages, their household's shared pages, the
# handbook, the language switch and the card pages themselves. Everything else answers 404.
CARD_VIEWS = frozenset(
    {
        "points:standing",
        "points:ledger",
        "points:appeal_entry",
        "points:my_claims",
        "points:claim_photo",
        "points:my_certificates",
        "points:certificate_pdf",
        "points:entry_photo",
        "points:household_standing",
        "points:household_ledger",
        "handbook:index",
        "handbook:page",
        "handbook:item",
        "villages:card_open",
        "villages:card_enter",
        "villages:card_close",
        "set_language",
        "points:verify",  # public anyway: a card holder may scan a certificate with the same phone
    }
)


@dataclass(frozen=True)
class CardSecrets:
    """A card's two secrets in clear: they exist only while the card is being printed."""

    token: str
    code: str  # 12 characters, without dashes

    @property
    def code_display(self) -> str:
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))


class CardLocked(Exception):
    """Too many wrong codes from this address or for this card: refused until the lock ends."""


def new_secrets() -> CardSecrets:
    code = "".join(secrets.choice(ALPHABET) for _ in range(LOOKUP_LENGTH + SECRET_LENGTH))
    return CardSecrets(token=secrets.token_urlsafe(32), code=code)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def code_hash(code: str, *, secret: str | None = None) -> str:
    return salted_hmac("villages.cards.code", code, secret=secret, algorithm="sha256").hexdigest()


def normalise_code(raw: str) -> str:
    """What the resident typed, as stored: upper case, no spaces or dashes, look-alikes mapped."""
    cleaned = "".join(ch for ch in raw.upper() if ch.isalnum()).translate(TYPO_MAP)
    return cleaned if all(ch in ALPHABET for ch in cleaned) else ""


def card_fields(card_secrets: CardSecrets) -> dict[str, str]:
    """The stored columns of a card with these secrets (never the secrets themselves)."""
    return {
        "token_hash": token_hash(card_secrets.token),
        "lookup": card_secrets.code[:LOOKUP_LENGTH],
        "code_hash": code_hash(card_secrets.code),
    }


def card_path(card_secrets: CardSecrets) -> str:
    return f"{reverse('villages:card_open')}?k={card_secrets.token}"


def card_url(card_secrets: CardSecrets) -> str:
    """The address printed in the card's QR code."""
    return settings.SITE_URL + card_path(card_secrets)


# --- Opening a card ------------------------------------------------------------------------------


def _usable() -> "ResidentCard.objects":
    return ResidentCard.objects.usable().select_related("resident__village", "resident__household", "village")


def card_for_token(token: str, *, village: Village | None = None) -> ResidentCard | None:
    """The usable card whose QR token this is (of `village` only, if given), or None. One query."""
    if not token or len(token) > 100:
        return None
    found = _usable().filter(token_hash=token_hash(token))
    return (found.filter(village=village) if village is not None else found).first()


def card_for_code(request: HttpRequest, raw: str, *, village: Village | None = None) -> ResidentCard | None:
    """The usable card whose typed code this is (of `village` only, if given), or None (a wrong code,
    counted; so is a card of another village). Raises CardLocked while this address or this card is
    locked after CARD_CODE_FAILURE_LIMIT wrong codes in a row, even for the right code. A right code
    clears the card's count, not the address's: otherwise one valid card would let an address try
    other cards' codes without end."""
    code = normalise_code(raw)
    lookup = code[:LOOKUP_LENGTH] if len(code) == LOOKUP_LENGTH + SECRET_LENGTH else ""
    keys = [f"address:{get_client_ip_address(request) or 'unknown'}"] + ([f"card:{lookup}"] if lookup else [])
    now = timezone.now()
    check_not_locked(keys, now=now)
    found = _usable().filter(village=village) if village is not None else _usable()
    card = found.filter(lookup=lookup).first() if lookup else None
    if card is not None and code_matches(card.code_hash, code):
        CardCodeAttempts.objects.filter(key=f"card:{lookup}").delete()
        return card
    if count_failure(keys, now=now):
        raise CardLocked
    return None


def card_at_counter(request: HttpRequest, raw: str, *, village: Village) -> ResidentCard | None:
    """The usable card of `village` that someone serving its residents (the store keeper) scanned or
    typed, or None. `raw` is what the card carries: its QR address (`…/card/?k=<token>`, as a camera
    reads it or a keyboard-wedge scanner types it, with or without the site's address) or its typed
    code. Opens no card session: the person at the counter stays who they are.

    The same lookups as the resident's own (`card_for_token`, `card_for_code`): a typed code is
    counted, so the counter is no way around the lock-out (CardLocked); a card of another village
    is not found, and its code counts as a wrong one."""
    token = token_in(raw)
    if token is not None:
        return card_for_token(token, village=village)
    return card_for_code(request, raw, village=village)


def token_in(raw: str) -> str | None:
    """The QR token in a card address (`k` of its query string), or None if `raw` is no address."""
    try:
        query = urlsplit(raw.strip()).query
    except ValueError:  # e.g. "http://[" : not an address, perhaps a mistyped code
        return None
    tokens = parse_qs(query).get("k")
    return tokens[0] if tokens else None


def code_matches(stored_hash: str, code: str) -> bool:
    """Whether `code` is the one hashed as `stored_hash` (under the current or an older SECRET_KEY)."""
    return any(
        constant_time_compare(stored_hash, code_hash(code, secret=key))
        for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    )


def check_not_locked(keys: list[str], *, now) -> None:
    """CardLocked if any of `keys` (an address, a card, a user name) is locked now."""
    if CardCodeAttempts.objects.filter(key__in=keys, locked_until__gt=now).exists():
        raise CardLocked


def count_failure(keys: list[str], *, now) -> bool:
    """Count a wrong code against each key; True if one of them is locked now."""
    cooloff = timedelta(hours=settings.CARD_CODE_COOLOFF_HOURS)
    locked = False
    with transaction.atomic():
        for key in keys:
            attempts, _created = CardCodeAttempts.objects.select_for_update().get_or_create(key=key)
            if attempts.last_failure_at < now - cooloff or (attempts.locked_until and attempts.locked_until <= now):
                attempts.failures, attempts.locked_until = 0, None  # a new run of failures
            attempts.failures += 1
            attempts.last_failure_at = now
            if attempts.failures >= settings.CARD_CODE_FAILURE_LIMIT:
                attempts.locked_until = now + cooloff
                locked = True
            attempts.save()
    return locked


# --- The card session ----------------------------------------------------------------------------


def open_card_session(request: HttpRequest, card: ResidentCard) -> None:
    """Sign out whoever was signed in, start a fresh session (a new key) holding only the card, ending
    when the browser closes."""
    logout(request)
    request.session[SESSION_KEY] = card.pk
    request.session[OPENED_KEY] = int(time.time())
    request.session.set_expiry(0)
    request._card = card


def close_card_session(request: HttpRequest) -> None:
    request.session.flush()
    request._card = None


def current_card(request: HttpRequest) -> ResidentCard | None:
    """The card of this request's card session, if it is still usable (not revoked, resident still
    living in the village, opened less than CARD_SESSION_MAX_AGE ago); otherwise None and the
    session is emptied. One query, once per request."""
    if hasattr(request, "_card"):
        return request._card
    if request.user.is_authenticated:
        return None
    card = None
    session = getattr(request, "session", None)
    card_id = session.get(SESSION_KEY) if session is not None else None
    if card_id is not None:
        opened = session.get(OPENED_KEY) or 0
        if time.time() - opened < settings.CARD_SESSION_MAX_AGE:
            card = _usable().filter(pk=card_id).first()
        if card is None:
            session.flush()
    request._card = card
    return card


def card_or_login_required(view: Callable) -> Callable:
    """Like login_required, but a card session may pass too (CardSessionMiddleware keeps it to
    CARD_VIEWS)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated or current_card(request) is not None:
            return view(request, *args, **kwargs)
        return redirect_to_login(request.get_full_path())

    return wrapper


class CardSessionMiddleware:
    """Keeps a card session to CARD_VIEWS (404 for anything else). The QR address (the only URL
    with a token) answers with Referrer-Policy: no-referrer; the card pages after it carry no token
    and keep the site's same-origin policy, because under no-referrer browsers send `Origin: null`
    with a form's POST and Django's CSRF check refuses it. Nothing of a card session is cached
    (a phone may be shared)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view_name = match.view_name if match is not None else ""
        if view_name == "villages:card_open":
            response["Referrer-Policy"] = "no-referrer"
        if view_name in ("villages:card_open", "villages:card_enter") or getattr(request, "_card", None) is not None:
            response["Cache-Control"] = "private, no-store"
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        if request.user.is_authenticated:
            return None
        card = current_card(request)
        if card is not None and request.resolver_match.view_name not in CARD_VIEWS:
            raise Http404
        return None
