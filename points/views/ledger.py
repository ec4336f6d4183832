"""A resident's ledger: theirs at /me/ledger/, and any resident's for the head and administrators."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from points.access import get_own_resident
from points.appeal_forms import LedgerFilterForm
from points.ledger import ledger_entries, ledger_months, lines
from villages.access import get_resident_for_office
from villages.cards import card_or_login_required
from villages.models import Resident

PER_PAGE = 25


@card_or_login_required
def ledger(request: HttpRequest) -> HttpResponse:
    return _render(request, get_own_resident(request), own=True)


@login_required
def resident_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, get_resident_for_office(request, pk), own=False)


def render_for_household(request: HttpRequest, resident: Resident) -> HttpResponse:
    """A household member's ledger, as a member of their household sees it (read-only)."""
    return _render(request, resident, own=False, member=True)


def _render(request: HttpRequest, resident: Resident, *, own: bool, member: bool = False) -> HttpResponse:
    """Constant queries whatever the ledger's length: months, count, one page of rows, their appeals."""
    months = ledger_months(resident)
    filters = LedgerFilterForm(request.GET, months=months)
    entries = ledger_entries(resident, month=filters.cleaned_month(), kind=filters.cleaned_kind())
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "resident": resident,
        "own": own,
        "member": member,
        "filters": filters,
        "months": months,
        "page": page,
        "lines": lines(
            page.object_list,
            today=resident.village.today(),
            own=own,
            review_window_days=resident.village.review_window_days,
        ),
        "query": query.urlencode(),
    }
    template = "points/ledger.html#ledger-list" if request.htmx and not request.htmx.boosted else "points/ledger.html"
    return render(request, template, context)
