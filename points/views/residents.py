"""The head's and administrators' list of the village's residents, to open one's standing."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from villages.access import require_office
from villages.models import Resident

PER_PAGE = 50


@login_required
def resident_list(request: HttpRequest) -> HttpResponse:
    """Search by name, pinyin (李伟: "liwei" or "lw") or household number."""
    village = require_office(request)
    q = request.GET.get("q", "").strip()
    residents = Resident.objects.filter(village=village).select_related("household")
    if q:
        key = q.lower().replace(" ", "")
        residents = residents.filter(
            Q(name__icontains=q)
            | Q(name_pinyin__startswith=key)
            | Q(name_initials__startswith=key)
            | Q(household__number=q)
        )
    page = Paginator(residents.order_by("household__number", "name", "pk"), PER_PAGE).get_page(request.GET.get("page"))
    template = (
        "points/head_residents.html#results"
        if request.htmx and not request.htmx.boosted
        else "points/head_residents.html"
    )
    return render(request, template, {"page": page, "q": q})
