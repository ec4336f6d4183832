from django.urls import path

from office.views import dashboard, home, reports, settings

app_name = "office"

urlpatterns = [
    path("", home.home, name="home"),
    # The head's dashboard and reports.
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("reports/", reports.report_index, name="reports"),
    path("reports/monthly.pdf", reports.monthly_pdf, name="report_monthly"),
    path("reports/ledger.<str:fmt>", reports.ledger_export, name="ledger_export"),
    # The administrator's village settings and audit trail, beside the handbook editor.
    path("handbook/editor/grades/", settings.grades, name="grades"),
    path("handbook/editor/capital/", settings.capital, name="capital"),
    path("handbook/editor/address/", settings.address, name="public_address"),
    path("handbook/editor/audit/", settings.audit, name="audit"),
]
