"""Resident cards at the office (issue one and print it, revoke, print a sheet for many as a
background job) and the household pages a card holder or a resident sees."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from points.access import get_card_sheet_for, get_household_member_for
from points.card_pdf import render_cards
from points.models import CardSheet
from points.services import cards as card_services
from points.views import ledger, standing
from villages.access import get_resident_for_office, require_office
from villages.cards import card_or_login_required
from villages.forms import parse_ids
from villages.models import ResidentCard


@login_required
def resident_card(request: HttpRequest, pk: int) -> HttpResponse:
    """The resident's cards (the live one, the revoked ones) with buttons to print a new one or revoke."""
    resident = get_resident_for_office(request, pk)
    cards = ResidentCard.objects.filter(resident=resident).select_related("issued_by").order_by("-issued_at", "-pk")
    return render(request, "points/cards/resident.html", {"resident": resident, "cards": cards})


@login_required
@require_POST
@cache_control(private=True, no_store=True)
def card_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a new card (the old one stops working) and answer with it as a PDF to print now:
    its secrets are never shown again."""
    resident = get_resident_for_office(request, pk)
    try:
        issued = card_services.issue_card(resident=resident, issued_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("points:resident_card", resident.pk)
    response = HttpResponse(render_cards([issued.face()]), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="card-{resident.pk}.pdf"'
    return response


@login_required
@require_POST
def card_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    resident = get_resident_for_office(request, pk)
    for card in ResidentCard.objects.filter(resident=resident, revoked_at__isnull=True):
        card_services.revoke_card(card=card, revoked_by=request.user)
    messages.success(request, _("The card of %(name)s no longer works.") % {"name": resident.name})
    return redirect("points:resident_card", resident.pk)


@login_required
@require_POST
def sheet_start(request: HttpRequest) -> HttpResponse:
    """Cards for every consenting resident, or for the residents ticked in the register (`resident`)."""
    village = require_office(request)
    chosen = request.POST.getlist("resident")
    if request.POST.get("scope") == "selected" and not chosen:
        messages.error(request, _("Tick the residents who get a card first."))
        return redirect("villages:residents")
    try:
        ids = parse_ids(chosen) if chosen else None
        sheet = card_services.start_card_sheet(village=village, requested_by=request.user, resident_ids=ids)
    except (ValueError, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [_("Choose residents from the list.")])))
        return redirect("villages:residents")
    return redirect("points:card_sheet", sheet.pk)


@login_required
def sheet_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The sheet's progress; htmx polls the partial every second until it is done."""
    sheet = get_card_sheet_for(request, pk)
    template = "points/cards/sheet.html"
    if request.htmx and not request.htmx.boosted:
        template += "#progress"
    return render(request, template, {"sheet": sheet})


@login_required
@cache_control(private=True, no_store=True)
def sheet_pdf(request: HttpRequest, pk: int) -> FileResponse:
    sheet = get_card_sheet_for(request, pk)
    if sheet.status != CardSheet.Status.DONE or not sheet.pdf:
        raise Http404
    try:
        handle = card_services.card_sheet_path(sheet).open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, content_type="application/pdf", filename=f"{sheet.village.code}-cards-{sheet.pk}.pdf")


@card_or_login_required
def household_standing(request: HttpRequest, pk: int) -> HttpResponse:
    """A household member who shares with the household, read-only."""
    return standing.render_for_household(request, get_household_member_for(request, pk))


@card_or_login_required
def household_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    return ledger.render_for_household(request, get_household_member_for(request, pk))
