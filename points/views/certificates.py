"""The certificate registry for the village head and administrators, batches with their progress,
and residents' own certificates. The public verification page is points.views.verify."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from points import services
from points.access import get_batch_for, get_certificate_for, get_own_resident
from points.certificate_forms import BatchForm, RevokeForm
from points.certificates import render_certificate
from points.models import Certificate, CertificateBatch
from points.verification import certificate_data, statuses
from villages.access import get_resident_for_office, require_office
from villages.cards import card_or_login_required
from villages.grades import bands_on
from villages.search import clean_query, find_residents

PER_PAGE = 50
RECENT_BATCHES = 5


@login_required
def registry(request: HttpRequest) -> HttpResponse:
    """Certificates issued in the village, newest first, searchable by name, pinyin or serial;
    residents matching the search, to issue one; the batch form and recent batches.
    A constant number of queries, whatever the number of certificates."""
    village = require_office(request)
    q = clean_query(request.GET.get("q", ""))
    found = Certificate.objects.filter(village=village)
    residents = []
    if q:
        matching = find_residents(village=village, query=q)
        found = found.filter(Q(serial__icontains=q) | Q(resident_name__icontains=q) | Q(resident__in=matching))
        residents = list(matching[:10])
    page = Paginator(found.order_by("-issued_at", "-pk"), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "q": q,
        "page": page,
        "rows": _with_status(page.object_list),
        "residents": residents,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "points/certificates/registry.html#results", context)
    context["batch_form"] = BatchForm(bands=bands_on(village=village, on=village.today()))
    context["batches"] = CertificateBatch.objects.filter(village=village).order_by("-requested_at")[:RECENT_BATCHES]
    return render(request, "points/certificates/registry.html", context)


def _with_status(certificates) -> list[tuple[Certificate, str]]:
    certificates = list(certificates)
    status = statuses(certificates)
    return [(certificate, status[certificate.pk]) for certificate in certificates]


@login_required
def resident_certificates(request: HttpRequest, pk: int) -> HttpResponse:
    """One resident's certificates, for the head and administrators, with the button to issue one
    (its form carries a fresh idempotency key, so a double tap issues one certificate)."""
    resident = get_resident_for_office(request, pk)
    return render(
        request,
        "points/certificates/resident.html",
        {
            "resident": resident,
            "rows": _with_status(resident.certificates.order_by("-issued_at", "-pk")),
            "idempotency_key": uuid.uuid4(),
        },
    )


@login_required
@require_POST
def issue(request: HttpRequest, pk: int) -> HttpResponse:
    resident = get_resident_for_office(request, pk)
    try:
        key = uuid.UUID(request.POST.get("idempotency_key", ""))
    except ValueError:
        key = None  # a form from before keys: issued, but not protected against a second tap
    try:
        certificate = services.issue_certificate(resident=resident, issued_by=request.user, idempotency_key=key)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Certificate %(serial)s issued. Print it now or later.") % {"serial": certificate.serial}
        )
    return redirect("points:resident_certificates", resident.pk)


@card_or_login_required
@cache_control(private=True, no_cache=True)
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The certificate as a PDF, rendered from its record (a reprint is the same document): to the
    village's head and administrators, and to the resident it was issued to."""
    certificate = get_certificate_for(request, pk)
    response = HttpResponse(render_certificate(certificate_data(certificate)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{certificate.serial}.pdf"'
    return response


@login_required
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = get_certificate_for(request, pk, manage=True)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.revoke_certificate(
                certificate=certificate, revoked_by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Certificate %(serial)s revoked.") % {"serial": certificate.serial})
            return redirect("points:resident_certificates", certificate.resident_id)
    return render(request, "points/certificates/revoke.html", {"certificate": certificate, "form": form})


@login_required
@require_POST
def batch_start(request: HttpRequest) -> HttpResponse:
    village = require_office(request)
    form = BatchForm(request.POST, bands=bands_on(village=village, on=village.today()))
    if not form.is_valid():
        messages.error(request, _("Choose grades from the list."))
        return redirect("points:certificates")
    try:
        batch = services.start_batch(village=village, requested_by=request.user, grades=form.cleaned_data["grades"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("points:certificates")
    return redirect("points:batch", batch.pk)


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The batch's progress. htmx polls the progress partial every second until the batch is done;
    without JavaScript, the partial's "Refresh" link reloads the page."""
    batch = get_batch_for(request, pk)
    template = "points/certificates/batch.html"
    if request.htmx and not request.htmx.boosted:
        template += "#progress"
    return render(request, template, {"batch": batch})


@login_required
@require_POST
def batch_resume(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_batch_for(request, pk)
    services.resume_batch(batch=batch, requested_by=request.user)
    return redirect("points:batch", batch.pk)


@login_required
@cache_control(private=True, no_cache=True)
def batch_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The batch's printable PDF, once done. It lives under MEDIA_ROOT; this view is the only way to it."""
    batch = get_batch_for(request, pk)
    if batch.status != CertificateBatch.Status.DONE or not batch.pdf:
        raise Http404
    try:
        handle = services.batch_pdf_path(batch).open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = f"{batch.village.code}-certificates-{batch.pk}.pdf"
    return FileResponse(handle, content_type="application/pdf", filename=name)


@card_or_login_required
def my_certificates(request: HttpRequest) -> HttpResponse:
    """The signed-in resident's own certificates, to download and print."""
    resident = get_own_resident(request)
    return render(
        request,
        "points/certificates/mine.html",
        {"resident": resident, "rows": _with_status(resident.certificates.order_by("-issued_at", "-pk"))},
    )
