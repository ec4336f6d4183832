"""The township's second level: a resident sends a rejected appeal up; a reviewer decides.

Reviewers hold no role in the villages and see only the cases sent to them: the entry, the appeal,
the village's reasons and the handbook text of the edition the entry was recorded under."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from points.access import AppealDeciders, get_case_for_reviewer, get_own_appeal, reviewed_villages
from points.appeal_forms import DecisionForm, ReviewRequestForm
from points.models import Appeal, Review
from points.services import decide_appeal, decide_review, request_review, review_deadline
from villages.models import Village

RECENTLY_DECIDED = 10


@login_required
def review_request(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the rejected appeal and a form for the resident's reason. POST: send it to the township."""
    appeal = get_own_appeal(request, pk)
    form = ReviewRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            request_review(appeal=appeal, resident_user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your request has been sent to the township reviewer."))
            return redirect("points:ledger")
    deadline = review_deadline(appeal) if appeal.decided_at else None
    return render(
        request,
        "points/review_request.html",
        {"appeal": appeal, "entry": appeal.entry, "form": form, "deadline": deadline},
    )


def _age(since, now) -> dict:
    days = (now - since).days
    return {"age": days, "overdue": days > settings.APPEAL_DEADLINE_DAYS}


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """The reviewer's cases, oldest first: reviews residents asked for, and appeals nobody in their
    village can decide without a conflict. 403 for anyone who reviews for no township."""
    villages = reviewed_villages(request.user)
    if not villages:
        raise PermissionDenied
    now = timezone.now()
    related = ("entry__item", "entry__resident", "entry__village", "review")
    reviews = Appeal.objects.filter(entry__village_id__in=villages, review__isnull=False).select_related(*related)
    cases = [
        {"appeal": appeal, "kind": "review", **_age(appeal.review.requested_at, now)}
        for appeal in reviews.filter(review__status=Review.Status.OPEN).order_by("review__requested_at", "pk")
    ]
    # Open appeals routed to the township: few (only where every head and administrator has a conflict).
    open_appeals = Appeal.objects.filter(entry__village_id__in=villages, status=Appeal.Status.OPEN).select_related(
        "entry__item", "entry__resident", "entry__village"
    )
    deciders = {village.pk: AppealDeciders(village) for village in Village.objects.filter(pk__in=villages)}
    for appeal in open_appeals.order_by("filed_at", "pk"):
        if request.user.pk in deciders[appeal.entry.village_id].route(appeal).deciders:
            cases.append({"appeal": appeal, "kind": "conflict", **_age(appeal.filed_at, now)})
    decided = reviews.filter(~Q(review__status=Review.Status.OPEN)).order_by("-review__decided_at")
    return render(
        request,
        "points/review_queue.html",
        {"cases": cases, "decided": decided[:RECENTLY_DECIDED], "deadline": settings.APPEAL_DEADLINE_DAYS},
    )


@login_required
def review_case(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: one case with the entry, the appeal, the village's reasons and the handbook text of the
    edition used, and a decision form while it is open. POST: uphold or reject with a reason."""
    appeal = get_case_for_reviewer(request, pk)
    review = getattr(appeal, "review", None)
    is_open = review.status == Review.Status.OPEN if review else appeal.status == Appeal.Status.OPEN
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if not is_open:
            raise PermissionDenied
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            try:
                if review is not None:
                    decide_review(review=review, reviewer=request.user, upheld=form.upheld, reason=reason)
                else:
                    decide_appeal(appeal=appeal, head=request.user, upheld=form.upheld, reason=reason)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if form.upheld:
                    messages.success(request, _("Upheld: the entry has been reversed. The people concerned are told."))
                else:
                    messages.success(request, _("Rejected: the entry stands. The people concerned are told."))
                return redirect("points:review_queue")
    since = review.requested_at if review else appeal.filed_at
    context = {
        "appeal": appeal,
        "review": review,
        "entry": appeal.entry,
        "item": appeal.entry.item,
        "edition": appeal.entry.item.page.edition,
        "form": form,
        "is_open": is_open,
        **_age(since, timezone.now()),
    }
    return render(request, "points/review_case.html", context)
