"""The counter, on the store keeper's phone or the office PC: find the resident → pick goods →
confirm → receipt. Every step is a plain GET link or form post; htmx only swaps the search results.
The picked quantities travel in the query string, so back and reload show what the keeper saw."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from store import services
from store.access import STOCK, get_receipt_for, get_resident_to_serve, require_keeper, store_settings
from store.balance import store_balance
from store.catalogue import goods_on_offer
from store.forms import BasketForm, ReturnForm
from store.models import Goods, Receipt
from villages.access import get_acting
from villages.models import Resident
from villages.search import resident_matching

RESULTS = 20


@login_required
def counter(request: HttpRequest) -> HttpResponse:
    """Find the resident: by name, pinyin initials or household number."""
    village = require_keeper(request)
    query = request.GET.get("q", "").strip()
    matches = []
    if query:
        matches = list(
            Resident.objects.filter(resident_matching(query), village=village, status=Resident.Status.ACTIVE)
            .select_related("household")
            .order_by("name_pinyin", "pk")[:RESULTS]
        )
    template = "store/counter.html#results" if request.htmx else "store/counter.html"
    return render(request, template, {"query": query, "matches": matches, "has_store": store_settings(village)})


@login_required
@require_http_methods(["GET", "POST"])
def serve(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick goods (GET), review them with the total (GET ?review=1), confirm (POST). A refusal
    (beyond the balance or the stock) is shown with its reason, and nothing is written."""
    resident = get_resident_to_serve(request, pk)
    if request.method == "POST":
        # The form needs the articles only; their stock and the store's settings are redeem's to check.
        form = BasketForm(request.POST, goods=list(Goods.objects.filter(village=resident.village, active=True)))
    else:
        form = BasketForm(request.GET if "review" in request.GET else None, goods=goods_on_offer(resident.village))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            receipt = services.redeem(
                keeper=request.user, resident=resident, basket=form.basket, idempotency_key=form.key
            )
        except ValidationError as error:
            form.add_error(None, error)
            status = 400
        else:
            return redirect("store:receipt", receipt.pk)
    reviewing = form.is_bound and form.is_valid() and bool(form.basket) and status == 200
    if form.is_bound and form.is_valid() and not form.basket:
        form.add_error(None, _("Pick at least one article."))
    config = store_settings(resident.village)
    goods = goods_on_offer(resident.village)
    if request.method == "POST":
        form.goods = goods  # shown again with their stock
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
