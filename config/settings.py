"""Casedesk settings: one module, configured by environment variables (12-factor).

Defaults serve a laptop with no servers (SQLite and a filesystem broker under ``var/``);
production sets ``DATABASE_URL``, ``CELERY_BROKER_URL``, ``SECRET_KEY`` and friends.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# Local state (SQLite database, embedded broker, uploads) lives here; git-ignored.
VAR_DIR = Path(env_str("CASEDESK_VAR_DIR", str(BASE_DIR / "var"))).resolve()

VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable (production), "
            "or DEBUG=1 for a local development server."
        )
    # Only ever used with DEBUG on a developer's machine; never in production (see above).
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "core",
    "accounts",
    "cases",
    "sla",
    "notifications",
    "status",
]

MIDDLEWARE = [
    "core.middleware.QueryCountMiddleware",  # outermost, so the count covers every layer
    "core.middleware.QueryStringGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'casedesk.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web server, worker and beat share one file: WAL lets readers run beside the writer, the busy
    # timeout and IMMEDIATE transactions make writers queue instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # An unreachable server fails a connection attempt in seconds (503), not the OS's minutes.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 5)
    # Prepared statements: PostgreSQL plans a query once per connection instead of on every execution
    # (planning was most of the database's time on a case GET; in process GET 10.9 -> 8.1 ms). Django
    # turns them off by default for the sake of transaction-pooling PgBouncer: behind one (before
    # PgBouncer 1.21's max_prepared_statements), set DB_PREPARED_STATEMENTS=0.
    if env_bool("DB_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"].update(
            server_side_binding=True,  # psycopg prepares only server-side bound queries
            prepare_threshold=env_int("DB_PREPARE_THRESHOLD", 5),  # psycopg's own default
        )

# core.precompiled: compile each cached query afresh too and fail if the SQL differs (the test suite
# and the contract-fuzzing server turn it on; it costs what the cache saves).
PRECOMPILED_QUERIES_CHECK = env_bool("PRECOMPILED_QUERIES_CHECK", False)

# Benchmarks: add X-Query-Count (SQL queries run) to every response.
QUERY_COUNT_HEADER = env_bool("QUERY_COUNT_HEADER", False)

# The connection alias the health endpoint probes.
HEALTH_CHECK_DATABASE = "default"
# Seconds a client is told to wait (Retry-After) when the database is unreachable (503).
SERVICE_UNAVAILABLE_RETRY_AFTER = env_int("SERVICE_UNAVAILABLE_RETRY_AFTER", 5)
# A scheduled job whose last start is older than this many times its interval is reported stale
# (/healthz?detail=1 for staff, and the casedesk_job_stale gauge).
JOB_STALE_AFTER_INTERVALS = env_int("JOB_STALE_AFTER_INTERVALS", 3)

# --- Cache (throttling counters); Redis in production so all web workers share one count --------
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # A dead Redis costs milliseconds: nothing on a request path waits on it for long.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# core.throttling's own Redis connection: timeouts in seconds. When Redis fails, the counters fall
# back to this process for THROTTLE_FALLBACK_SECONDS before Redis is tried again.
THROTTLE_REDIS_TIMEOUT = float(env_str("THROTTLE_REDIS_TIMEOUT", "0.25"))
THROTTLE_FALLBACK_SECONDS = float(env_str("THROTTLE_FALLBACK_SECONDS", "5"))

# --- Passwords, i18n, static and media ------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Tests and `make run` serve static files without collectstatic.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)

# --- E-mail -------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Casedesk Support <support@casedesk.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The right-hand side of each outbox e-mail's Message-ID (<random.outbox@DOMAIN>).
EMAIL_MESSAGE_ID_DOMAIN = env_str(
    "EMAIL_MESSAGE_ID_DOMAIN", DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "casedesk.localhost"
)

# --- Outbox delivery (notifications.services) ----------------------------------------------------
# A worker claims due rows in batches of NOTIFICATION_BATCH_SIZE, each claim a lease of
# NOTIFICATION_LEASE_SECONDS: rows of a worker that died are due again when it ends. A failed
# attempt waits NOTIFICATION_BACKOFF_SECONDS, doubling up to NOTIFICATION_BACKOFF_CAP_SECONDS; after
# NOTIFICATION_MAX_ATTEMPTS attempts the row is failed (staff can retry it).
NOTIFICATION_BATCH_SIZE = env_int("NOTIFICATION_BATCH_SIZE", 100)
NOTIFICATION_LEASE = timedelta(seconds=env_int("NOTIFICATION_LEASE_SECONDS", 120))
NOTIFICATION_BACKOFF = timedelta(seconds=env_int("NOTIFICATION_BACKOFF_SECONDS", 30))
NOTIFICATION_BACKOFF_CAP = timedelta(seconds=env_int("NOTIFICATION_BACKOFF_CAP_SECONDS", 3600))
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 8)

# --- Security (production) --------------------------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The health endpoint must answer plain HTTP from the load balancer and compose health checks.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- REST framework -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",  # DRF's, with the membership in the same query
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.AnonThrottle", "core.throttling.UserThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["core.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exception_handler.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Read on every request by core.throttling, so tests and operators can change them without a restart.
THROTTLE_RATES = {
    "anon": env_str("THROTTLE_ANON_RATE", "60/min"),
    "user": env_str("THROTTLE_USER_RATE", "1200/min"),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Casedesk API",
    "DESCRIPTION": "Support case management: cases, SLAs, notifications. Errors are JSON: "
    '`{"code": "<stable_code>", "detail": "<human text>"}`.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.add_error_responses",
    ],
    # Choice sets shared by several serializers get one stable component name each.
    "ENUM_NAME_OVERRIDES": {
        "MembershipRoleEnum": "accounts.models.Membership.Role",
        "MembershipStatusEnum": "accounts.models.Membership.Status",
        "AuthorizationChannelEnum": "accounts.models.AuthorizationRequest.Channel",
        "AuthorizationRequestKindEnum": "accounts.models.AuthorizationRequest.Kind",
        "AuthorizationRequestStatusEnum": "accounts.models.AuthorizationRequest.Status",
        "OrganisationKindEnum": ["company", "partner_establishment"],
        "CaseStatusEnum": "cases.models.CaseStatus",
        "EscalationStatusEnum": "cases.models.EscalationRequest.Status",
        "CaseEventTypeEnum": "cases.models.CaseEvent.Type",
        "HealthCheckEnum": ["ok", "unavailable"],
    },
}

# --- Celery -------------------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport, no server needed. It does not survive a worker
# dying mid-task (the message is gone); Redis with late acknowledgement redelivers it.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = (
    {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
        # A dead or unreachable Redis costs a web request a fraction of a second, not the OS's
        # connect timeout: publishing is best effort (core.publish) and a sweep does the work later.
        "socket_connect_timeout": float(env_str("CELERY_BROKER_CONNECT_TIMEOUT", "0.5")),
        "socket_timeout": float(env_str("CELERY_BROKER_SOCKET_TIMEOUT", "5")),
    }
)
# Publishing: two quick tries, then core.publish logs and counts the refusal.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
# Workers and beat reconnect to the broker for as long as it takes (Celery's default gives up after 100 tries).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", f"file://{VAR_DIR / 'celery-results'}")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# Absolute base of links in e-mails.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Inbound e-mail: replies to case+<token>@INBOUND_EMAIL_DOMAIN become comments; the inbound webhook
# must present INBOUND_EMAIL_SECRET (empty: the endpoint refuses everything).
INBOUND_EMAIL_DOMAIN = env_str("INBOUND_EMAIL_DOMAIN", "inbound.casedesk.localhost")
INBOUND_EMAIL_SECRET = os.environ.get("INBOUND_EMAIL_SECRET", "")
# Webhook endpoints must be https://, except on these hosts (tests and local receivers).
WEBHOOK_ALLOW_HTTP_HOSTS = env_list("WEBHOOK_ALLOW_HTTP_HOSTS", [])

# --- Casedesk -----------------------------------------------------------------------------------
# Largest accepted case attachment (bytes); larger uploads get 413 file_too_large.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)

# SLA warnings: at this fraction of a target, and this long before due for targets at least this long.
SLA_WARNING_FRACTION = float(env_str("SLA_WARNING_FRACTION", "0.75"))
SLA_WARNING_BEFORE_DUE = timedelta(minutes=env_int("SLA_WARNING_BEFORE_DUE_MINUTES", 60))
SLA_LONG_TARGET = timedelta(minutes=env_int("SLA_LONG_TARGET_MINUTES", 8 * 60))

# Pending authorisation requests (new DSU, role change, password reset) expire after this.
AUTHORIZATION_REQUEST_TTL = timedelta(days=env_int("AUTHORIZATION_REQUEST_TTL_DAYS", 14))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
