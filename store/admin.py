from django.contrib import admin

from points.admin import ReadOnlyAdmin
from store.models import Goods, Receipt, StockMovement, StoreSettings


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    """Receipts are append-only: returns go through store.services.return_receipt."""

    list_display = ["pk", "served_at", "village", "resident", "points", "served_by", "reverses"]
    list_filter = ["village"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["at", "village", "goods", "kind", "quantity", "reason", "author", "receipt"]
    list_filter = ["village", "kind"]


@admin.register(Goods)
class GoodsAdmin(ReadOnlyAdmin):
    """Goods change through the store's pages (store.services), which audit every change."""

    list_display = ["name", "unit", "village", "price_points", "active"]
    list_filter = ["village", "active"]


@admin.register(StoreSettings)
class StoreSettingsAdmin(ReadOnlyAdmin):
    list_display = ["village", "credits_from", "points_per_deed_point", "recognise_after_days", "expires_at_year_end"]
