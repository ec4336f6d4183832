"""Recording without signal: the installable app's manifest and service worker, the offline
Record page, the snapshot the phone keeps, and the endpoint that delivers one waiting entry.

The phone sends each waiting entry on its own with the idempotency key it was given when the
scorer saved it, so a resend (a lost response, a second tab, the next page load) returns the
entry first recorded with that key. points.services.record_entry applies every rule (cap,
consent, date window, edition in force) on arrival, exactly as for an online submission.
"""

import functools
import hashlib
import json
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from points import services
from points.access import get_item_to_score, get_resident_to_score
from points.forms import RecordForm
from points.offline import offline_snapshot, sync_payload_problem
from villages.access import require_role
from villages.models import Membership

SCORER = Membership.Role.SCORER
THEME_COLOR = "#8c1c13"
ICONS = [
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/maskable-512.png", "512x512", "maskable"),
]


# Static files the offline page needs; the worker keeps them at their (in production hashed) URLs.
PRECACHED = ["css/site.css", "vendor/htmx-2.0.11.min.js", "js/offline.js", *(path for path, _size, _purpose in ICONS)]


def _fingerprint(paths: list[str]) -> str:
    """A digest of the files' contents, so that the worker's version changes whenever one of them
    does, even where their URLs carry no hash (DEBUG, the embedded default)."""
    digest = hashlib.sha256()
    for path in paths:
        found = finders.find(path)
        if found:
            with open(found, "rb") as file:
                digest.update(file.read())
    return digest.hexdigest()


def _worker_source() -> str:
    with open(finders.find("js/sw.js"), encoding="utf-8") as file:
        return file.read()


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, from the site's root so that its scope is the whole site. Its first
    line carries the URLs it needs and a version that changes with them and with its code, so
    a phone picks up a new worker (and drops old caches) after a deployment."""
    config = {
        "offline": reverse("points:record_offline"),
        "static": static(""),
        "assets": [static(path) for path in PRECACHED],
    }
    source = _worker_source()
    seed = json.dumps(config) + source + _fingerprint(PRECACHED)
    config["version"] = hashlib.sha256(seed.encode()).hexdigest()[:12]
    body = f"self.VP_CONFIG = {json.dumps(config)};\n{source}"
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker at most daily anyway; no-cache makes every check real.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: a scorer can add Village Points to the home screen, opening on Record."""
    data = {
        "name": _("Village Points"),
        "short_name": _("Village Points"),
        "description": _("Record residents' deeds and infractions, also without signal."),
        "lang": get_language(),
        "start_url": reverse("points:record"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": static(path), "sizes": size, "type": "image/png", "purpose": purpose}
            for path, size, purpose in ICONS
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@require_GET
def record_offline(request: HttpRequest) -> HttpResponse:
    """The Record screen that works from the phone's copy of residents and handbook. The service
    worker keeps this page and shows it for any page opened without signal."""
    village = require_role(request, SCORER)
    response = render(request, "points/record_offline.html", {"village": village})
    response["Cache-Control"] = "private, no-store"
    return response


# The two endpoints below are read by the phone's script, not by a person: no login redirect, so
# an expired session is a 403 the phone can explain ("sign in again"), not a login page in JSON's place.


@require_GET
def offline_data(request: HttpRequest) -> HttpResponse:
    """The snapshot the phone keeps (points.offline.offline_snapshot) and a CSRF token for
    sending entries later (a copy of the page kept on the phone may hold an old one).

    Answered 304 when the phone's copy is current (ETag / If-None-Match): the tag covers the
    snapshot, the scorer and the CSRF secret the token is made from, so a phone keeps its copy,
    and its token stays valid, until one of them changes. The phone asks on every Record page."""
    village = require_role(request, SCORER)
    data = offline_snapshot(village=village)
    data["scorer"] = request.user.pk
    body = json.dumps(data, ensure_ascii=False, cls=DjangoJSONEncoder)  # in the order offline_snapshot builds it
    get_token(request)  # makes sure the CSRF secret exists before it is hashed
    secret = request.META.get("CSRF_COOKIE", "")
    etag = '"' + hashlib.sha256(f"{body}|{secret}".encode()).hexdigest()[:32] + '"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        # The snapshot is serialised once (a village's residents are most of it): the tag is taken
        # over it, and the token goes in front of its first key.
        token = json.dumps(get_token(request))
        response = HttpResponse(f'{{"csrf_token": {token}, {body[1:]}', content_type="application/json")
    response["ETag"] = etag
    # Kept by the phone's script in Cache Storage (which sends If-None-Match itself), never by an HTTP cache.
    response["Cache-Control"] = "private, no-store"
    return response


def _refused(code: str, message: str, status: int = 422) -> JsonResponse:
    return JsonResponse({"status": "refused", "code": code, "message": message}, status=status)


@require_POST
def offline_sync(request: HttpRequest) -> JsonResponse:
    """Record one entry kept on the phone: JSON {resident, item, occurred_on, note, witness,
    idempotency_key}. Answers {"status": "recorded", "entry": pk, "url": …} (the same entry for
    a repeated key) or {"status": "refused", "code", "message"} with the translated reason.

    403 for anyone but a scorer in the acting village (the phone keeps the entry); 404 for a
    resident or item outside it, with nothing written. CSRF-protected like any post."""
    village = require_role(request, SCORER)
    payload, problem = sync_payload_problem(request.body)
    if payload is None:
        return _refused("invalid", problem, status=400)
    resident = get_resident_to_score(village, payload.get("resident"))
    item = get_item_to_score(village, payload.get("item"))
    fields = ("resident", "item", "idempotency_key", "occurred_on", "note", "witness")
    form = RecordForm({name: payload.get(name) or "" for name in fields}, village=village)
    if not form.is_valid():
        message = " ".join(str(error) for errors in form.errors.values() for error in errors)
        return _refused("invalid", message, status=400)
    try:
        entry = services.record_entry(scorer=request.user, resident=resident, item=item, **form.entry_values)
    except ValidationError as error:
        return _refused(error.code or "refused", " ".join(error.messages))
    return JsonResponse(
        {"status": "recorded", "entry": entry.pk, "url": reverse("points:record_done", args=[entry.pk])}
    )


def clear_site_data(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """On signing out, ask the browser to drop what this site kept on the device (the cached
    residents, the offline page, waiting entries, the service worker). The offline script also
    clears them itself before the form is sent, for browsers that ignore this header."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if request.method == "POST":
            response["Clear-Site-Data"] = '"cache", "storage"'
        return response

    return wrapped
