from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo village 东岛刘家村: its handbook, residents and a year of history (`manage.py loaddemo`)."""

    name = "demo"
    verbose_name = _("Demo village")
