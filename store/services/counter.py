"""At the counter: redeeming goods for store points, and taking goods back (a reversing receipt)."""

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.db.models import DateTimeField, IntegerField, OuterRef, QuerySet, Subquery, UUIDField
from django.utils import timezone
from django.utils.translation import gettext as _

from store.balance import SPENDABLE_SLOTS, period_on, spendable_bounds, spendable_expressions
from store.models import Goods, Receipt, ReceiptLine, StockMovement, StoreSettings
from store.services.stock import refuse, stock_on_hand
from villages.access import OFFICE, has_role, holds_role
from villages.compiled import Slot, compiled, compiled_insert
from villages.models import Membership, Resident, Village
from villages.templatetags.points_format import points as format_points

COUNTER_ROLES = (Membership.Role.STORE_KEEPER,)
RETURN_ROLES = (Membership.Role.STORE_KEEPER, *OFFICE)


def redeem(
    *,
    keeper: AbstractBaseUser,
    resident: Resident | int,
    basket: Mapping[int, int],
    idempotency_key: uuid.UUID,
    village: Village | int | None = None,
    served_at: datetime | None = None,
) -> Receipt:
    """Give `resident` the goods in `basket` (goods id → quantity) for store points; return the receipt.

    The same idempotency key always returns the receipt first made with it, so a second tap of
    Confirm or a retry after a lost response redeems once. Refusals raise ValidationError (with a
    code and a translated message) and write nothing.

    Locks the resident's row, then the goods' rows in id order (PostgreSQL; SQLite's IMMEDIATE
    transactions serialise writers anyway): of two counters redeeming the last unit, or the last
    store points of one resident, at the same moment, the second sees what the first took and is
    refused. Never writes the points ledger.

    The same statements whatever the number of lines: the resident's lock (with the village, its
    store settings, the keeper's role and a receipt already made with this key), the goods' lock
    (PostgreSQL only), their stock with the resident's credits and spending (read after both locks,
    so a PostgreSQL statement that waited for a lock still sees what the other counter wrote), and
    one INSERT each for the receipt, its lines and the stock movements.

    `resident` is the resident or, with `village`, their id: the counter passes the id and the
    keeper's acting village, and a resident of another village raises Resident.DoesNotExist (the
    view's 404) from the lock, without a fetch of its own.

    `served_at` (default now) is for transcribing past receipts in order (the demo's history): the
    balance is then taken at that moment.
    """
    wanted = {int(pk): int(quantity) for pk, quantity in basket.items() if int(quantity) != 0}
    if isinstance(resident, Resident):
        resident, village = resident.pk, village or resident.village_id
    elif village is None:
        raise TypeError("A resident given by id needs the village they are served in.")
    try:
        with transaction.atomic():
            locked = compiled(_locked_resident).get(
                resident=resident,
                village=village.pk if isinstance(village, Village) else village,
                keeper=keeper.pk,
                key=idempotency_key,
            )
            if locked.replayed is not None:
                return _replayed(Receipt.objects.get(pk=locked.replayed), keeper=keeper, resident=locked.pk)
            resident, village = locked, locked.village
            if not locked.is_keeper:
                raise refuse(_("You are not a store keeper in %(village)s."), "not_allowed", village=village.name)
            if resident.user_id is not None and resident.user_id == keeper.pk:
                raise refuse(_("Another store keeper must serve you: nobody serves themself."), "own_receipt")
            config = getattr(village, "store_settings", None)
            if config is None:
                raise refuse(_("%(village)s has no points store."), "no_store", village=village.name)
            if not wanted:
                raise refuse(_("Pick at least one article."), "empty_basket")
            if any(quantity < 0 for quantity in wanted.values()):
                raise refuse(_("Quantities cannot be negative; take goods back with a return."), "negative")
            if connection.features.has_select_for_update:
                # Locked first, read after (see the docstring). SQLite has no row locks and needs none:
                # its IMMEDIATE transaction already keeps every other writer out.
                compiled(_locked_goods, len(wanted)).rows(**_goods_slots(wanted), village=village.pk)
            now = served_at or timezone.now()
            _period, bounds = spendable_bounds(config=config, now=now)
            rows = compiled(_stock_and_balance, len(wanted)).rows(
                **_goods_slots(wanted),
                village=village.pk,
                resident=resident.pk,
                **bounds,
            )
            if len(rows) != len(wanted):
                raise refuse(_("An article is not in this village's catalogue. Pick it again."), "unknown_goods")
            credited, spent = rows[0][-2:]  # the resident's, on every row
            goods = []
            for pk, name, unit, price_points, active, stock, *_balance in rows:
                article = Goods(pk=pk, village=village, name=name, unit=unit, price_points=price_points, active=active)
                if not active:
                    raise refuse(_("“%(goods)s” is no longer on offer."), "inactive_goods", goods=str(article))
                if wanted[pk] > stock:
                    raise refuse(
                        _("Only %(stock)d of “%(goods)s” left in stock; %(wanted)d asked for."),
                        "out_of_stock",
                        stock=stock,
                        goods=str(article),
                        wanted=wanted[pk],
                    )
                goods.append(article)
            total = sum(article.price_points * wanted[article.pk] for article in goods)
            left = credited * config.points_per_deed_point + spent  # receipts: negative
            if total * 2 > left:
                raise refuse(
                    _("%(name)s has %(balance)s store points; these goods cost %(total)d. Nothing was redeemed."),
                    "not_enough_points",
                    name=resident.name,
                    balance=format_points(Decimal(left) / 2),
                    total=total,
                )
            receipt = _write_receipt(
                village=village.pk,
                resident=resident.pk,
                keeper=keeper.pk,
                at=now,
                halves=-total * 2,
                key=idempotency_key,
                basket=[(article.pk, wanted[article.pk], article.price_points) for article in goods],
            )
            return receipt
    except IntegrityError:
        # Another request with the same key committed between our check and our insert.
        existing = Receipt.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _replayed(existing, keeper=keeper, resident=resident if isinstance(resident, int) else resident.pk)


