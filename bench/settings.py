"""Settings for the benchmarks: the product's settings, a database of its own and the floor URLs.

    DJANGO_SETTINGS_MODULE=bench.settings

With DATABASE_URL set (PostgreSQL) that database is used as it is, so point it at a database
kept for benchmarks. Without it the county lives in var/bench.sqlite3 (BENCH_SQLITE overrides),
never in the demo's var/db.sqlite3.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import DATABASES, VAR_DIR

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["NAME"] = os.environ.get("BENCH_SQLITE") or str(VAR_DIR / "bench.sqlite3")

# The product's URLs plus the floor views under /bench-floor/ (bench/floor_urls.py).
ROOT_URLCONF = "bench.floor_urls"

# A request log line per request would be part of every measured figure: keep the logs to warnings.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
