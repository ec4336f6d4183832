"""A resident downloads their whole file, as one PDF or one ZIP of CSV files, in their language."""

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from points import my_file
from points.access import get_own_resident


def _attachment(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    fallback = filename.encode("ascii", "ignore").decode() or "file"
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return response


@login_required
def my_file_pdf(request: HttpRequest) -> HttpResponse:
    resident = get_own_resident(request)
    title = _("Everything Village Points holds about %(name)s") % {"name": resident.name}
    content = my_file.as_pdf(my_file.gather(resident), title=title)
    return _attachment(content, content_type="application/pdf", filename=f"village-points-{resident.pk}.pdf")


@login_required
def my_file_zip(request: HttpRequest) -> HttpResponse:
    resident = get_own_resident(request)
    content = my_file.as_zip(my_file.gather(resident))
    return _attachment(content, content_type="application/zip", filename=f"village-points-{resident.pk}.zip")