def _locked_resident() -> QuerySet:
    """The resident (slot resident) of the village (slot village), row-locked, with the village,
    its store settings, whether the keeper (slot keeper) is a store keeper there and a receipt
    already made with the idempotency key (slot key): compiled once (villages.compiled)."""
    return (
        Resident.objects.select_for_update(of=("self",))
        .select_related("village__store_settings")
        .filter(pk=Slot("resident", IntegerField()), village_id=Slot("village", IntegerField()))
        .annotate(
            is_keeper=holds_role(Slot("keeper", IntegerField()), OuterRef("village_id"), *COUNTER_ROLES),
            replayed=Subquery(Receipt.objects.filter(idempotency_key=Slot("key", UUIDField())).values("pk")[:1]),
        )
    )


def _goods_slots(ids) -> dict[str, int]:
    return {f"goods{i}": pk for i, pk in enumerate(sorted(ids))}


def _the_goods(lines: int) -> QuerySet:
    return Goods.objects.filter(
        pk__in=[_number(f"goods{i}") for i in range(lines)], village_id=_number("village")
    ).order_by("pk")


def _locked_goods(lines: int) -> QuerySet:
    """The goods asked for (slots goods0…) of the village (slot village), row-locked in id order."""
    return _the_goods(lines).select_for_update().values_list("pk")


def _stock_and_balance(lines: int) -> QuerySet:
    """The goods asked for (slots goods0…), of the village (slot village), with their stock and the
    resident's (slot resident) credits and spending in the bounds of store.balance.spendable_bounds:
    one read, compiled once per number of lines (villages.compiled)."""
    credited, spent = spendable_expressions(resident=Slot("resident", IntegerField()), **SPENDABLE_SLOTS)
    return (
        _the_goods(lines)
        .annotate(stock=stock_on_hand(OuterRef("pk")), credited=credited, spent=spent)
        .values_list("pk", "name", "unit", "price_points", "active", "stock", "credited", "spent")
    )


def _number(name: str) -> Slot:
    return Slot(name, IntegerField())


def _write_receipt(*, basket: list[tuple[int, int, int]], **values) -> Receipt:
    """The receipt (`values`: its slots), its lines and the goods leaving the stock (`basket`: goods
    id, quantity, unit price): three INSERTs, each compiled once (a number of lines)."""
    pk = compiled_insert(_receipt, returning=True).run(**values)
    goods = {f"goods{i}": goods for i, (goods, _quantity, _price) in enumerate(basket)}
    quantities = {f"quantity{i}": quantity for i, (_goods, quantity, _price) in enumerate(basket)}
    prices = {f"price{i}": price for i, (_goods, _quantity, price) in enumerate(basket)}
    compiled_insert(_lines, len(basket)).run(receipt=pk, **goods, **quantities, **prices)
    compiled_insert(_movements, len(basket)).run(
        receipt=pk,
        village=values["village"],
        author=values["keeper"],
        at=values["at"],
        **goods,
        **{name: -quantity for name, quantity in quantities.items()},
    )
    row = {"id": pk, **{name: values[slot] for name, slot in RECEIPT_SLOTS.items()}, "reverses_id": None, "reason": ""}
    return Receipt.from_db(DEFAULT_DB_ALIAS, list(row), list(row.values()))


