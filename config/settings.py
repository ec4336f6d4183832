"""Settings, read from the environment (see .env.example).

With no variables set this is the *embedded default*: SQLite in ./var, Celery tasks run
eagerly, a secret key generated once into ./var. PRODUCTION=1 switches on the strict
checks: SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL and LEDGER_CHAIN_KEYS must be given,
cookies are secure.
"""

import hashlib
import hmac
import re
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = env_bool("PRODUCTION", False)
DEBUG = env_bool("DEBUG", False)


if PRODUCTION and DEBUG:
    raise ImproperlyConfigured(
        "DEBUG must be off when PRODUCTION=1: its error pages show settings and code to any visitor."
    )


def _weak(key: str) -> bool:
    # Django's own test (security.W009): short, few distinct characters, or the generated placeholder.
    return len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure-")


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key and PRODUCTION and _weak(key):
        raise ImproperlyConfigured(
            "SECRET_KEY is weak: when PRODUCTION=1 it must be at least 50 random characters, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when PRODUCTION=1.")
    # Embedded default: one random key per installation, kept beside the database.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()


def _ledger_chain_keys() -> list[tuple[str, bytes]]:
    """LEDGER_CHAIN_KEYS: `id:secret` pairs, newest first. The ledger's hash chain (points.chain) is
    an HMAC under the newest; older ones stay listed so the entries they sealed still verify."""
    raw = env_str("LEDGER_CHAIN_KEYS")
    if not raw:
        if PRODUCTION:
            raise ImproperlyConfigured(
                "LEDGER_CHAIN_KEYS must be set when PRODUCTION=1: the ledger's chain is sealed with a key kept out "
                "of the database, e.g. LEDGER_CHAIN_KEYS=2026a:$(python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))')."
            )
        # Development and tests: derived from SECRET_KEY with a salt of its own, so it is neither the
        # site's key nor stored anywhere.
        return [("dev", hmac.new(SECRET_KEY.encode(), b"village-points ledger chain", hashlib.sha256).digest())]
    keys = []
    for pair in raw.split(","):
        key_id, _colon, secret = pair.strip().partition(":")
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,16}", key_id) or not secret:
            raise ImproperlyConfigured(
                "LEDGER_CHAIN_KEYS must be comma-separated id:secret pairs, newest first; an id is 1-16 letters, "
                f"digits, '.', '_' or '-' (got {key_id[:16]!r})."
            )
        if PRODUCTION and (len(secret) < 32 or len(set(secret)) < 10):
            raise ImproperlyConfigured(
                f"LEDGER_CHAIN_KEYS: the secret of key {key_id!r} is weak: when PRODUCTION=1 each must be at least "
                "32 random characters."
            )
        if key_id in dict(keys):
            raise ImproperlyConfigured(f"LEDGER_CHAIN_KEYS names the key {key_id!r} twice.")
        keys.append((key_id, secret.encode()))
    return keys


LEDGER_CHAIN_KEYS = _ledger_chain_keys()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names when PRODUCTION=1.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "villages",
    "handbook",
    "points",
    "store",
    "office",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Pages shrink five- to eightfold on a scorer's weak 3G (issue 15: ≤ 20 KB per entry). Django's
    # GZipMiddleware pads each response at random against BREACH; CSRF tokens are masked per response.
    "django.middleware.gzip.GZipMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A card session (villages.cards) reaches only its resident's pages; 404 for everything else.
    "villages.cards.CardSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After HtmxMiddleware: an htmx request from an ended session gets 401 + HX-Redirect, not the sign-in page.
    "villages.signin.SignInRedirectMiddleware",
    "villages.security.DeniedAccessMiddleware",
    # Last, as django-axes asks: it turns a lock-out raised during sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "villages.context_processors.acting",
                "villages.context_processors.card",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# Least privilege (villages.dbroles): DATABASE_URL is the login the app runs as; DATABASE_OWNER_URL,
