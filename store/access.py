"""Fetching store objects together with the check that the user may see them. Lists a role has no
business with answer 403; objects outside what the user may see answer 404."""

from django.http import Http404, HttpRequest

from store.models import Goods, Receipt, StoreSettings
from villages.access import OFFICE, get_acting, get_in_acting_village, require_role
from villages.models import Benefit, Membership, Resident, Village

KEEPER = Membership.Role.STORE_KEEPER
STOCK = (KEEPER, *OFFICE)


def require_keeper(request: HttpRequest) -> Village:
    """The acting village, for its store keepers (who serve at the counter); otherwise 403."""
    return require_role(request, KEEPER)


def require_stock(request: HttpRequest) -> Village:
    """The acting village, for its store keepers, head and administrators (catalogue, stock, receipts)."""
    return require_role(request, *STOCK)


def require_store_office(request: HttpRequest) -> Village:
    """The acting village, for its head and administrators (prices, settings, reports, benefits)."""
    return require_role(request, *OFFICE)


def store_settings(village: Village) -> StoreSettings | None:
    return StoreSettings.objects.select_related("village").filter(village=village).first()


def get_resident_to_serve(request: HttpRequest, pk: int) -> Resident:
    """A resident of the store keeper's acting village; 403 for anyone but a store keeper, 404 for
    any other resident."""
    village = require_keeper(request)
    try:
        return Resident.objects.select_related("village", "household").get(pk=pk, village=village)
    except Resident.DoesNotExist:
        raise Http404 from None


def get_receipt_for(request: HttpRequest, pk: int, *, manage: bool = False) -> Receipt:
    """A receipt of the acting village for its store keepers, head and administrators, or (unless
    `manage`: taking goods back) the resident's own receipt for the resident. 404 otherwise."""
    acting = get_acting(request)
    if acting is None:
        raise Http404
    receipt = (
        Receipt.objects.select_related("resident__household", "served_by", "village", "reverses", "reversal")
        .filter(pk=pk, village=acting.village)
        .first()
    )
    if receipt is None:
        raise Http404
    if acting.has(*STOCK):
        return receipt
    own = receipt.resident.user_id is not None and receipt.resident.user_id == request.user.pk
    if manage or not own or not acting.has(Membership.Role.RESIDENT):
        raise Http404
    return receipt


def get_goods_for(request: HttpRequest, pk: int, *, manage: bool = False) -> Goods:
    """Goods of the acting village: for the stock (store keepers, head, administrators) or, with
    `manage`, to change the catalogue (head, administrators). 404 for anyone else."""
    return get_in_acting_village(request, Goods.objects.select_related("village"), pk, *(OFFICE if manage else STOCK))


def get_goods_photo_for(request: HttpRequest, pk: int) -> Goods:
    """Goods with a photo, for anyone holding a role in the acting village (the catalogue is shown at
    the counter and to residents); 404 otherwise."""
    acting = get_acting(request)
    if acting is None:
        raise Http404
    goods = Goods.objects.filter(pk=pk, village=acting.village).exclude(photo="").first()
    if goods is None:
        raise Http404
    return goods


def get_benefit_for_office(request: HttpRequest, pk: int) -> Benefit:
    return get_in_acting_village(request, Benefit.objects.select_related("village"), pk, *OFFICE)
