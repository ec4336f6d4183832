from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VillagesConfig(AppConfig):
    name = "villages"
    verbose_name = _("Villages")

    def ready(self) -> None:
        import config.startup  # noqa: F401  (registers the check that static files are collected)
        from villages import security  # noqa: F401  (connects the security-event receivers)
