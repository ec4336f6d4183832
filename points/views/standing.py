"""A resident's Standing page: theirs at /me/, and any resident's for the head and administrators."""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import BigIntegerField, DateField, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from points.access import get_own_resident, household_sharing_with
from points.chart import chart_with_standing
from points.models import Appeal, Entry
from points.notices import take_unread_for_resident
from villages.access import get_resident_for_office
from villages.benefits import benefits_for
from villages.cards import card_or_login_required
from villages.compiled import Slot, compiled
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


# The two lists below run on every Standing page: compiled once (villages.compiled; Django took
# longer to build them, the rule's conditions and a NOT EXISTS, than the database to run them),
# reading only the columns the pages show (a page asking for another would read it row by row:
# tests/points/test_standing_views.py counts the queries with both lists full).


def upcoming_expiries(resident: Resident, *, on: date) -> list[Entry]:
    """The counting deductions that will stop counting, soonest first: their item's title, points
    and expiry (the standing page and the statement)."""
    return compiled(_upcoming_expiries).instances(resident=resident.pk, on=on)


def _upcoming_expiries() -> QuerySet:
    on = Slot("on", DateField())
    return (
        Entry.objects.filter(
            resident_id=Slot("resident", BigIntegerField()), expires_on__isnull=False, points_halves__lt=0
        )
        .originals()
        .not_reversed(on=on)
        .counting(on=on)
        .select_related("item")
        .only("points_halves", "expires_on", "item__title")
        .order_by("expires_on", "pk")[:UPCOMING_EXPIRIES]
    )


def recent_appeals(resident: Resident) -> list[Appeal]:
    """The resident's latest appeals: status, reason of the decision, and the entry's day and item."""
    return compiled(_recent_appeals, connection.vendor).instances(resident=resident.pk)


def _recent_appeals(vendor: str) -> QuerySet:
    appeals = Appeal.objects.filter(entry__resident_id=Slot("resident", BigIntegerField()))
    if vendor == "sqlite":
        # The resident's appeals found first, from the indexes of entries by resident and appeals
        # by entry (ids only), and only theirs joined to their entry and item: filtered through the
        # join, SQLite (no statistics) read every entry of the resident and its item before
        # looking for an appeal (2,000 entries: 0.9 ms against 0.15). PostgreSQL plans the join
        # well from its statistics, and the subquery worse (1.0 ms against 0.5).
        appeals = Appeal.objects.filter(pk__in=appeals.values("pk"))
    return (
        appeals.select_related("entry__item")
        .only("status", "decision_reason", "entry__occurred_on", "entry__item__code", "entry__item__title")
        .order_by("-filed_at")[:RECENT_APPEALS]
    )