# when given, the role that owns the tables. `manage.py migrate` and `grant_app_role` connect as the
# owner (manage.py sets DATABASE_AS_OWNER for them) and grant the app's role what it needs: it may
# read and add to the ledger and audit tables, never change, delete or empty them.
# DATABASE_APP_ROLE names that role outright where DATABASE_URL is the owner's own: the test runner,
# which creates, migrates and empties test databases (scripts/with-postgres).
DATABASE_URL = env_str("DATABASE_URL")
DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL")
DATABASE_AS_OWNER = env_bool("DATABASE_AS_OWNER", False)
DATABASE_APP_ROLE = env_str("DATABASE_APP_ROLE")  # the app's login role, to be granted its rights
if PRODUCTION and not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL when PRODUCTION=1.")


def _database(name: str, url: str) -> dict:
    try:
        return dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 600), conn_health_checks=True)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is not a database URL: {error}") from None


if DATABASE_URL:
    DATABASES = {"default": _database("DATABASE_URL", DATABASE_URL)}
    if DATABASE_OWNER_URL:
        owner = _database("DATABASE_OWNER_URL", DATABASE_OWNER_URL)
        if DATABASES["default"]["USER"] != owner["USER"]:
            DATABASE_APP_ROLE = DATABASE_APP_ROLE or DATABASES["default"]["USER"]
        if DATABASE_AS_OWNER:
            DATABASES["default"] = owner
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3"}}
if PRODUCTION and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL when PRODUCTION=1.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so a read-then-write (cap check, idempotency
        # check) can never be overtaken by another writer; writers wait up to `timeout` seconds.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The hot statements of villages.compiled run as prepared statements on PostgreSQL. A connection
# pooler that cannot keep them (PgBouncer in transaction mode before 1.21) needs 0 here.
DATABASE_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)

# --- Cache and Celery -----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if PRODUCTION and not REDIS_URL:
    # Without it, tasks would run inside the request, each process would cache on its own and no
    # periodic job (snapshots, notices, the outbox sweeper) would ever run.
    raise ImproperlyConfigured("REDIS_URL must point at Redis when PRODUCTION=1 (cache, Celery broker, periodic jobs).")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A request never hangs on a cache that is down: it fails within a second.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
# Reliable background work: a task is acknowledged only when it finished, so a worker that dies
# mid-task leaves it to be redelivered (tasks are idempotent); one task prefetched at a time;
# bounded run time. The visibility timeout must outlast the longest task and any retry countdown.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 5
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# The result store (Redis too) is reached when a task is sent; it must fail fast like the broker,
# not retry for 20 s inside the user's request.
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 0}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A user's request never waits on a broker that is down: publishing fails fast and the outbox
# sweeper (points.outbox) sends the message once the broker is back.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE = {
    "send-outbox": {"task": "points.tasks.send_outbox", "schedule": 60.0},
    "stalled-batches": {"task": "points.tasks.resume_stalled_batches", "schedule": 60.0},
    "chain-heads": {"task": "points.tasks.publish_chain_heads", "schedule": crontab(minute=20, hour=0)},
    "monthly-snapshots": {"task": "points.tasks.take_monthly_snapshots", "schedule": crontab(minute=30, hour=0)},
    "expired-deductions": {"task": "points.tasks.notify_expired_deductions", "schedule": crontab(minute=10, hour=0)},
    "overdue-appeals": {"task": "points.tasks.remind_overdue_appeals", "schedule": crontab(minute=0, hour=8)},
    "sms-digests": {"task": "points.tasks.send_sms_digests", "schedule": crontab(minute=0, hour="*")},
    "old-batch-pdfs": {"task": "points.tasks.discard_old_batch_pdfs", "schedule": crontab(minute=40, hour=3)},
}

# --- Auth -----------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "office:home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12, minimum=300)
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: expiry after inactivity
# Sign-in rate limit (django-axes): a user name is locked *from one address* after AXES_FAILURE_LIMIT
# bad passwords in a row, for AXES_COOLOFF_HOURS; others behind the same address (a village office
# shares one) still sign in, and an administrator can unlock earlier. A good password resets the count.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 6, minimum=2)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1, minimum=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The client's address, for the lock-out and the audit trail: with TRUSTED_PROXIES reverse proxies
# in front (each appending the address it got the request from to X-Forwarded-For), the one the
# first proxy appended; whatever a client writes into the header itself stands further left and
# is ignored. 0 (the embedded default, no proxy): the connection's own address.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 1 if PRODUCTION else 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "villages.security.client_address"

