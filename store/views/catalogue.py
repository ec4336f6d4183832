"""The catalogue and the stock (store keepers, head, administrators), goods and the store's settings
(head, administrators), and goods photos (anyone acting in the village)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from store import services
from store.access import get_goods_for, get_goods_photo_for, require_stock, require_store_office, store_settings
from store.catalogue import catalogue
from store.forms import GoodsForm, StockForm, StoreSettingsForm
from store.models import StockMovement

MOVEMENTS_SHOWN = 50


@login_required
def catalogue_page(request: HttpRequest) -> HttpResponse:
    village = require_stock(request)
    return render(
        request,
        "store/catalogue.html",
        {"goods": catalogue(village), "config": store_settings(village)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def goods_add(request: HttpRequest) -> HttpResponse:
    village = require_store_office(request)
    form = GoodsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            goods = services.add_goods(author=request.user, village=village, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("“%(goods)s” is in the catalogue. Record its first delivery.") % {"goods": goods}
            )
            return redirect("store:goods_stock", goods.pk)
    return render(request, "store/goods_form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def goods_edit(request: HttpRequest, pk: int) -> HttpResponse:
    goods = get_goods_for(request, pk, manage=True)
    initial = {"name": goods.name, "unit": goods.unit, "price_points": goods.price_points, "active": goods.active}
    form = GoodsForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_goods(author=request.user, goods=goods, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("store:catalogue")
    return render(request, "store/goods_form.html", {"form": form, "goods": goods}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def goods_stock(request: HttpRequest, pk: int) -> HttpResponse:
    """The goods' movements, newest first, and a delivery or write-off."""
    goods = get_goods_for(request, pk)
    form = StockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        move = services.deliver if form.cleaned_data["kind"] == StockMovement.Kind.DELIVERY else services.write_off
        try:
            move(
                author=request.user,
                goods=goods,
                quantity=form.cleaned_data["quantity"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Stock recorded."))
            return redirect("store:goods_stock", goods.pk)
    context = {
        "goods": goods,
        "stock": services.stock_of([goods.pk])[goods.pk],
        "movements": goods.movements.select_related("author", "receipt")[:MOVEMENTS_SHOWN],
        "form": form,
    }
    return render(request, "store/goods_stock.html", context, status=400 if form.errors else 200)


@login_required
def goods_photo(request: HttpRequest, pk: int) -> FileResponse:
    goods = get_goods_photo_for(request, pk)
    try:
        handle = default_storage.open(goods.photo, "rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, content_type="image/jpeg")


@login_required
@require_http_methods(["GET", "POST"])
def store_settings_page(request: HttpRequest) -> HttpResponse:
    """Open the store, or change how deeds reach it."""
    village = require_store_office(request)
    current = store_settings(village)
    initial = {"credits_from": village.today().replace(month=1, day=1)} if current is None else None
    form = StoreSettingsForm(request.POST or None, instance=current, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.configure_store(author=request.user, village=village, **form.cleaned_data)
        messages.success(request, _("The store's settings are saved."))
        return redirect("store:catalogue")
    return render(request, "store/settings.html", {"form": form}, status=400 if form.errors else 200)
