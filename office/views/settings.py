"""The administrator's other settings next to the handbook: grade bands, starting capital, and the
audit trail of every change to handbook, grades and roles."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from handbook.access import get_editor_village
from handbook.editor_display import describe_event
from office.forms import AddressForm, CapitalForm, ScaleForm, band_formset
from villages.grades import PRESETS, bands_on
from villages.models import AuditEvent, GradeBand, Village
from villages.public_address import is_loopback, public_address
from villages.security import SECURITY_ACTIONS
from villages.services import set_grade_bands, set_public_address, set_starting_capital

AUDIT_PAGE_SIZE = 25


@login_required
def grades(request: HttpRequest) -> HttpResponse:
    """The scale in force, scales scheduled for later, and a form for a new scale (from a preset
    with `?preset=`, or the current one)."""
    village = get_editor_village(request)
    today = village.today()
    current = bands_on(village=village, on=today)
    preset = PRESETS.get(request.GET.get("preset", ""))
    formset = band_formset(request.POST or None, bands=preset[1] if preset else current)
    form = ScaleForm(request.POST or None, initial={"effective_from": today})
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            set_grade_bands(
                village=village,
                admin=request.user,
                bands=formset.bands,
                effective_from=form.cleaned_data["effective_from"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The new grades apply to standings from %(date)s.")
                % {"date": form.cleaned_data["effective_from"].isoformat()},
            )
            return redirect("office:grades")
    return _grades_page(
        request,
        village,
        form=form,
        formset=formset,
        capital_form=CapitalForm(initial={"starting_capital": village.starting_capital}),
        current=current,
        preset=preset,
        status=400 if request.method == "POST" else 200,
    )


def _grades_page(request: HttpRequest, village: Village, *, status: int = 200, **context) -> HttpResponse:
    today = village.today()
    scheduled: dict = {}
    for band in GradeBand.objects.filter(village=village, effective_from__gt=today).order_by("effective_from"):
        scheduled.setdefault(band.effective_from, []).append(band)
    context.setdefault("current", bands_on(village=village, on=today))
    context.setdefault("address_form", AddressForm(initial={"public_address": village.public_address}))
    address = public_address(village)
    context.update(address=address, address_is_loopback=is_loopback(address))
    return render(
        request,
        "office/grades.html",
        {
            "village": village,
            "today": today,
            "scheduled": [
                (on, sorted(bands, key=lambda b: -(b.min_points if b.min_points is not None else -(10**9))))
                for on, bands in scheduled.items()
            ],
            "presets": [(key, label) for key, (label, _bands) in PRESETS.items()],
            **context,
        },
        status=status,
    )


@login_required
@require_POST
def capital(request: HttpRequest) -> HttpResponse:
    village = get_editor_village(request)
    form = CapitalForm(request.POST)
    if form.is_valid():
        try:
            set_starting_capital(village=village, admin=request.user, amount=form.cleaned_data["starting_capital"])
        except ValidationError as error:
            form.add_error("starting_capital", error)
        else:
            messages.success(
                request,
                _("The starting capital is now %(amount)d points.") % {"amount": form.cleaned_data["starting_capital"]},
            )
            return redirect("office:grades")
    return _grades_page(
        request,
        village,
        form=ScaleForm(initial={"effective_from": village.today()}),
        formset=band_formset(bands=bands_on(village=village, on=village.today())),
        capital_form=form,
        status=400,
    )


@login_required
@require_POST
def address(request: HttpRequest) -> HttpResponse:
    """The public address printed in certificates' QR codes (villages.public_address)."""
    village = get_editor_village(request)
    form = AddressForm(request.POST)
    if form.is_valid():
        try:
            village = set_public_address(
                village=village, admin=request.user, address=form.cleaned_data["public_address"]
            )
        except ValidationError as error:
            form.add_error("public_address", error)
        else:
            messages.success(
                request, _("Certificates now point at %(address)s.") % {"address": public_address(village)}
            )
            return redirect("office:grades")
    return _grades_page(
        request,
        village,
        form=ScaleForm(initial={"effective_from": village.today()}),
        formset=band_formset(bands=bands_on(village=village, on=village.today())),
        capital_form=CapitalForm(initial={"starting_capital": village.starting_capital}),
        address_form=form,
        status=400,
    )


@login_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    """The village's audit trail, newest first, 25 a page; `?kind=security` keeps only security events
    (sign-ins, failures, lock-outs, refused accesses, roles and accounts). Read-only: there is nothing
    to change here. Three queries (village roles, count, page)."""
    village = get_editor_village(request)
    events = AuditEvent.objects.filter(village=village).select_related("actor").order_by("-at", "-pk")
    security = request.GET.get("kind") == "security"
    if security:
        events = events.filter(action__in=SECURITY_ACTIONS)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "office/audit.html",
        {
            "village": village,
            "page": page,
            "events": [describe_event(event) for event in page],
            "security": security,
            "kind_query": "&kind=security" if security else "",
        },
    )
