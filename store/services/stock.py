"""Stock: deliveries and write-offs as movements with a reason and an author; stock on hand."""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from store.models import Goods, StockMovement
from villages.access import OFFICE, has_role
from villages.models import Membership

STOCK_ROLES = (Membership.Role.STORE_KEEPER, *OFFICE)


def refuse(message: str, code: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def stock_of(goods_ids: Iterable[int]) -> dict[int, int]:
    """Stock on hand per goods id (0 for goods never delivered). One query over the movements index."""
    ids = list(goods_ids)
    stock = dict(
        StockMovement.objects.filter(goods_id__in=ids)
        .values_list("goods_id")
        .annotate(total=Sum("quantity"))
        .values_list("goods_id", "total")
    )
    return {pk: stock.get(pk, 0) for pk in ids}


def stock_on_hand(goods: OuterRef) -> Coalesce:
    """stock_of as an expression: the stock of the goods `goods` refers to (0 if never delivered)."""
    total = (
        StockMovement.objects.filter(goods_id=goods)
        .order_by()
        .values("goods_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=IntegerField()), 0)


def deliver(
    *, author: AbstractBaseUser, goods: Goods, quantity: int, reason: str, at: datetime | None = None
) -> StockMovement:
    """Goods arrived: `quantity` more on hand. The store keeper, the head or an administrator.
    `at` (default now) is for transcribing past deliveries (the demo's history)."""
    return _move(author=author, goods=goods, quantity=quantity, reason=reason, kind=StockMovement.Kind.DELIVERY, at=at)


def write_off(
    *, author: AbstractBaseUser, goods: Goods, quantity: int, reason: str, at: datetime | None = None
) -> StockMovement:
    """Goods spoilt, broken or lost: `quantity` fewer on hand, never below zero. Locks the goods' row
    (PostgreSQL; SQLite's IMMEDIATE transactions serialise writers) against a redemption at the same time."""
    return _move(
        author=author, goods=goods, quantity=-quantity, reason=reason, kind=StockMovement.Kind.WRITE_OFF, at=at
    )


def _move(
    *, author: AbstractBaseUser, goods: Goods, quantity: int, reason: str, kind: str, at: datetime | None
) -> StockMovement:
    reason = reason.strip()
    if not has_role(author, goods.village_id, *STOCK_ROLES):
        raise refuse(
            _("Only the store keeper, the village head or an administrator can change the stock."), "not_allowed"
        )
    if quantity == 0:
        raise refuse(_("Enter a quantity of at least 1."), "no_quantity")
    if not reason:
        raise refuse(_("Give a reason, e.g. the supplier or what happened."), "reason_required")
    with transaction.atomic():
        goods = Goods.objects.select_for_update().get(pk=goods.pk)
        on_hand = stock_of([goods.pk])[goods.pk]
        if on_hand + quantity < 0:
            raise refuse(
                _("Only %(stock)d of “%(goods)s” are in stock; you cannot write off more."),
                "out_of_stock",
                stock=on_hand,
                goods=str(goods),
            )
        return StockMovement.objects.create(
            village_id=goods.village_id,
            goods=goods,
            kind=kind,
            quantity=quantity,
            reason=reason,
            author=author,
            at=at or timezone.now(),
        )
