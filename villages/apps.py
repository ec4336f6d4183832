from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VillagesConfig(AppConfig):
    name = "villages"
    verbose_name = _("Villages")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        import config.startup  # noqa: F401  (registers the check that static files are collected)
        from villages import security  # noqa: F401  (connects the security-event receivers)
        from villages.dbroles import grant_after_migrate

        # Sent once per app after a migration run; villages' is enough: every table exists by then.
        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="villages.grant_app_role")
