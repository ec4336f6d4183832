"""Switching the village one acts in."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from villages.access import choose_village
from villages.security import safe_next_url


@login_required
@require_POST
def switch_village(request: HttpRequest) -> HttpResponse:
    village = request.POST.get("village", "")
    if village.isdecimal() and len(village) <= 9:  # an id, not a number the database cannot hold
        choose_village(request, int(village))
    return redirect(safe_next_url(request, request.POST.get("next", ""), default=reverse("office:home")))
