"""Signing in on a scorer's phone: what happens when the session ended, and "keep me signed in".

Sessions end after SESSION_COOKIE_AGE without use (12 hours), so a scorer who leaves Record open
overnight submits from an ended session every morning. Nothing they typed may be lost:

- an htmx request from an ended session is answered 401 with HX-Redirect to the sign-in page
  (htmx navigates instead of swapping the sign-in page into a fragment), by SignInRedirectMiddleware;
- a form posted from an ended session to a view decorated with keep_post_when_signed_out is
  kept in the (new, anonymous) session, which survives signing in; the view takes it back with
  take_kept_post and shows it again, with its original idempotency key, to be sent once;
- "keep me signed in on this phone" (SignInView) makes the session last REMEMBER_DAYS, sliding
  (SESSION_SAVE_EVERY_REQUEST), ended by signing out and by an administrator's password reset or
  deactivation (both end every session of the account).
"""

import functools
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import LoginView, redirect_to_login
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import resolve_url

from villages.forms import SignInForm

REMEMBER_DAYS = 30
KEPT = "kept_post"
HAD_FILES = "_had_files"


class SignInView(LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: SignInForm) -> HttpResponse:
        response = super().form_valid(form)
        if form.cleaned_data.get("remember"):
            # Every request saves the session again (SESSION_SAVE_EVERY_REQUEST): 30 days from the last use.
            self.request.session.set_expiry(REMEMBER_DAYS * 24 * 60 * 60)
        return response


def _login_path() -> str:
    return urlsplit(resolve_url(settings.LOGIN_URL)).path


class SignInRedirectMiddleware:
    """An htmx request that would be redirected to the sign-in page gets 401 and HX-Redirect to
    it instead, with `next` the page the scorer is on: htmx then loads the sign-in page as a page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.status_code != 302:
            return response
        location = urlsplit(response["Location"])
        if location.path != _login_path():
            return response
        page = urlsplit(request.htmx.current_url or "")
        next_url = QueryDict(location.query).get("next") if request.method == "POST" else None
        if not next_url:
            next_url = page.path + (f"?{page.query}" if page.query else "") if page.path else request.path
        redirected = HttpResponse(status=401)
        redirected["HX-Redirect"] = redirect_to_login(next_url)["Location"]
        return redirected


def keep_post_when_signed_out(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Put outside login_required: a POST from an ended session is kept in the session, and the
    scorer is sent to sign in and back to the same page with `?resume=1`, where the view finds it
    with take_kept_post. Files cannot be kept; the page asks for the photo again."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST" and not request.user.is_authenticated:
            data = {key: values for key, values in request.POST.lists() if key != "csrfmiddlewaretoken"}
            if request.FILES:
                data[HAD_FILES] = ["1"]  # the view asks for them again
            request.session[KEPT] = {"path": request.path, "data": data}
            return redirect_to_login(f"{request.path}?resume=1")
        return view(request, *args, **kwargs)

    return wrapped


def take_kept_post(request: HttpRequest) -> QueryDict | None:
    """The form kept by keep_post_when_signed_out for this page, once (None if there is none)."""
    if request.GET.get("resume") != "1":
        return None
    kept = request.session.get(KEPT)
    if not kept or kept.get("path") != request.path:
        return None
    del request.session[KEPT]
    data = QueryDict(mutable=True)
    for key, values in kept["data"].items():
        data.setlist(key, values)
    return data
