"""The landing page after sign-in."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from points.access import is_reviewer
from points.models import Appeal
from points.notices import take_overdue_reminders, take_review_decisions
from villages.access import OFFICE, get_acting
from villages.models import Membership


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Residents land on their standing, volunteer scorers on Record; heads and administrators on
    the list of what their roles let them do."""
    acting = get_acting(request)
    if acting is None and is_reviewer(request.user):
        return redirect("points:review_queue")
    if acting is not None and acting.roles == {Membership.Role.RESIDENT}:
        return redirect("points:standing")
    if acting is not None and acting.has(Membership.Role.SCORER) and not acting.has(*OFFICE):
        return redirect("points:record")
    appeals, reviewed = {}, []
    if acting is not None and acting.has(Membership.Role.HEAD):
        take_overdue_reminders(user=request.user, village=acting.village)  # the tile says it now
    if acting is not None and acting.has(*OFFICE):
        appeals = _open_appeals(acting.village)
        # The township's word on appeals this head or administrator decided, shown once.
        reviewed = take_review_decisions(user=request.user, village=acting.village)
    return render(request, "office/home.html", {"acting": acting, "appeals": appeals, "review_decisions": reviewed})


def _open_appeals(village) -> dict[str, int]:
    """How many appeals wait for the head, and how many of them longer than APPEAL_DEADLINE_DAYS
    (the rule of points.notices.appeals_overdue). One query."""
    cutoff = timezone.now() - timedelta(days=settings.APPEAL_DEADLINE_DAYS)
    return Appeal.objects.filter(entry__village=village, status=Appeal.Status.OPEN).aggregate(
        waiting=Count("pk"), overdue=Count("pk", filter=Q(filed_at__lt=cutoff))
    )
