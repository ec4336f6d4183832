from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficeConfig(AppConfig):
    """The head's and administrator's pages that read across the ledger: home, dashboard, reports,
    village settings and the audit trail."""

    name = "office"
    verbose_name = _("Village office")
