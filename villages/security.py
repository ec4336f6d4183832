"""Security events in the audit trail: sign-ins, failed sign-ins, lock-outs and denied accesses.

Role changes, password resets and deactivations are audited by villages.services where they happen.
An event is written once per village the account belongs to (by a role or as a resident), so each
village's administrators see the events of their own people on the audit page; attempts on a user
name that does not exist belong to no village (the site's superusers see them in the admin).
"""

import ipaddress
import time
from collections.abc import Callable

from axes.signals import user_locked_out
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from villages.access import get_acting
from villages.audit import record_audit
from villages.models import AuditEvent, Village

SIGN_IN = "auth.sign_in"
SIGN_IN_FAILED = "auth.sign_in_failed"
LOCKED_OUT = "auth.locked_out"
ACCESS_DENIED = "access.denied"
# What the administrator's "security events" filter and an account's sign-in history show.
SECURITY_ACTIONS = (
    SIGN_IN,
    SIGN_IN_FAILED,
    LOCKED_OUT,
    ACCESS_DENIED,
    "role.grant",
    "role.revoke",
    "account.create",
    "account.password_reset",
    "account.deactivate",
    "account.reactivate",
)
SIGN_IN_ACTIONS = (SIGN_IN, SIGN_IN_FAILED, LOCKED_OUT)


def client_address(request: HttpRequest) -> str | None:
    """The address of the client behind settings.TRUSTED_PROXIES reverse proxies: the entry the
    outermost proxy appended to X-Forwarded-For (counted from the right), never one the client
    wrote itself; the connection's address without proxies or when the header is short or not an
    address. The lock-out (AXES_CLIENT_IP_CALLABLE) and the audit trail both use it."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXIES
    if not proxies:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def _address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return getattr(request, "axes_ip_address", None) or client_address(request)


def _villages_of(user: AbstractBaseUser) -> list[Village]:
    return list(Village.objects.filter(Q(memberships__user=user) | Q(residents__user=user)).distinct().order_by("pk"))


def _record_for_account(
    *, action: str, username: str, user: AbstractBaseUser | None, request: HttpRequest | None
) -> None:
    """One event per village of the account (or one without a village for an unknown name)."""
    if user is None:
        user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    villages = _villages_of(user) if user is not None else []
    actor = user if action == SIGN_IN else None
    for village in villages or [None]:
        record_audit(action=action, actor=actor, village=village, target=username, address=_address(request))


@receiver(user_logged_in, dispatch_uid="villages.security.signed_in")
def _signed_in(sender, request: HttpRequest | None, user: AbstractBaseUser, **kwargs) -> None:
    if request is None or request.method != "POST":
        return  # a session opened by code (tests' force_login, a management command), not a sign-in form
    _record_for_account(action=SIGN_IN, username=user.get_username(), user=user, request=request)


@receiver(user_login_failed, dispatch_uid="villages.security.sign_in_failed")
def _sign_in_failed(sender, credentials: dict, request: HttpRequest | None = None, **kwargs) -> None:
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or "")
    _record_for_account(action=SIGN_IN_FAILED, username=username, user=None, request=request)


@receiver(user_locked_out, dispatch_uid="villages.security.locked_out")
def _locked_out(sender, request: HttpRequest | None, username: str | None, **kwargs) -> None:
    _record_for_account(action=LOCKED_OUT, username=username or "", user=None, request=request)


def sign_in_history(*, user: AbstractBaseUser, village: Village, limit: int = 20) -> list[AuditEvent]:
    """The account's latest sign-ins, failed sign-ins and lock-outs seen in `village`. One query."""
    return list(
        AuditEvent.objects.filter(village=village, action__in=SIGN_IN_ACTIONS, target=user.get_username()).order_by(
            "-at", "-pk"
        )[:limit]
    )


class DeniedAccessMiddleware:
    """Audits a signed-in user's request that a view refused (403) or answered as not found (404):
    the access functions raise those for objects outside the user's role, so a run of them is
    someone probing. Costs nothing on allowed requests; one insert on a refused one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if not isinstance(exception, PermissionDenied | Http404) or not request.user.is_authenticated:
            return None
        count = _refusals_this_minute(request.user.pk)
        if count not in AUDITED_REFUSALS:
            return None
        acting = get_acting(request)
        after = {"status": 403 if isinstance(exception, PermissionDenied) else 404}
        if count > 1:
            after["refused_this_minute"] = count
        record_audit(
            action=ACCESS_DENIED,
            actor=request.user,
            village=acting.village if acting is not None else None,
            target=f"{request.method} {request.path}",
            after=after,
            address=_address(request),
        )
        return None


# A probe refused thousands of times a minute writes a handful of rows, not thousands: the 1st
# refusal of a user in a minute, then the 10th, 100th, ... each saying how many there were so far.
AUDITED_REFUSALS = frozenset(10**power for power in range(7))


def _refusals_this_minute(user_pk: int) -> int:
    """Count one more refusal of the user in this minute (in the cache, shared by the processes)."""
    key = f"access-denied:{user_pk}:{int(time.time() // 60)}"
    try:
        cache.add(key, 0, timeout=120)
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        return 1
    except Exception:  # the cache is down: audit this one rather than fail the request
        return 1


def unlock_sign_in(*, username: str) -> None:
    """Lift every sign-in lock-out of the user name (after an administrator reset its password)."""
    axes_reset(username=username)


def safe_next_url(request: HttpRequest, candidate: str, *, default: str) -> str:
    """Where to go after a form: `candidate` if it is a path on this site, otherwise `default`.
    Only a path that starts with one slash is taken (never a URL name, another host or a scheme),
    so `redirect()` never tries to reverse what a visitor typed."""
    if (
        candidate.startswith("/")
        and not candidate.startswith("//")
        and "\x00" not in candidate
        and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()})
    ):
        return candidate
    return default
