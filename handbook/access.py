"""Fetching handbook editions and items together with the check that the user may read them."""

from django.http import Http404, HttpRequest

from handbook.models import Edition, Item
from villages.access import get_acting
from villages.models import Village


def get_reader_village(request: HttpRequest) -> Village:
    """The acting village, for anyone holding a role there (residents included); otherwise 404."""
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
    village = get_reader_village(request)
    try:
        return Item.objects.select_related("edition__village", "page").get(
            pk=pk, edition__village=village, edition__published_at__isnull=False
        )
    except Item.DoesNotExist:
        raise Http404 from None
