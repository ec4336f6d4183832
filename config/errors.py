"""Error pages in the site's frame and the visitor's language (templates/4xx.html, 500.html)."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.shortcuts import render
from django.template import loader


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent with a missing or stale CSRF token: say what to do, in the frame (CSRF_FAILURE_VIEW)."""
    return render(request, "403_csrf.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. Renders without the request's context processors, which read the database (the
    acting village, the user): the database may be what failed. The language is already active."""
    return HttpResponseServerError(loader.get_template("500.html").render({}))


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400. A bad request (a host not in ALLOWED_HOSTS, a malformed upload) may be refused
    before the middleware that sets request.user ran, so it renders without the request's context."""
    return HttpResponseBadRequest(loader.get_template("400.html").render({}))
