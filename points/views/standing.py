"""A resident's Standing page: theirs at /me/, and any resident's for the head and administrators."""

import threading
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from points.access import get_own_resident, household_sharing_with
from points.chart import chart_with_standing
from points.models import Appeal, Entry, EntryQuerySet
from points.notices import take_unread_for_resident
from villages.access import get_resident_for_office
from villages.benefits import benefits_for
from villages.cards import card_or_login_required
from villages.models import Resident
from villages.terms import kept_benefits, kept_scales

UPCOMING_EXPIRIES = 5
RECENT_APPEALS = 5


@card_or_login_required
def standing(request: HttpRequest) -> HttpResponse:
    resident = get_own_resident(request)
    # Shown on this page now, so read: they will not be shown again.
    notifications = []
    if request.user.is_authenticated:
        notifications = take_unread_for_resident(user=request.user, resident=resident)
    return _render(request, resident, own=True, notifications=notifications, household=household_sharing_with(resident))


def render_for_household(request: HttpRequest, resident: Resident) -> HttpResponse:
    """A household member's standing, as a member of their household sees it (read-only)."""
    return _render(request, resident, own=False, notifications=[], member=True)


@login_required
def resident_standing(request: HttpRequest, pk: int) -> HttpResponse:
    """The head's or an administrator's view of one resident of their village."""
    resident = get_resident_for_office(request, pk)
    return _render(request, resident, own=False, notifications=[])


def _render(
    request: HttpRequest,
    resident: Resident,
    *,
    own: bool,
    notifications: list,
    household: list | None = None,
    member: bool = False,
) -> HttpResponse:
    """A constant number of queries: the chart's balances (today's is its last), upcoming expiries
    and appeals; the grade scales and benefits once per process and revision (villages.terms)."""
    village = resident.village
    chart, current = chart_with_standing(resident=resident, scales=kept_scales(village))
    return render(
        request,
        "points/standing.html",
        {
            "resident": resident,
            "own": own,
            "standing": current,
            "expiries": upcoming_expiries(resident, on=current.on),
            "chart": chart,
            "appeals": recent_appeals(resident),
            "notifications": notifications,
            "household": household or [],
            "member": member,
            "benefits": benefits_for(
                village=village,
                grade=current.grade,
                on=current.on,
                bands=current.bands,
                offered=kept_benefits(village, current.on),
            ),
        },
    )


# The two lists below read only the columns their pages show (a page asking for another would
# read it row by row: tests/points/test_standing_views.py counts the queries with both lists full).
# Building and reading every column of an entry and its item cost more than the query itself.


def upcoming_expiries(resident: Resident, *, on: date) -> list[Entry]:
    """The counting deductions that will stop counting, soonest first: their item's title, points
    and expiry (the standing page and the statement)."""
    return list(_expiring_on(on).filter(resident=resident)[:UPCOMING_EXPIRIES])


_built = threading.local()


def _expiring_on(on: date) -> EntryQuerySet:
    """Every counting deduction with an expiry on `on`, soonest first, as a queryset built once per
    thread and day (never run itself; each page filters a copy): Django takes longer to build it
    (the rule's conditions and a NOT EXISTS) than the database takes to run it."""
    kept = getattr(_built, "expiring", None)
    if kept is None or kept[0] != on:
        rows = (
            Entry.objects.filter(expires_on__isnull=False, points_halves__lt=0)
            .originals()
            .not_reversed(on=on)
            .counting(on=on)
            .select_related("item")
            .only("points_halves", "expires_on", "item__title")
            .order_by("expires_on", "pk")
        )
        kept = _built.expiring = (on, rows)
    return kept[1]


def recent_appeals(resident: Resident) -> list[Appeal]:
    """The resident's latest appeals: status, reason of the decision, and the entry's day and item."""
    return list(
        Appeal.objects.filter(entry__resident=resident)
        .select_related("entry__item")
        .only("status", "decision_reason", "entry__occurred_on", "entry__item__code", "entry__item__title")
        .order_by("-filed_at")[:RECENT_APPEALS]
    )
