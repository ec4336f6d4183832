"""The landing page after sign-in."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from points.access import is_reviewer
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
    overdue, reviewed = 0, []
    if acting is not None and acting.has(Membership.Role.HEAD):
        overdue = take_overdue_reminders(user=request.user, village=acting.village)
    if acting is not None and acting.has(Membership.Role.HEAD, Membership.Role.ADMIN):
        # The township's word on appeals this head or administrator decided, shown once.
        reviewed = take_review_decisions(user=request.user, village=acting.village)
    context = {"acting": acting, "overdue_reminders": overdue, "review_decisions": reviewed}
    return render(request, "office/home.html", context)
