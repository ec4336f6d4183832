"""/healthz: database, cache and broker status as JSON (200 when all are up, 503 otherwise)."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _cache() -> str:
    cache.set("healthz", "ok", 10)
    return "ok" if cache.get("healthz") == "ok" else "error"


def _broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    status = {}
    for name, probe in (("database", _database), ("cache", _cache), ("broker", _broker)):
        try:
            status[name] = probe()
        except Exception as error:  # any failure of a dependency is reported, never raised
            status[name] = f"error: {type(error).__name__}"
    healthy = all(value in ("ok", "eager") for value in status.values())
    return JsonResponse(status, status=200 if healthy else 503)
