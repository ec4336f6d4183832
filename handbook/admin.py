from django.contrib import admin

from handbook.models import Edition, Item, Page
from handbook.services import ITEM_FIELDS


class FrozenWhenPublished:
    """Published editions are the law entries were recorded under: shown, never changed."""

    def _edition(self, obj):
        return obj if isinstance(obj, Edition) else getattr(obj, "edition", None)

    def has_change_permission(self, request, obj=None):
        edition = self._edition(obj)
        return super().has_change_permission(request, obj) and (edition is None or edition.is_draft)

    def has_delete_permission(self, request, obj=None):
        edition = self._edition(obj)
        return super().has_delete_permission(request, obj) and (edition is None or edition.is_draft)


class PageInline(admin.TabularInline):
    model = Page
    extra = 0


@admin.register(Edition)
class EditionAdmin(FrozenWhenPublished, admin.ModelAdmin):
    list_display = ["title", "village", "number", "effective_from", "published_at"]
    list_filter = ["village"]
    readonly_fields = ["published_at", "published_by", "effective_from"]
    inlines = [PageInline]


@admin.register(Page)
class PageAdmin(FrozenWhenPublished, admin.ModelAdmin):
    list_display = ["__str__", "edition"]
    list_filter = ["edition__village", "edition"]


@admin.register(Item)
class ItemAdmin(FrozenWhenPublished, admin.ModelAdmin):
    list_display = [*(field for field in ITEM_FIELDS if field != "description"), "edition"]
    list_filter = ["edition__village", "edition", "kind"]
    search_fields = ["code", "title"]
