from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.cache import cache_control

from points.access import get_entry_photo_for
from villages.cards import card_or_login_required


@card_or_login_required
@cache_control(private=True, max_age=3600)
def entry_photo(request: HttpRequest, pk: int) -> FileResponse:
    """An entry's photo, to the resident, the village's head and administrators, and its scorer.
    Photos live outside the web root; this view is the only way to them."""
    entry = get_entry_photo_for(request, pk)
    try:
        handle = default_storage.open(entry.photo.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, content_type="image/jpeg")
