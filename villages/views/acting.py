"""Switching the village one acts in."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from villages.access import choose_village


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
        next_url = "office:home"
    return redirect(next_url)
