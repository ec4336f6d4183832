"""A resident's printable statement, for residents without a phone or a login."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from points.chart import chart_with_standing
from points.ledger import ledger_entries, lines
from points.statement_pdf import render_statement
from points.views.standing import upcoming_expiries
from villages.access import get_resident_for_office

LINES_PER_PAGE = 60  # about two printed A4 pages


@login_required
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    """Standing, the 12-month chart as a table and the entries of those 12 months (a page of
    LINES_PER_PAGE at a time, newest first), laid out for A4."""
    resident = get_resident_for_office(request, pk)
    chart, current = chart_with_standing(resident=resident)
    entries = ledger_entries(resident).filter(occurred_on__gte=chart.first.month)
    # A page of lines at a time, so the statement of a resident with thousands of entries costs
    # what a short one does; each printed page carries the standing and says "page n of m".
    page = Paginator(entries, LINES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "points/statement.html",
        {
            "resident": resident,
            "standing": current,
            "chart": chart,
            "expiries": upcoming_expiries(resident, on=current.on),
            "lines": lines(page.object_list, today=current.on, own=False),
            "page": page,
            "printed_by": request.user,
            "appeal_window_days": settings.APPEAL_WINDOW_DAYS,
        },
    )


@login_required
@cache_control(private=True, no_cache=True)
def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The statement as an A4 PDF with the font embedded, to print from any computer."""
    resident = get_resident_for_office(request, pk)
    chart, current = chart_with_standing(resident=resident)
    entries = ledger_entries(resident).filter(occurred_on__gte=chart.first.month)
    pdf = render_statement(
        resident=resident,
        standing=current,
        chart=chart,
        lines=lines(entries, today=current.on, own=False),
        printed_by=request.user.get_full_name() or request.user.get_username(),
        printed_on=current.on,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statement-{resident.pk}-{current.on:%Y%m%d}.pdf"'
    return response
