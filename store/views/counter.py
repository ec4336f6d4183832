"""The counter, on the store keeper's phone or the office PC: find the resident → pick goods →
confirm → receipt. Every step is a plain GET link or form post; htmx only swaps the search results.
The picked quantities travel in the query string, so back and reload show what the keeper saw."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.security import permits
from store import services
from store.access import STOCK, get_receipt_for, get_resident_to_serve, require_keeper, store_settings
from store.balance import store_balance
from store.catalogue import goods_on_offer
from store.forms import BasketForm, CardForm, ReturnForm
from store.models import Receipt
from villages import cards
from villages.access import get_acting
from villages.models import Resident
from villages.search import resident_matching

RESULTS = 20


@login_required
@permits("camera")
def counter(request: HttpRequest) -> HttpResponse:
    """Find the resident: by name, pinyin initials or household number, or from their card."""
    village = require_keeper(request)
    query = request.GET.get("q", "").strip()
    if request.htmx:
        return render(request, "store/counter.html#results", {"query": query, "matches": _matches(village, query)})
    return _counter_page(request, village, query=query, card_form=CardForm())


@login_required
@require_POST
@permits("camera")
def counter_card(request: HttpRequest) -> HttpResponse:
    """Open the resident from their card: its QR address (camera or barcode scanner) or its typed
    code, within the store keeper's village. The keeper stays signed in as themself; no card session."""
    village = require_keeper(request)
    form = CardForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            card = cards.card_at_counter(request, form.cleaned_data["card"], village=village)
        except cards.CardLocked:
            form.add_error("card", _("Too many wrong codes. Try again in an hour, or find the resident by name."))
            status = 429
        else:
            if card is not None:
                return redirect("store:serve", card.resident_id)
            form.add_error("card", _("This is not a valid card of this village (it may have been replaced)."))
    return _counter_page(request, village, query="", card_form=form, status=status)


def _matches(village, query: str) -> list[Resident]:
    if not query:
        return []
    return list(
        Resident.objects.filter(resident_matching(query), village=village, status=Resident.Status.ACTIVE)
        .select_related("household")
        .order_by("name_pinyin", "pk")[:RESULTS]
    )


def _counter_page(request: HttpRequest, village, *, query: str, card_form: CardForm, status: int = 200) -> HttpResponse:
    context = {
        "query": query,
        "matches": _matches(village, query),
        "has_store": store_settings(village),
        "card_form": card_form,
    }
    return render(request, "store/counter.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def serve(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick goods (GET), review them with the total (GET ?review=1), confirm (POST). A refusal
    (beyond the balance or the stock) is shown with its reason, and nothing is written.

    The Confirm POST checks the keeper's role here and leaves the resident to redeem, whose row lock
    fetches them within the acting village anyway (404 for any other resident): the form needs no
    catalogue either, redeem fetches the goods with their lock."""
    status = 200
    if request.method == "POST":
        village = require_keeper(request)
        form = BasketForm(request.POST, goods=None)
        if form.is_valid():
            try:
                receipt = services.redeem(
                    keeper=request.user, resident=pk, village=village, basket=form.basket, idempotency_key=form.key
                )
            except Resident.DoesNotExist:
                raise Http404 from None
            except ValidationError as error:
                form.add_error(None, error)
                status = 400
            else:
                return redirect("store:receipt", receipt.pk)
        resident = get_resident_to_serve(request, pk)
    else:
        resident = get_resident_to_serve(request, pk)
        form = BasketForm(request.GET if "review" in request.GET else None, goods=goods_on_offer(resident.village))
    reviewing = form.is_bound and form.is_valid() and bool(form.basket) and status == 200
    if form.is_bound and form.is_valid() and not form.basket:
        form.add_error(None, _("Pick at least one article."))
    config = store_settings(resident.village)
    goods = goods_on_offer(resident.village)
    if request.method == "POST":
        form.show(goods)  # shown again with their stock
    context = {
        "resident": resident,
        "config": config,
        "balance": store_balance(resident=resident, config=config) if config else None,
        "goods": goods,
        "form": form,
        "reviewing": reviewing,
        "key": form.key if reviewing else None,
    }
    return render(request, "store/serve.html", context, status=status)


@login_required
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """A receipt, to the resident on their phone or printed; the store keeper, head and
    administrators can take the goods back from here."""
    receipt = get_receipt_for(request, pk)
    return _receipt_page(request, receipt, ReturnForm())


@login_required
@require_POST
def receipt_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Take everything on the receipt back (a reversing receipt), with a reason."""
    receipt = get_receipt_for(request, pk, manage=True)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            back = services.return_receipt(receipt=receipt, author=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The goods are back in stock and the store points returned."))
            return redirect("store:receipt", back.pk)
    return _receipt_page(request, receipt, form, status=400)


def _receipt_page(request: HttpRequest, receipt: Receipt, form: ReturnForm, status: int = 200) -> HttpResponse:
    acting = get_acting(request)
    context = {
        "receipt": receipt,
        "lines": list(receipt.lines.select_related("goods")),
        "can_return": acting.has(*STOCK) and not receipt.is_return and not hasattr(receipt, "reversal"),
        "form": form,
    }
    return render(request, "store/receipt.html", context, status=status)
