"""The monthly store report for the head and administrators: on screen, as PDF, CSV or XLSX."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from store.access import require_store_office, store_settings
from store.forms import MonthForm
from store.report import build_report, export_rows, report_pdf, stock_header
from villages.exports import csv_response, xlsx_response


def _report(request: HttpRequest):
    village = require_store_office(request)
    config = store_settings(village)
    if config is None:
        raise Http404
    month = MonthForm(request.GET, village=village).chosen_month()
    return build_report(config=config, month=month)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    village = require_store_office(request)
    config = store_settings(village)
    month = MonthForm(request.GET, village=village).chosen_month()
    context = {"report": build_report(config=config, month=month) if config else None, "month": month}
    return render(request, "store/report.html", context)


@login_required
def report_download(request: HttpRequest, fmt: str) -> HttpResponse:
    report = _report(request)
    name = f"store-{report.village.code}-{report.month:%Y-%m}"
    if fmt == "pdf":
        response = HttpResponse(report_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return response
    if fmt == "csv":
        return csv_response(filename=f"{name}.csv", header=stock_header(), rows=export_rows(report))
    if fmt == "xlsx":
        return xlsx_response(filename=f"{name}.xlsx", sheet=name[:31], header=stock_header(), rows=export_rows(report))
    raise Http404
