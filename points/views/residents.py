"""The head's and administrators' list of the village's residents, to open one's standing."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from villages.access import require_office
from villages.search import clean_query, find_residents

PER_PAGE = 50


@login_required
def resident_list(request: HttpRequest) -> HttpResponse:
    """Search by name, pinyin (李伟: "liwei" or "lw") or household number."""
    village = require_office(request)
    q = clean_query(request.GET.get("q", ""))
    residents = find_residents(village=village, query=q)
    page = Paginator(residents, PER_PAGE).get_page(request.GET.get("page"))
    template = (
        "points/head_residents.html#results"
        if request.htmx and not request.htmx.boosted
        else "points/head_residents.html"
    )
    return render(request, template, {"page": page, "q": q})
