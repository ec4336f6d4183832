"""Reports for the head and administrators: the monthly village report as a PDF, and the ledger
of the village or of one resident as CSV or Excel."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from office.dashboard import build_dashboard
from office.forms import MonthForm
from office.reports import ledger_header, ledger_rows, monthly_report_pdf
from points.services import report_head
from villages.access import get_resident_for_office, require_office
from villages.exports import csv_response, xlsx_response


@login_required
def report_index(request: HttpRequest) -> HttpResponse:
    village = require_office(request)
    form = MonthForm(request.GET or None, village=village)
    return render(request, "office/reports.html", {"form": form, "month": form.month_or_current()})


@login_required
def monthly_pdf(request: HttpRequest) -> HttpResponse:
    """The dashboard's figures for ?month=YYYY-MM as a printable A4 PDF, with the ledger's chain head
    at the end of the month (published the first time an ended month is printed; points.heads).
    Queries first, then drawing."""
    village = require_office(request)
    month = MonthForm(request.GET or None, village=village).month_or_current()
    head, final = report_head(village=village, month=month)
    pdf = monthly_report_pdf(build_dashboard(village=village, month=month), head=head, head_final=final)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{village.code}-report-{month:%Y-%m}.pdf"'
    return response


@login_required
def ledger_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The whole ledger of the village, or of ?resident=<id>; ?month=YYYY-MM keeps one month."""
    village = require_office(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    resident = None
    if request.GET.get("resident"):
        try:
            resident = get_resident_for_office(request, int(request.GET["resident"]))
        except ValueError:
            raise Http404 from None
    month = None
    if request.GET.get("month"):
        month = MonthForm(request.GET, village=village).month_or_current()
    name = f"{village.code}-ledger"
    if resident is not None:
        name += f"-{resident.household.number}-{resident.name}"
    if month is not None:
        name += f"-{month:%Y-%m}"
    rows = ledger_rows(village=village, resident=resident, month=month)
    if fmt == "csv":
        return csv_response(filename=f"{name}.csv", header=ledger_header(), rows=rows)
    return xlsx_response(filename=f"{name}.xlsx", sheet=village.code, header=ledger_header(), rows=rows)
