"""The head's dashboard: grades, balance trend, deeds and infractions, scorers, open appeals."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from office.dashboard import build_dashboard
from office.forms import MonthForm
from store.figures import store_figures
from villages.access import require_office


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """For the month in ?month=YYYY-MM (the current month by default). A constant number of queries."""
    village = require_office(request)
    form = MonthForm(request.GET or None, village=village)
    month = form.month_or_current()
    context = {
        "form": form,
        "d": build_dashboard(village=village, month=month),
        "store": store_figures(village=village, month=month),
    }
    return render(request, "office/dashboard.html", context)
