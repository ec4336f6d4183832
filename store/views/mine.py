"""The resident's store: store points, when they lapse, what is pending, and their receipts."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from points.access import get_own_resident
from points.standing import compute_standing
from store.access import store_settings
from store.balance import store_balance
from store.catalogue import goods_on_offer
from store.models import Receipt

RECEIPTS_SHOWN = 20


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """Shows the grade beside the store balance: spending never changes it."""
    resident = get_own_resident(request)
    config = store_settings(resident.village)
    context = {
        "resident": resident,
        "config": config,
        "balance": store_balance(resident=resident, config=config) if config else None,
        "standing": compute_standing(resident=resident),
        "receipts": Receipt.objects.filter(resident=resident).prefetch_related("lines__goods")[:RECEIPTS_SHOWN],
        "goods": goods_on_offer(resident.village) if config else [],
    }
    return render(request, "store/mine.html", context)
