"""The landing page after sign-in."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from points.notices import take_overdue_reminders
from villages.access import OFFICE, get_acting
from villages.models import Membership


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Residents land on their standing, volunteer scorers on Record; heads and administrators on
    the list of what their roles let them do."""
    acting = get_acting(request)
    if acting is not None and acting.roles == {Membership.Role.RESIDENT}:
        return redirect("points:standing")
    if acting is not None and acting.has(Membership.Role.SCORER) and not acting.has(*OFFICE):
        return redirect("points:record")
    overdue = 0
    if acting is not None and acting.has(Membership.Role.HEAD):
        overdue = take_overdue_reminders(user=request.user, village=acting.village)
    return render(request, "office/home.html", {"acting": acting, "overdue_reminders": overdue})
