"""The volunteer scorer's screens: Record (find resident → pick item → details → submit),
the confirmation with Withdraw, and My entries.

Every step is a plain GET link or form post; htmx only swaps the search results and the form in
place. The chosen resident and item travel in the query string (`?resident=…&item=…`), so the
back button and a reload always show what the scorer sees.
"""

import uuid
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from points import services
from points.access import (
    get_entry_recorded_by,
    get_item_to_record,
    get_item_to_score,
    get_resident_id_to_score,
    get_resident_to_score,
)
from points.forms import RecordForm, WithdrawForm
from points.models import Entry
from points.pickers import ItemPick, find_items, find_residents
from points.standing import compute_standing
from points.validators import MAX_UPLOAD_MB
from villages.access import require_role
from villages.models import Membership, Resident, Village
from villages.security import safe_next_url
from villages.signin import HAD_FILES, keep_post_when_signed_out, take_kept_post

SCORER = Membership.Role.SCORER
# Refusals from record_entry that belong next to one field; the rest show above the form.
KEPT_MESSAGE = gettext_lazy(
    "You had been signed out, so nothing was recorded yet. What you entered is below: tap Record to send it."
)
FIELD_OF_REFUSAL = {"future_date": "occurred_on", "too_old": "occurred_on"}


def _page_number(request: HttpRequest) -> int | None:
    try:
        return int(request.GET.get("hp", ""))
    except ValueError:
        return None


def _item_pick(request: HttpRequest, village: Village, resident: Resident | None) -> ItemPick:
    """The items offered for `resident`, filtered by the item search `iq`, page `hp` of them."""
    return find_items(
        village=village,
        scorer=request.user,
        query=request.GET.get("iq", ""),
        page_number=_page_number(request),
        resident=resident,
        on=village.today(),
    )


def _record_context(
    request: HttpRequest, village: Village, *, form: RecordForm | None = None, kept: QueryDict | None = None
) -> dict:
    """What the Record page shows for the resident and item chosen so far (ids from GET or POST,
    or from the form `kept` while the session had ended, shown again with its idempotency key)."""
    data = kept if kept is not None else request.POST if request.method == "POST" else request.GET
    resident = get_resident_to_score(village, data["resident"]) if data.get("resident") else None
    item = get_item_to_score(village, data["item"]) if data.get("item") else None
    context = {"village": village, "resident": resident, "item": item, "form": form, "max_upload_mb": MAX_UPLOAD_MB}
    if resident is None:
        context["search"] = find_residents(village=village, scorer=request.user, query=request.GET.get("q", ""))
    elif item is None:
        context["pick"] = pick = _item_pick(request, village, resident)
        context["today"] = village.today()
        for quick in pick.quick:
            quick.key = uuid.uuid4()  # one submission per button: a double tap records once
    else:
        if form is None:
            initial = kept.dict() if kept is not None else {"resident": resident.pk, "item": item.pk}
            form = context["form"] = RecordForm(village=village, item=item, initial=initial)
        context["item_left"] = services.caps_left(resident=resident, items=[item], occurred_on=village.today()).get(
            item.pk
        )
    return context


@keep_post_when_signed_out
@login_required
@require_http_methods(["GET", "POST"])
def record(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        village = require_role(request, SCORER)
        kept = take_kept_post(request)
        if kept is not None:
            messages.info(request, KEPT_MESSAGE)
            if kept.get(HAD_FILES):
                messages.warning(request, _("Choose the photo again."))
        return render(request, "points/record.html", _record_context(request, village, kept=kept))

    scoring = get_item_to_record(request)
    village = scoring.village
    form = RecordForm(request.POST, request.FILES, village=village, item=scoring.item)
    if form.is_valid():
        try:
            resident = form.cleaned_data["resident"]
            entry = services.record_entry(
                scorer=request.user, resident=resident, village=village, item=scoring, **form.entry_values
            )
        except Resident.DoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            form.add_error(FIELD_OF_REFUSAL.get(error.code), error)
        else:
            done = reverse("points:record_done", args=[entry.pk])
            return HttpResponseClientRedirect(done) if request.htmx else redirect(done)
    if form.files.get("photo") and not form.has_error("photo"):
        # A file input cannot be refilled; say so rather than silently dropping the photo.
        form.add_error("photo", _("Choose the photo again."))
    context = _record_context(request, village, form=form)
    template = "points/record.html#record-form" if request.htmx else "points/record.html"
    return render(request, template, context)


@login_required
def resident_results(request: HttpRequest) -> HttpResponse:
    """The resident search as you type; without htmx, the whole Record page with the results."""
    village = require_role(request, SCORER)
    template = "points/record.html#resident-results" if request.htmx else "points/record.html"
    search = find_residents(village=village, scorer=request.user, query=request.GET.get("q", ""))
    return render(request, template, {"village": village, "search": search})


@login_required
def item_results(request: HttpRequest) -> HttpResponse:
    """The item picker as you type; without htmx, the whole Record page with the results."""
    village = require_role(request, SCORER)
    if not request.htmx:
        return render(request, "points/record.html", _record_context(request, village))
    resident = get_resident_id_to_score(village, request.GET["resident"]) if request.GET.get("resident") else None
    pick = _item_pick(request, village, resident)
    return render(request, "points/record.html#item-results", {"village": village, "resident": resident, "pick": pick})


@login_required
def record_done(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_entry_recorded_by(request, pk)
    context = {
        "entry": entry,
        "standing": compute_standing(resident=entry.resident),
        "can_undo": _withdrawable(entry, request),
        "withdraw_minutes": settings.SCORER_WITHDRAW_MINUTES,
    }
    return render(request, "points/record_done.html", context)


def _withdrawable(entry: Entry, request: HttpRequest) -> bool:
    return not hasattr(entry, "reversal") and services.can_withdraw(entry, scorer=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_entry_recorded_by(request, pk)
    next_url = safe_next_url(
        request,
        request.POST.get("next") or request.GET.get("next") or "",
        default=reverse("points:record_done", args=[entry.pk]),
    )
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_entry(entry=entry, scorer=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            # A second tap on Withdraw finds the first one done: the scorer got what they asked for.
            mine = Entry.objects.filter(reverses=entry, recorded_by=request.user).exists()
            if error.code != "already_reversed" or not mine:
                form.add_error(None, error)
        if not form.errors:
            messages.success(request, _("The entry was withdrawn. The resident's balance is as it was before."))
            return redirect(next_url)
    return render(request, "points/withdraw.html", {"entry": entry, "form": form, "next": next_url})


@login_required
def my_entries(request: HttpRequest) -> HttpResponse:
    """The scorer's own entries in the acting village, newest first: today, this week or all."""
    village = require_role(request, SCORER)
    today = village.today()
    when = request.GET.get("when", "today")
    entries = Entry.objects.originals().filter(village=village, recorded_by=request.user)
    local_midnight = datetime.combine(today, time.min, tzinfo=village.tzinfo)
    if when == "today":
        entries = entries.filter(recorded_at__gte=local_midnight)
    elif when == "week":
        entries = entries.filter(recorded_at__gte=local_midnight - timedelta(days=today.weekday()))
    else:
        when = "all"
    entries = entries.select_related("resident__household", "item", "reversal").order_by("-recorded_at", "-pk")
    page = Paginator(entries, 20).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        (entry, not hasattr(entry, "reversal") and services.can_withdraw(entry, scorer=request.user, now=now))
        for entry in page
    ]
    return render(request, "points/my_entries.html", {"page": page, "rows": rows, "when": when, "village": village})
