"""Fetching handbook editions and items together with the check that the user may read them."""

from django.http import Http404, HttpRequest

from handbook.models import Edition, Item, Page
from villages.access import get_acting, require_admin
from villages.cards import current_card
from villages.models import Village


def get_reader_village(request: HttpRequest) -> Village:
    """The acting village, for anyone holding a role there (residents included), or the village of a
    card session's resident; otherwise 404."""
    card = current_card(request)
    if card is not None:
        return card.resident.village
    acting = get_acting(request)
    if acting is None:
        raise Http404
    return acting.village


def get_edition_for(request: HttpRequest, pk: int) -> Edition:
    """A published edition of the acting village (drafts are not the law yet), or 404."""
    village = get_reader_village(request)
    try:
        return Edition.objects.published().select_related("village").get(pk=pk, village=village)
    except Edition.DoesNotExist:
        raise Http404 from None


def get_item_for(request: HttpRequest, pk: int) -> Item:
    """An item of a published edition of the acting village, or 404."""
    return _item_of(get_reader_village(request), pk, published=True)


def _item_of(village: Village, pk: int, *, published: bool) -> Item:
    try:
        return Item.objects.select_related("edition__village", "page").get(
            pk=pk, edition__village=village, edition__published_at__isnull=not published
        )
    except Item.DoesNotExist:
        raise Http404 from None


# --- The administrator's editor ------------------------------------------------------------------
# Only administrators of the acting village reach it (PermissionDenied for everyone else); an
# edition, page or item of another village is 404, as if it did not exist.


def get_editor_village(request: HttpRequest) -> Village:
    return require_admin(request)


def get_edition_to_edit(request: HttpRequest, pk: int) -> Edition:
    """Any edition (draft or published) of the acting village, for an administrator there."""
    village = get_editor_village(request)
    try:
        return Edition.objects.select_related("village").get(pk=pk, village=village)
    except Edition.DoesNotExist:
        raise Http404 from None


def get_draft_to_edit(request: HttpRequest) -> Edition | None:
    """The acting village's draft edition, if there is one."""
    village = get_editor_village(request)
    return Edition.objects.select_related("village").filter(village=village, published_at__isnull=True).first()


def get_page_to_edit(request: HttpRequest, pk: int) -> Page:
    """A page of the acting village's draft; pages of published editions are 404 (they never change)."""
    village = get_editor_village(request)
    try:
        return Page.objects.select_related("edition__village").get(
            pk=pk, edition__village=village, edition__published_at__isnull=True
        )
    except Page.DoesNotExist:
        raise Http404 from None


def get_item_to_edit(request: HttpRequest, pk: int) -> Item:
    """An item of the acting village's draft; items of published editions are 404."""
    return _item_of(get_editor_village(request), pk, published=False)
