"""Checks that stop a production server from starting rather than answer 500 on every page."""

from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MANIFEST = "staticfiles.json"  # written by collectstatic for the manifest storage WhiteNoise serves
NOT_COLLECTED = (
    "Static files are not collected in STATIC_ROOT ({root}): run `python manage.py collectstatic --noinput` "
    "before starting with PRODUCTION=1 (without them every page answers 500)."
)


def static_problem() -> str:
    """Why static files cannot be served, or "" when they can (always "" outside production)."""
    if not settings.PRODUCTION or (Path(settings.STATIC_ROOT) / MANIFEST).exists():
        return ""
    return NOT_COLLECTED.format(root=settings.STATIC_ROOT)


def refuse_to_start_if_unready() -> None:
    """Called by config.wsgi as the server loads the application."""
    problem = static_problem()
    if problem:
        raise ImproperlyConfigured(problem)


@checks.register(checks.Tags.staticfiles, deploy=True)
def static_files_collected(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """`manage.py check --deploy` says so too."""
    problem = static_problem()
    return [checks.Error(problem, id="config.E001")] if problem else []


@checks.register(checks.Tags.database, deploy=True)
def app_role_separate(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """`manage.py check --deploy` warns when the app would connect as the tables' owner."""
    app_login = settings.DATABASES["default"].get("USER")
    if not settings.PRODUCTION or settings.DATABASE_AS_OWNER or app_login == settings.DATABASE_APP_ROLE:
        return []
    return [
        checks.Warning(
            "DATABASE_OWNER_URL is not set (or names the same user as DATABASE_URL): the app connects as the role "
            "that owns the tables, which may change, delete or empty the ledger and switch its triggers off.",
            hint="Give the app a login of its own (manage.py grant_app_role --create) and run migrate as the owner; "
            "see the README, Production.",
            id="config.W002",
        )
    ]
