"""Deeds residents claim: the resident's form and list; the scorer's or head's queue and answer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

from points.access import CONFIRMERS, get_claim_for_confirmer, get_claim_photo_for, get_own_resident
from points.claim_forms import ClaimAnswerForm, ClaimForm
from points.models import Claim
from points.services import confirm_claim, decline_claim, file_claim
from points.validators import MAX_UPLOAD_MB
from villages.access import require_role

RECENTLY_DECIDED = 10


@login_required
def my_claims(request: HttpRequest) -> HttpResponse:
    """The resident's claimed deeds with their answers, and the form to claim another."""
    resident = get_own_resident(request)
    form = ClaimForm(request.POST or None, request.FILES or None, village=resident.village)
    if request.method == "POST" and form.is_valid():
        try:
            file_claim(resident=resident, filed_by=request.user, **form.claim_values)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your claim has been sent. A scorer will confirm it or say why not."))
            return redirect("points:my_claims")
    if form.files.get("photo") and not form.has_error("photo"):
        form.add_error("photo", _("Choose the photo again."))
    claims = resident.claims.select_related("item", "decided_by", "entry").order_by("-filed_at")
    return render(
        request,
        "points/my_claims.html",
        {"resident": resident, "form": form, "claims": claims, "max_upload_mb": MAX_UPLOAD_MB},
    )


@login_required
def claim_queue(request: HttpRequest) -> HttpResponse:
    """Open claims of the acting village, oldest first, then the latest answers. Scorers and heads."""
    village = require_role(request, *CONFIRMERS)
    claims = Claim.objects.filter(village=village).select_related("item", "resident__household")
    waiting = claims.filter(status=Claim.Status.OPEN).order_by("filed_at", "pk")
    decided = claims.exclude(status=Claim.Status.OPEN).select_related("decided_by").order_by("-decided_at")
    return render(request, "points/claim_queue.html", {"waiting": waiting, "decided": decided[:RECENTLY_DECIDED]})


@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the claim with its photo and witness. POST: confirm (records the entry) or decline."""
    claim = get_claim_for_confirmer(request, pk)
    form = ClaimAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["answer"] == form.CONFIRM:
                confirm_claim(claim=claim, confirmer=request.user)
                messages.success(request, _("Confirmed: the deed is in the resident's ledger."))
            else:
                decline_claim(claim=claim, decider=request.user, reason=form.cleaned_data["reason"])
                messages.success(request, _("Declined: the resident can read your reason."))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("points:claim_queue")
    return render(request, "points/claim_detail.html", {"claim": claim, "form": form})


@login_required
@cache_control(private=True, max_age=3600)
def claim_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A claim's photo, to the resident who claimed and the village's scorers and heads."""
    claim = get_claim_photo_for(request, pk)
    try:
        handle = default_storage.open(claim.photo, "rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, content_type="image/jpeg")
