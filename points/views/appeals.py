"""Appeals: the resident files one against an entry; the village head works through the queue."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from points.access import AppealDeciders, Conflict, Route, get_appeal_for_office, get_entry_for_office, get_own_entry
from points.appeal_forms import AppealForm, DecisionForm, PaperAppealForm
from points.models import Appeal
from points.services import decide_appeal, file_appeal, record_paper_appeal
from villages.access import require_office
from villages.cards import card_or_login_required, current_card

RECENTLY_DECIDED = 10


def routing_note(route: Route, conflict: str | None, *, is_decider: bool) -> str:
    """Why the appeal is (or is not) the viewer's to decide, in a line the queue shows."""
    if is_decider:
        if route.level == "admin":
            return _("Every head of the village has a conflict in this case, so an administrator decides it.")
        return ""
    why = {
        Conflict.RECORDED: _("You recorded this entry."),
        Conflict.SELF: _("The entry is in your own ledger."),
        Conflict.HOUSEHOLD: _("The entry is in the ledger of someone in your household."),
    }.get(conflict, "")
    where = {
        "head": _("Another head of the village decides it."),
        "admin": _("The village's administrator decides it."),
        "township": _("Nobody in the village can decide it without a conflict, so it goes to the township reviewer."),
        "nobody": _("Nobody can decide it without a conflict; ask the township to appoint a reviewer."),
    }[route.level]
    return f"{why} {where}".strip()


@card_or_login_required
def appeal_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the entry and a form for the reason. POST: file the appeal, back to the ledger."""
    entry = get_own_entry(request, pk)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            file_appeal(
                entry=entry,
                reason=form.cleaned_data["reason"],
                resident_user=request.user if request.user.is_authenticated else None,
                card=current_card(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your appeal has been sent to the village head."))
            return redirect(f"{reverse('points:ledger')}#entry-{entry.pk}")
    appeals = list(entry.appeals.select_related("decided_by").order_by("filed_at"))
    return render(request, "points/appeal_new.html", {"entry": entry, "form": form, "appeals": appeals})


@login_required
def appeal_queue(request: HttpRequest) -> HttpResponse:
    """Open appeals of the acting village, oldest first, with their age and who decides each (nobody
    judges their own case); then the latest decisions. For heads and administrators."""
    village = require_office(request)
    now = timezone.now()
    deadline = settings.APPEAL_DEADLINE_DAYS
    appeals = Appeal.objects.filter(entry__village=village).select_related("entry__item", "entry__resident")
    deciders = AppealDeciders(village)
    waiting = []
    for appeal in appeals.filter(status=Appeal.Status.OPEN).order_by("filed_at", "pk"):
        route = deciders.route(appeal)
        mine = request.user.pk in route.deciders
        waiting.append(
            {
                "appeal": appeal,
                "age": (now - appeal.filed_at).days,
                "overdue": (now - appeal.filed_at).days > deadline,
                "mine": mine,
                "note": routing_note(route, deciders.conflict(appeal, request.user.pk), is_decider=mine),
            }
        )
    # The decided ones named by their statuses, not as "not open": SQLite then reads them from the
    # appeal_queue index, where "not open" made it walk every entry of the village (issue 18).
    closed = [status for status in Appeal.Status.values if status != Appeal.Status.OPEN]
    decided = appeals.filter(status__in=closed).select_related("decided_by").order_by("-decided_at")
    return render(
        request,
        "points/head_queue.html",
        {"waiting": waiting, "decided": decided[:RECENTLY_DECIDED], "deadline": deadline},
    )


@login_required
def appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the appeal, its entry and (for whoever may decide it) a decision form. POST: uphold or
    reject with a reason; 403 for a head or administrator who may see the appeal but not decide it."""
    appeal = get_appeal_for_office(request, pk)
    deciders = AppealDeciders(appeal.entry.village)
    route = deciders.route(appeal)
    may_decide = appeal.status == Appeal.Status.OPEN and request.user.pk in route.deciders
    if request.method == "POST" and not may_decide and appeal.status == Appeal.Status.OPEN:
        raise PermissionDenied
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decide_appeal(appeal=appeal, head=request.user, upheld=form.upheld, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if form.upheld:
                messages.success(request, _("Appeal upheld: the entry has been reversed."))
            else:
                messages.success(request, _("Appeal rejected: the entry still counts."))
            return redirect("points:appeal_queue")
    age = (timezone.now() - appeal.filed_at).days
    return render(
        request,
        "points/head_decide.html",
        {
            "appeal": appeal,
            "entry": appeal.entry,
            "form": form,
            "age": age,
            "overdue": age > settings.APPEAL_DEADLINE_DAYS,
            "may_decide": may_decide,
            "note": routing_note(route, deciders.conflict(appeal, request.user.pk), is_decider=may_decide),
        },
    )


@login_required
def paper_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    """The office records an appeal a resident handed in on paper; it then joins the head's queue."""
    entry = get_entry_for_office(request, pk)
    form = PaperAppealForm(request.POST or None, request.FILES or None, initial={"received_on": entry.village.today()})
    if request.method == "POST" and form.is_valid():
        try:
            record_paper_appeal(entry=entry, received_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The paper appeal was recorded; it is in the head's queue."))
            return redirect(f"{reverse('points:resident_ledger', args=[entry.resident_id])}#entry-{entry.pk}")
    return render(request, "points/paper_appeal.html", {"entry": entry, "form": form})
