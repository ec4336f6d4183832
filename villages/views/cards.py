"""Opening a resident card: its QR address, the "enter your card code" page, and closing it."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from villages import cards
from villages.forms import CardCodeForm


@never_cache
def card_open(request: HttpRequest) -> HttpResponse:
    """The QR code's address: exchange the token for a card session, then redirect to a URL
    without it (so it stays out of the history, referrers and logs). 404 for a revoked or unknown token."""
    card = cards.card_for_token(request.GET.get("k", ""))
    if card is None:
        raise Http404
    cards.open_card_session(request, card)
    return redirect("points:standing")


@never_cache
@require_http_methods(["GET", "POST"])
def card_enter(request: HttpRequest) -> HttpResponse:
    """The public page where a resident types the code printed on their card."""
    form = CardCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            card = cards.card_for_code(request, form.cleaned_data["code"])
        except cards.CardLocked:
            form.add_error(None, _("Too many wrong codes. Try again in an hour, or ask the village office."))
            status = 429
        else:
            if card is not None:
                cards.open_card_session(request, card)
                return redirect("points:standing")
            form.add_error("code", _("This code does not open a card. Check it and type it again."))
            status = 400
    return render(request, "villages/cards/enter.html", {"form": form}, status=status)


@require_POST
def card_close(request: HttpRequest) -> HttpResponse:
    cards.close_card_session(request)
    return redirect("villages:card_enter")
