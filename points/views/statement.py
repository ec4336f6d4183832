"""A resident's printable statement, for residents without a phone or a login."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from points.chart import build_chart
from points.ledger import ledger_entries, lines
from points.standing import compute_standing
from points.views.standing import upcoming_expiries
from villages.access import get_resident_for_office


@login_required
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    """Standing, the 12-month chart as a table and every entry of those 12 months, laid out for A4."""
    resident = get_resident_for_office(request, pk)
    current = compute_standing(resident=resident)
    chart = build_chart(resident=resident, today=current.on)
    entries = ledger_entries(resident).filter(occurred_on__gte=chart.first.month)
    return render(
        request,
        "points/statement.html",
        {
            "resident": resident,
            "standing": current,
            "chart": chart,
            "expiries": upcoming_expiries(resident, on=current.on),
            "lines": lines(entries, today=current.on, own=False),
            "printed_by": request.user,
            "appeal_window_days": settings.APPEAL_WINDOW_DAYS,
        },
    )
