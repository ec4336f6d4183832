"""The village points store (积分超市): its settings, the catalogue, and two append-only ledgers,
receipts (store points spent and given back) and stock movements.

Store points are not the standing's points. What a resident may spend is worked out by
store.balance from the deeds in the points ledger (credits, derived set-based, never copied) and the
receipts here (debits); nothing in this app writes the points ledger, so the grade and the standing
balance are exactly what they would be without a store.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from villages.models import AppendOnlyModel, AppendOnlyQuerySet, Resident, Village


class StoreSettings(models.Model):
    """How a village's store credits deeds. A village without this row has no store."""

    village = models.OneToOneField(Village, on_delete=models.CASCADE, related_name="store_settings")
    credits_from = models.DateField(
        _("deeds count from"), help_text=_("Deeds recorded before this day never reach the store.")
    )
    points_per_deed_point = models.PositiveSmallIntegerField(
        _("store points per deed point"), default=1, help_text=_("A fixed conversion: 1 gives one store point a point.")
    )
    recognise_after_days = models.PositiveSmallIntegerField(
        _("days before a deed can be spent"),
        default=7,
        help_text=_(
            "A deed withdrawn or reversed within these days never reaches the store; after them its store "
            "points stand, whatever happens to the deed."
        ),
    )
    expires_at_year_end = models.BooleanField(
        _("store points expire at the end of the year"),
        default=True,
        help_text=_("Unspent store points lapse on 31 December; the grade is never affected."),
    )

    class Meta:
        verbose_name = _("store settings")
        verbose_name_plural = _("store settings")

    def __str__(self) -> str:
        return str(self.village)


class Goods(models.Model):
    """An article of the catalogue. Its stock is the sum of its movements (store.stock)."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="goods")
    name = models.CharField(_("name"), max_length=80)
    unit = models.CharField(_("unit"), max_length=20, blank=True, help_text=_("e.g. bottle, bag, 5 kg"))
    price_points = models.PositiveIntegerField(_("price in store points"))
    # Under MEDIA_ROOT, checked and re-encoded like entry photos (points.validators.clean_photo).
    photo = models.CharField(_("photo"), max_length=200, blank=True, editable=False)
    active = models.BooleanField(_("on offer"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("goods")
        verbose_name_plural = _("goods")
        ordering = ["village", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price_points__gt=0), name="goods_price_positive"),
            models.UniqueConstraint(fields=["village", "name", "unit"], name="goods_unique_per_village"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})" if self.unit else self.name


class Receipt(AppendOnlyModel):
    """Store points a resident spent at the counter (negative) or got back by a return (positive).
    Append-only: a return is a receipt of its own that reverses a redemption, never an edit."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="receipts")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="receipts")
    served_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("served by")
    )
    served_at = models.DateTimeField(_("served at"), default=timezone.now)
    points_halves = models.IntegerField(_("store points (halves)"))
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal", verbose_name=_("returns")
    )
    reason = models.TextField(_("reason"), blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("store receipt")
        verbose_name_plural = _("store receipts")
        ordering = ["-served_at", "-pk"]
        indexes = [
            # A resident's store balance: SUM of the period's receipts from the index.
            models.Index(fields=["resident", "served_at", "points_halves"], name="receipt_resident_balance"),
            # The monthly report and the dashboard: a village's receipts of a month.
            models.Index(fields=["village", "served_at"], name="receipt_village_month"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(points_halves=0), name="receipt_points_not_zero"),
            models.CheckConstraint(
                condition=models.Q(reverses__isnull=True, points_halves__lt=0)
                | (models.Q(reverses__isnull=False, points_halves__gt=0) & ~models.Q(reason="")),
                name="receipt_redeems_or_returns_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.resident} {self.points:+}"

    @property
    def points(self) -> Decimal:
        return Decimal(self.points_halves) / 2

    @property
    def spent(self) -> Decimal:
        return -self.points

    @property
    def is_return(self) -> bool:
        return self.reverses_id is not None


class ReceiptLine(AppendOnlyModel):
    """One kind of goods on a receipt, at the price of the day."""

    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="lines")
    goods = models.ForeignKey(Goods, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    price_points = models.PositiveIntegerField(_("unit price"))

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("receipt line")
        verbose_name_plural = _("receipt lines")
        ordering = ["receipt", "pk"]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gt=0), name="receipt_line_quantity")]

    @property
    def total_points(self) -> int:
        return self.quantity * self.price_points


class StockMovement(AppendOnlyModel):
    """Goods in or out: a delivery, a write-off (spoilt, lost), a redemption or a return.
    Stock on hand is the sum of the goods' movements; nothing stores it a second time."""

    class Kind(models.TextChoices):
        DELIVERY = "delivery", _("delivery")
        WRITE_OFF = "write_off", _("write-off")
        REDEMPTION = "redemption", _("redemption")
        RETURN = "return", _("return")

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    goods = models.ForeignKey(Goods, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    quantity = models.IntegerField(_("quantity"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, null=True, blank=True, related_name="movements")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-at", "-pk"]
        indexes = [
            # Stock on hand: SUM(quantity) of one goods, from the index.
            models.Index(fields=["goods", "at", "quantity"], name="movement_goods_stock"),
            # The monthly report: a village's movements of a month.
            models.Index(fields=["village", "at"], name="movement_village_month"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind__in=["delivery", "return"], quantity__gt=0))
                | (models.Q(kind__in=["write_off", "redemption"], quantity__lt=0)),
                name="movement_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["redemption", "return"], receipt__isnull=False)
                | (models.Q(kind__in=["delivery", "write_off"], receipt__isnull=True) & ~models.Q(reason="")),
                name="movement_has_receipt_or_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.goods} {self.quantity:+} {self.get_kind_display()}"
