"""The public page a certificate's QR code opens: genuine and current, superseded, or revoked."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from points.verification import benefits_today
from points.verification import verify as check


@never_cache
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """No login. Shows only the name, village, grade, date of issue and serial, never the ledger, and
    for a current certificate the benefits its grade gives today (the same for every holder of it).
    Anything that is not a genuine code (garbage, a changed character) gets a 404 page that says so."""
    verdict = check(code)
    if verdict is None:
        response = render(request, "points/certificates/not_genuine.html", status=404)
    else:
        context = {"verdict": verdict, "benefits": benefits_today(verdict)}
        response = render(request, "points/certificates/verify.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response
