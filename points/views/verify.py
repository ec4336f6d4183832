"""The public page a certificate's QR code opens: genuine and current, superseded, or revoked; and
/verify/ where a checker without a camera types the code."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from points.verification import benefits_today, looks_like_serial
from points.verification import verify as check

SERIAL_ONLY = "points/certificates/serial_only.html"
NOT_GENUINE = "points/certificates/not_genuine.html"


def _noindex(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """No login. Shows only the name, village, grade, date of issue and serial, never the ledger, and
    for a current certificate the benefits its grade gives today (the same for every holder of it).
    Anything that is not a genuine code (garbage, a changed character) gets a 404 page that says so;
    a serial number alone gets a 404 page that says the full code is needed."""
    verdict = check(code)
    if verdict is not None:
        context = {"verdict": verdict, "benefits": benefits_today(verdict)}
        return _noindex(render(request, "points/certificates/verify.html", context))
    template = SERIAL_ONLY if looks_like_serial(code) else NOT_GENUINE
    return _noindex(render(request, template, {"typed": code}, status=404))


@never_cache
def verify_form(request: HttpRequest) -> HttpResponse:
    """Type the code printed in the QR code. A full code opens its verdict; a serial alone is explained."""
    typed = request.GET.get("code", "").strip()
    if not typed:
        return _noindex(render(request, "points/certificates/verify_form.html"))
    if "." in typed and check(typed) is not None:
        return redirect("points:verify", code=typed)
    template = SERIAL_ONLY if looks_like_serial(typed) else NOT_GENUINE
    return _noindex(render(request, template, {"typed": typed}, status=404))