# Receipt's columns and the slots _receipt gives them.
RECEIPT_SLOTS = {
    "village_id": "village",
    "resident_id": "resident",
    "served_by_id": "keeper",
    "served_at": "at",
    "points_halves": "halves",
    "idempotency_key": "key",
}


def _receipt() -> list[Receipt]:
    """The redemption's receipt, its values slots: inserted by a statement compiled once."""
    fields = {field.attname: field for field in Receipt._meta.concrete_fields}
    slots = {name: Slot(slot, fields[name]) for name, slot in RECEIPT_SLOTS.items()}
    return [Receipt(**slots, reverses_id=None, reason="")]


def _lines(lines: int) -> list[ReceiptLine]:
    """The receipt's lines (slots goods0, quantity0, price0, …): one INSERT compiled once a number of lines."""
    return [
        ReceiptLine(
            receipt_id=_number("receipt"),
            goods_id=_number(f"goods{i}"),
            quantity=_number(f"quantity{i}"),
            price_points=_number(f"price{i}"),
        )
        for i in range(lines)
    ]


def _movements(lines: int) -> list[StockMovement]:
    """The goods leaving the stock (slots goods0, quantity0, …, negative), one movement a line."""
    return [
        StockMovement(
            village_id=_number("village"),
            goods_id=_number(f"goods{i}"),
            kind=StockMovement.Kind.REDEMPTION,
            quantity=_number(f"quantity{i}"),
            reason="",
            author_id=_number("author"),
            at=Slot("at", DateTimeField()),
            receipt_id=_number("receipt"),
        )
        for i in range(lines)
    ]


def _replayed(receipt: Receipt, *, keeper: AbstractBaseUser, resident: int) -> Receipt:
    if (receipt.served_by_id, receipt.resident_id) != (keeper.pk, resident):
        raise refuse(_("This form was already used for another receipt. Start again."), "key_reused")
    return receipt


def return_receipt(*, receipt: Receipt, author: AbstractBaseUser, reason: str) -> Receipt:
    """Take back everything on a redemption: a reversing receipt gives the store points back and the
    goods go back into stock (write them off afterwards if they cannot be sold again).

    The store keeper, the head or an administrator; once per receipt; a receipt of an earlier store
    period cannot be returned once its store points have lapsed. Locks the resident's row."""
    reason = reason.strip()
    if not has_role(author, receipt.village_id, *RETURN_ROLES):
        raise refuse(
            _("Only the store keeper, the village head or an administrator can take goods back."), "not_allowed"
        )
    if not reason:
        raise refuse(_("Give a reason for the return."), "reason_required")
    if receipt.is_return:
        raise refuse(_("A return cannot itself be returned."), "is_return")
    try:
        with transaction.atomic():
            Resident.objects.select_for_update().filter(pk=receipt.resident_id).first()
            if Receipt.objects.filter(reverses=receipt).exists():
                raise refuse(_("These goods have already been returned."), "already_returned")
            config = StoreSettings.objects.select_related("village").get(village_id=receipt.village_id)
            now = timezone.now()
            tz = config.village.tzinfo
            if period_on(config, timezone.localdate(now, tz)) != period_on(
                config, timezone.localdate(receipt.served_at, tz)
            ):
                raise refuse(
                    _("This receipt is from an earlier year whose store points have lapsed; it cannot be returned."),
                    "period_closed",
                )
            back = Receipt.objects.create(
                village_id=receipt.village_id,
                resident_id=receipt.resident_id,
                served_by=author,
                served_at=now,
                points_halves=-receipt.points_halves,
                reverses=receipt,
                reason=reason,
            )
            for line in receipt.lines.select_related("goods"):
                StockMovement.objects.create(
                    village_id=receipt.village_id,
                    goods=line.goods,
                    kind=StockMovement.Kind.RETURN,
                    quantity=line.quantity,
                    author=author,
                    at=now,
                    receipt=back,
                )
            return back
    except IntegrityError:
        raise refuse(_("These goods have already been returned."), "already_returned") from None
