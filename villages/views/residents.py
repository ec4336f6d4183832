"""The register of residents, kept by the village head and administrators: list and search, add,
edit, move between households, moved away / deceased, consent, import and export."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from villages import services
from villages.access import get_resident_for_office, require_office
from villages.exports import csv_response, xlsx_response
from villages.forms import (
    ConfirmImportForm,
    ConsentForm,
    ImportForm,
    MoveForm,
    ResidentEditForm,
    ResidentForm,
    SharingForm,
    SmsForm,
    StatusForm,
)
from villages.importing import EXPORT_HEADER, export_row, plan_import, read_rows
from villages.models import Resident
from villages.search import clean_query, find_residents

PER_PAGE = 50
FILTERS = {
    "active": {"status": Resident.Status.ACTIVE},
    "no_consent": {"status": Resident.Status.ACTIVE, "consent_given_on__isnull": True},
    "moved": {"status": Resident.Status.MOVED_AWAY},
    "deceased": {"status": Resident.Status.DECEASED},
}


@login_required
def resident_list(request: HttpRequest) -> HttpResponse:
    """Search by name, pinyin (李伟: "liwei" or "lw") or household number; filter by status. Two queries."""
    village = require_office(request)
    q = clean_query(request.GET.get("q", ""))
    shown = request.GET.get("show", "")
    residents = find_residents(village=village, query=q)
    if shown in FILTERS:
        residents = residents.filter(**FILTERS[shown])
    page = Paginator(residents, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "q": q, "show": shown, "filters": _filter_labels()}
    template = (
        "villages/residents.html#results" if request.htmx and not request.htmx.boosted else "villages/residents.html"
    )
    return render(request, template, context)


def _filter_labels() -> list[tuple[str, str]]:
    return [
        ("", _("Everyone")),
        ("active", _("Living in the village")),
        ("no_consent", _("Without consent")),
        ("moved", _("Moved away")),
        ("deceased", _("Deceased")),
    ]


@login_required
@require_http_methods(["GET", "POST"])
def resident_add(request: HttpRequest) -> HttpResponse:
    village = require_office(request)
    form = ResidentForm(request.POST or None, village=village)
    if request.method == "POST" and form.is_valid():
        try:
            resident = services.create_resident(village=village, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(name)s was added. Record their consent before anyone can score them.") % {"name": resident.name},
            )
            return redirect("villages:resident_detail", resident.pk)
    return render(request, "villages/resident_add.html", {"form": form})


def _detail_context(resident: Resident, **forms) -> dict:
    village = resident.village
    return {
        "resident": resident,
        "edit_form": forms.get("edit_form")
        or ResidentEditForm(
            village=village, initial={"name": resident.name, "phone": resident.phone, "born_on": resident.born_on}
        ),
        "move_form": forms.get("move_form") or MoveForm(initial={"household_number": resident.household.number}),
        "status_form": forms.get("status_form") or StatusForm(initial={"status": resident.status}),
        "consent_form": forms.get("consent_form") or ConsentForm(initial={"given": "yes", "given_on": village.today()}),
        "sharing_form": forms.get("sharing_form") or SharingForm(initial={"given": "yes", "given_on": village.today()}),
        "sms_form": forms.get("sms_form")
        or SmsForm(initial={"wanted": "yes", "phone": resident.phone, "given_on": village.today()}),
    }


def _save_on_detail_page(
    request: HttpRequest,
    resident: Resident,
    form: Form,
    *,
    form_name: str,
    save: Callable[[dict], str],
    error_field: str | None = None,
) -> HttpResponse:
    """A form posted from the resident's page: if valid, `save(cleaned_data)` calls the service and
    returns the success message, then back to the page. An invalid form, or a ValidationError from
    the service (added to `error_field`), shows the page again with that form's errors, status 400."""
    if form.is_valid():
        try:
            message = save(form.cleaned_data)
        except ValidationError as error:
            form.add_error(error_field, error)
        else:
            messages.success(request, message)
            return redirect("villages:resident_detail", resident.pk)
    return render(request, "villages/resident_detail.html", _detail_context(resident, **{form_name: form}), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The resident's record; POST saves name, phone and date of birth."""
    resident = get_resident_for_office(request, pk)
    if request.method == "GET":
        return render(request, "villages/resident_detail.html", _detail_context(resident))

    def save(data: dict) -> str:
        services.update_resident(resident=resident, actor=request.user, **data)
        return _("Saved.")

    form = ResidentEditForm(request.POST, village=resident.village)
    return _save_on_detail_page(request, resident, form, form_name="edit_form", save=save)


@login_required
@require_POST
def resident_move(request: HttpRequest, pk: int) -> HttpResponse:
    resident = get_resident_for_office(request, pk)

    def save(data: dict) -> str:
        services.move_resident(resident=resident, actor=request.user, **data)
        return _("%(name)s now belongs to household %(number)s.") % {
            "name": resident.name,
            "number": resident.household.number,
        }

    return _save_on_detail_page(request, resident, MoveForm(request.POST), form_name="move_form", save=save)


STATUS_SERVICES = {
    Resident.Status.ACTIVE: services.mark_living_here,
    Resident.Status.MOVED_AWAY: services.mark_moved_away,
    Resident.Status.DECEASED: services.mark_deceased,
}


@login_required
@require_POST
def resident_status(request: HttpRequest, pk: int) -> HttpResponse:
    resident = get_resident_for_office(request, pk)

    def save(data: dict) -> str:
        STATUS_SERVICES[data["status"]](resident=resident, actor=request.user)
        return _("Saved.")

    return _save_on_detail_page(request, resident, StatusForm(request.POST), form_name="status_form", save=save)


@login_required
@require_POST
def resident_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """Record (given=yes, with the date) or withdraw (given=no) the resident's consent to be scored."""
    resident = get_resident_for_office(request, pk)

    def save(data: dict) -> str:
        if data["given"]:
            services.record_consent(resident=resident, given_on=data["given_on"], recorded_by=request.user)
            return _("Consent recorded: %(name)s can be scored.") % {"name": resident.name}
        services.withdraw_consent(resident=resident, recorded_by=request.user)
        return _("Consent withdrawn: nobody can score %(name)s any more.") % {"name": resident.name}

    form = ConsentForm(request.POST)
    return _save_on_detail_page(request, resident, form, form_name="consent_form", save=save, error_field="given_on")


@login_required
@require_POST
def resident_sharing(request: HttpRequest, pk: int) -> HttpResponse:
    """Record or withdraw the resident's agreement to share their standing with their household."""
    resident = get_resident_for_office(request, pk)

    def save(data: dict) -> str:
        if data["given"]:
            services.record_household_sharing(resident=resident, given_on=data["given_on"], recorded_by=request.user)
            return _("%(name)s now shares their standing with the household.") % {"name": resident.name}
        services.withdraw_household_sharing(resident=resident, recorded_by=request.user)
        return _("%(name)s no longer shares their standing with the household.") % {"name": resident.name}

    form = SharingForm(request.POST)
    return _save_on_detail_page(request, resident, form, form_name="sharing_form", save=save, error_field="given_on")


@login_required
@require_POST
def resident_sms(request: HttpRequest, pk: int) -> HttpResponse:
    """Opt the resident in to text messages (number and date) or out."""
    resident = get_resident_for_office(request, pk)

    def save(data: dict) -> str:
        if data["wanted"]:
            services.opt_in_sms(
                resident=resident, phone=data["phone"], given_on=data["given_on"], recorded_by=request.user
            )
            return _("Text messages go to %(phone)s from now on.") % {"phone": resident.sms_phone}
        services.opt_out_sms(resident=resident, recorded_by=request.user)
        return _("No more text messages to %(name)s.") % {"name": resident.name}

    form = SmsForm(request.POST)
    return _save_on_detail_page(request, resident, form, form_name="sms_form", save=save, error_field="phone")


# --- Import and export -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def resident_import(request: HttpRequest) -> HttpResponse:
    """Upload → every row checked, a preview of what will change → confirm → all written, or nothing.

    The preview carries the checked rows in a signed hidden field, so nothing is stored between
    the two steps; the confirmation plans again against the register as it is then."""
    village = require_office(request)
    context: dict = {"form": ImportForm()}
    if request.method == "POST" and "token" in request.POST:
        confirm = ConfirmImportForm(request.POST)
        try:
            rows, source = services.unsign_import(
                token=confirm.data.get("token", ""), village=village, user=request.user
            )
        except signing.BadSignature:
            messages.error(request, _("The preview has expired. Choose the file again."))
            return redirect("villages:resident_import")
        try:
            result = services.import_residents(village=village, actor=request.user, rows=rows, source=source)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("villages:resident_import")
        messages.success(
            request,
            _(
                "Import done: %(created)d residents added, %(updated)d updated, %(unchanged)d already there "
                "and unchanged; %(households)d new households."
            )
            % {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "households": result.households_created,
            },
        )
        return redirect("villages:residents")
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                parsed = read_rows(data=upload.read(), filename=upload.name, today=village.today())
            except ValidationError as error:
                form.add_error("file", error)
            else:
                context["parsed"] = parsed
                context["filename"] = upload.name
                if not parsed.errors:
                    context["plan"] = plan_import(village=village, rows=parsed.rows)
                    context["confirm"] = ConfirmImportForm(
                        initial={
                            "token": services.sign_import(
                                rows=parsed.rows, source=upload.name, village=village, user=request.user
                            )
                        }
                    )
    return render(request, "villages/resident_import.html", context)


@login_required
def resident_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The register in the import format (importing it again changes nothing). Two queries."""
    village = require_office(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    residents = (
        Resident.objects.filter(village=village).select_related("household").order_by("household__number", "name", "pk")
    )
    rows = (export_row(r) for r in residents.iterator(chunk_size=500))
    filename = f"{village.code}-residents-{village.today():%Y%m%d}.{fmt}"
    if fmt == "csv":
        return csv_response(filename=filename, header=EXPORT_HEADER, rows=rows)
    return xlsx_response(filename=filename, sheet=_("Residents"), header=EXPORT_HEADER, rows=rows)