# --- i18n -----------------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it even when serving from the finders
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Photos and PDFs live outside the web root and are served by views that check access.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"  # the site's frame and language, with a way back
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): no inline script or style anywhere, no eval; htmx is served
# from static/ and configured in base.html's <meta name="htmx-config"> to need neither.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# Powerful browser features the site never uses, switched off for it and anything it might embed.
PERMISSIONS_POLICY = {
    "accelerometer": [],
    "browsing-topics": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "village-points@localhost")

# --- Text messages (points.sms_backends), configured like e-mail --------------------------
SMS_BACKEND = env_str("SMS_BACKEND", "points.sms_backends.ConsoleBackend")
SMS_FILE_PATH = env_str("SMS_FILE_PATH") or str(VAR_DIR / "sms.log")
SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL")
SMS_GATEWAY_TOKEN = env_str("SMS_GATEWAY_TOKEN")
SMS_GATEWAY_SENDER = env_str("SMS_GATEWAY_SENDER", "村民积分")
SMS_GATEWAY_TIMEOUT = env_int("SMS_GATEWAY_TIMEOUT", 10, minimum=1)
if SMS_BACKEND == "points.sms_backends.HttpGatewayBackend" and not SMS_GATEWAY_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        "SMS_GATEWAY_URL must be the gateway's http(s) address when SMS_BACKEND is the HTTP gateway."
    )
# The region assumed for phone numbers typed without a country code.
SMS_DEFAULT_REGION = env_str("SMS_DEFAULT_REGION", "CN")
# When the day's digest goes out (village time, hour of the day).
SMS_DIGEST_HOUR = env_int("SMS_DIGEST_HOUR", 20, minimum=0)

# --- Village Points -------------------------------------------------------------------
# The site's public address, printed in certificates' QR codes (/verify/<code>/): no trailing slash.
SITE_URL = env_str("SITE_URL", "" if PRODUCTION else "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"SITE_URL={SITE_URL!r} must be the site's public address, e.g. https://points.example.org "
        "(required when PRODUCTION=1): certificates' QR codes point there."
    )
# How many days after an entry was recorded its resident may still appeal it.
APPEAL_WINDOW_DAYS = env_int("APPEAL_WINDOW_DAYS", 30, minimum=1)
# How many minutes a volunteer scorer may withdraw an entry they recorded (a typo, the wrong resident).
SCORER_WITHDRAW_MINUTES = env_int("SCORER_WITHDRAW_MINUTES", 10, minimum=1)
# An open appeal older than this many days is flagged in the head's queue.
APPEAL_DEADLINE_DAYS = env_int("APPEAL_DEADLINE_DAYS", 10, minimum=1)
# Resident cards (villages.cards): a card session ends when the browser closes or after this many
# seconds; this many wrong typed codes in a row lock the address or the card for the hours given.
CARD_SESSION_MAX_AGE = env_int("CARD_SESSION_MAX_AGE", 60 * 60 * 24, minimum=60)
CARD_CODE_FAILURE_LIMIT = env_int("CARD_CODE_FAILURE_LIMIT", 10, minimum=3)
CARD_CODE_COOLOFF_HOURS = env_int("CARD_CODE_COOLOFF_HOURS", 1, minimum=1)
# How long a finished certificate batch keeps its printable PDF (the certificates stay).
CERTIFICATE_BATCH_KEEP_DAYS = env_int("CERTIFICATE_BATCH_KEEP_DAYS", 30, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # No card token in any log line (the development server logs query strings).
    "filters": {"card_tokens": {"()": "config.log_filters.RedactCardTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["card_tokens"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs every sign-in at INFO; the audit trail (villages.security) keeps what matters.
    "loggers": {"axes": {"level": "WARNING"}},
}
