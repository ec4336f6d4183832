"""The landing page after sign-in, and switching the village one acts in."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from points.notices import take_overdue_reminders
from villages.access import choose_village, get_acting
from villages.models import Membership


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Residents land on their standing, volunteer scorers on Record; heads and administrators on
    the list of what their roles let them do."""
    acting = get_acting(request)
    if acting is not None and acting.roles == {Membership.Role.RESIDENT}:
        return redirect("points:standing")
    if (
        acting is not None
        and acting.has(Membership.Role.SCORER)
        and not acting.has(Membership.Role.HEAD, Membership.Role.ADMIN)
    ):
        return redirect("points:record")
    overdue = 0
    if acting is not None and acting.has(Membership.Role.HEAD):
        overdue = take_overdue_reminders(user=request.user, village=acting.village)
    return render(request, "villages/home.html", {"acting": acting, "overdue_reminders": overdue})


@login_required
@require_POST
def switch_village(request: HttpRequest) -> HttpResponse:
    try:
        village_id = int(request.POST.get("village", ""))
    except ValueError:
        village_id = 0
    choose_village(request, village_id)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "villages:home"
    return redirect(next_url)
