from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from points.access import get_own_resident
from points.standing import compute_standing


@login_required
def standing(request: HttpRequest) -> HttpResponse:
    resident = get_own_resident(request)
    current = compute_standing(resident=resident)
    recent = resident.entries.select_related("item", "recorded_by", "reversal").order_by(
        "-occurred_on", "-recorded_at"
    )[:20]
    return render(request, "points/standing.html", {"resident": resident, "standing": current, "recent": recent})
