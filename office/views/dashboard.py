"""The head's dashboard: grades, balance trend, deeds and infractions, scorers, open appeals."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from office.dashboard import build_dashboard
from office.forms import MonthForm
from villages.access import require_office


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """For the month in ?month=YYYY-MM (the current month by default). A constant number of queries."""
    village = require_office(request)
    form = MonthForm(request.GET or None, village=village)
    month = form.month_or_current()
    return render(request, "office/dashboard.html", {"form": form, "d": build_dashboard(village=village, month=month)})
