"""Casedesk settings: one module, configured by environment variables (12-factor).

Defaults serve a laptop with no servers (SQLite and a filesystem broker under ``var/``);
production sets ``DATABASE_URL``, ``CELERY_BROKER_URL``, ``SECRET_KEY`` and friends.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import date, timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from core.observability.logs import log_format_choose, logging_config

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
    "csp",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "pgtrigger",
    "django_htmx",  # the analyst workspace's htmx (served from django-htmx's static files)
    "core",
    "accounts",
    "cases",
    "sla",
    "notifications",
    "inbound",
    "status",
    "reports",
]

MIDDLEWARE = [
    # Request counts and latency by view: the first and the last middleware, so they time them all.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Before everything that may answer or fail, so every response and log line has the id.
    "core.observability.request_id.RequestIdMiddleware",
    "core.middleware.QueryCountMiddleware",  # outermost but for the above, so the count covers every layer
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Response headers (README: Security headers). Above every middleware that may answer early,
    # so those answers carry them too.
    "core.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ApiNoStoreMiddleware",
    "core.middleware.RateLimitHeadersMiddleware",  # RateLimit-* from the throttle's own count
    # The answer's language: Accept-Language, which the API's authentication replaces with the user's
    # own setting. Around the refusals below, so they are written in it too.
    "core.middleware.LanguageMiddleware",
    # Refusals of requests the API cannot mean, before anything parses them.
    "core.middleware.QueryStringGuardMiddleware",
    "core.middleware.RequestBodyLimitMiddleware",  # at process_view: before CsrfViewMiddleware reads a form
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: the workspace answers partial updates
    "cases.admin.timezones.AnalystTimeZoneMiddleware",  # admin pages in the analyst's time zone
    "axes.middleware.AxesMiddleware",  # the admin's lockout page; after the others, as django-axes requires
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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
    # (planning was most of the database's time on a case GET; BENCHMARKS.md, HTTP load). Django
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
# Off: every core.precompiled call builds and runs the plain queryset (benchmarks compare both);
# PRECOMPILED_QUERIES_OFF names queries (PrecompiledQuery.name, comma-separated) built plainly alone.
PRECOMPILED_QUERIES = env_bool("PRECOMPILED_QUERIES", True)
PRECOMPILED_QUERIES_OFF = frozenset(env_list("PRECOMPILED_QUERIES_OFF", []))

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

# --- Outbox delivery (notifications.delivery) ----------------------------------------------------
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
# Trusted because gunicorn is reachable only through the proxy, which always sets X-Forwarded-Proto
# itself (deploy/Caddyfile; web publishes no port in docker-compose.yml). Serving gunicorn to clients
# directly would let any of them claim HTTPS: put another proxy in front only if it overwrites it too.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The health and metrics endpoints answer plain HTTP from the load balancer, the compose health
# checks and Prometheus on the internal network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
# Django's defaults, stated because tests/security/test_security_headers.py holds them.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp; core.middleware.ContentSecurityPolicyMiddleware). HTML pages
# (admin, API docs) run only their own static scripts and styles, or inline ones carrying the
# request's nonce; nothing may frame them, embed plugins or rebase their links.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],  # the admin's and Swagger UI's inline SVG icons
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Every other answer (API JSON, schema, feeds, calendars, downloads) loads nothing and is not framed.
CONTENT_SECURITY_POLICY_NON_HTML = {"DIRECTIVES": {"default-src": [NONE], "frame-ancestors": [NONE]}}

# --- Request limits (core.limits; README: API conventions) ------------------------------------
# Largest request body of any endpoint that does not declare its own (the attachment upload adds
# ATTACHMENT_MAX_BYTES); larger ones get 413 request_too_large before the body is read. It is also
# Django's cap on the non-file part of a form, so the two agree.
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
# Form fields (and query parameters) and files per request; more get 413 too_many_fields /
# too_many_files (400 too_many_parameters for a query string).
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("REQUEST_MAX_FIELDS", 1000)
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("REQUEST_MAX_FILES", 10)
# Uploaded files larger than this are streamed to a temporary file instead of held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# JSON bodies may nest this many objects/arrays deep; deeper ones are a 400 parse_error.
REQUEST_JSON_MAX_DEPTH = env_int("REQUEST_JSON_MAX_DEPTH", 32)

# --- Client addresses ---------------------------------------------------------------------------
# How many proxies we run in front of the application, each appending to X-Forwarded-For: the client
# is the NUM_PROXIES-th address from the right (core.net.client_ip). 0: the socket's peer, and the
# header, which any client can write, is ignored. Throttles and login lockout both key on it.
NUM_PROXIES = env_int("NUM_PROXIES", 0)
if NUM_PROXIES < 0:
    raise ImproperlyConfigured(f"NUM_PROXIES must be 0 or more, got {NUM_PROXIES}.")

# --- Login lockout (django-axes): the admin's login form and POST /api/v1/auth/token/ --------------
# LOGIN_FAILURE_LIMIT failed logins for one username, or from one client address, lock that username
# or address out for LOGIN_COOLOFF_MINUTES after the last counted failure: refused even with the right
# password, and failures meanwhile are not counted (an attacker cannot extend it by trying on). The
# price of the per-username rule: anyone can lock a victim's login for the cool-off (their API tokens
# keep working). Administrators see and clear attempts in the admin (Axes › Access attempts), or run
# `manage.py axes_reset_username <name>`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out attempt before the password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15)
if AXES_FAILURE_LIMIT < 1 or LOGIN_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT and LOGIN_COOLOFF_MINUTES must be 1 or more.")
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one trips
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A success does not wipe the counts: it would let an attacker with an account of their own clear
# their address's failures between guesses at others'.
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"  # the one rule, NUM_PROXIES included (not ipware's)
AXES_LOCKOUT_CALLABLE = "accounts.authentication.lockout_response"

# --- REST framework -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Both switch to the user's language once they know the user (accounts.authentication).
        "accounts.authentication.TokenAuthentication",  # knox's, with the membership in the same query
        "accounts.authentication.SessionAuthentication",  # DRF's, in the user's language
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.AnonThrottle", "core.throttling.UserThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["core.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",  # tags and error responses from the catalogue
    # JSON only (bounded, and refusing what would break the request later); a form is 415. The
    # attachment upload, the one endpoint that takes a file, reads multipart itself.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "core.exception_handler.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # DRF's own get_ident; our throttles ask core.net.client_ip, which reads the same number.
    "NUM_PROXIES": NUM_PROXIES,
}
# API tokens (django-rest-knox, accounts.authentication): stored as SHA-512 digests, expiring
# API_TOKEN_TTL_HOURS after they are issued; use does not extend them (no auto-refresh: a stolen token
# dies on schedule however busy it is kept). A user keeps at most API_TOKENS_PER_USER live tokens:
# a new one revokes the oldest beyond that.
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 10)
API_TOKENS_PER_USER = env_int("API_TOKENS_PER_USER", 10)
if API_TOKEN_TTL_HOURS < 1 or API_TOKENS_PER_USER < 1:
    raise ImproperlyConfigured("API_TOKEN_TTL_HOURS and API_TOKENS_PER_USER must be 1 or more.")
API_TOKEN_TTL = timedelta(hours=API_TOKEN_TTL_HOURS)
REST_KNOX = {
    "TOKEN_TTL": API_TOKEN_TTL,
    "AUTO_REFRESH": False,
    "AUTH_HEADER_PREFIX": "Token",  # the scheme clients already send
}

# Read on every request by core.throttling, so tests and operators can change them without a restart.
THROTTLE_RATES = {
    "anon": env_str("THROTTLE_ANON_RATE", "60/min"),
    "user": env_str("THROTTLE_USER_RATE", "1200/min"),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Casedesk API",
    "DESCRIPTION": "Support case management: cases, SLAs, notifications. Authenticate with "
    "`POST /api/v1/auth/token/` and send `Authorization: Token <token>`. Bodies are JSON (the attachment "
    "upload is multipart). Every error is JSON, "
    '`{"code": "<stable_code>", "detail": "<human text>"}`: each operation lists the codes it can answer, '
    "with an example of each. Creations answer 201 with `Location`; `Idempotency-Key` makes a creation "
    "safe to repeat (the same key with another body is 422 `idempotency_key_reused`). Throttled "
    "operations send `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.schema.tags_describe"],
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
        "PlanTierEnum": "accounts.models.PlanTier",
        "ReportedMetricEnum": ["first_response", "resolution"],
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
# django-celery-beat's DatabaseScheduler, touching beat's liveness file on each pass (core/liveness.py).
CELERY_BEAT_SCHEDULER = "core.beat_scheduler:LivenessDatabaseScheduler"
# Worker and beat touch their liveness file this often; scripts/healthcheck.py allows several misses.
LIVENESS_INTERVAL_SECONDS = env_int("LIVENESS_INTERVAL_SECONDS", 10)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# The worker and beat log through LOGGING (config/celery.py), not a format of Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Absolute base of links in e-mails.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Inbound e-mail: replies to case+<token>@INBOUND_EMAIL_DOMAIN become comments; the inbound webhook
# must present INBOUND_EMAIL_SECRET (empty: the endpoint refuses everything).
INBOUND_EMAIL_DOMAIN = env_str("INBOUND_EMAIL_DOMAIN", "inbound.casedesk.localhost")
# Mail to this address from a known, authenticated person who may act for a company opens a case.
SUPPORT_EMAIL_ADDRESS = env_str("SUPPORT_EMAIL_ADDRESS", f"support@{INBOUND_EMAIL_DOMAIN}").strip().lower()
# Mail that changes nothing gets one polite answer per sender address per this long (never to mail
# sent by machines: see inbound/parsing.py).
INBOUND_AUTO_REPLY_INTERVAL = timedelta(hours=env_int("INBOUND_AUTO_REPLY_INTERVAL_HOURS", 24))
# The catalogue codes a case opened by e-mail gets unless the message names others.
INBOUND_CASE_REASON = env_str("INBOUND_CASE_REASON", "system-issue")
INBOUND_CASE_APPLICATION_AREA = env_str("INBOUND_CASE_APPLICATION_AREA", "to-be-classified")
INBOUND_EMAIL_SECRET = os.environ.get("INBOUND_EMAIL_SECRET", "")
# The authserv-id our receiving mail server (or provider) writes in its Authentication-Results header:
# only the topmost such header is believed. Empty: no sender is ever authenticated from MIME.
INBOUND_EMAIL_AUTHSERV_ID = env_str("INBOUND_EMAIL_AUTHSERV_ID", "").strip().lower()
# Largest inbound request body; 0: room for one attachment of ATTACHMENT_MAX_BYTES in base64.
INBOUND_EMAIL_MAX_BYTES = env_int("INBOUND_EMAIL_MAX_BYTES", 0)
# django-anymail inbound webhooks served at /inbound/anymail/<provider>/ (mailgun, mailjet, postmark,
# sparkpost); each needs its secret below, else every call is refused.
INBOUND_EMAIL_PROVIDERS = env_list("INBOUND_EMAIL_PROVIDERS", [])
# "user:password" the providers send as HTTP basic auth; Mailgun's key signs each of its calls.
ANYMAIL_WEBHOOK_SECRET = os.environ.get("ANYMAIL_WEBHOOK_SECRET", "")
ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY = os.environ.get("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY", "")
# Webhook endpoints must be https://, except on these hosts (tests and local receivers).
WEBHOOK_ALLOW_HTTP_HOSTS = env_list("WEBHOOK_ALLOW_HTTP_HOSTS", [])
# Webhooks never reach loopback, private, link-local, multicast or reserved addresses
# (notifications/outbound.py), except inside these networks (CIDR, comma-separated). For tests only:
# a system check refuses it with DEBUG off.
WEBHOOK_ALLOWED_PRIVATE_NETWORKS = env_list("WEBHOOK_ALLOWED_PRIVATE_NETWORKS", [])
for _network in WEBHOOK_ALLOWED_PRIVATE_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"WEBHOOK_ALLOWED_PRIVATE_NETWORKS: {_exc}") from _exc
# A rotated webhook secret still signs every delivery, beside the new one, for this long: receivers
# switch to the new secret within it.
_rotation_grace_hours = env_int("WEBHOOK_SECRET_ROTATION_GRACE_HOURS", 24)
if _rotation_grace_hours < 0:
    raise ImproperlyConfigured("WEBHOOK_SECRET_ROTATION_GRACE_HOURS must not be negative.")
WEBHOOK_SECRET_ROTATION_GRACE = timedelta(hours=_rotation_grace_hours)
# Deliveries carry the deprecated X-Casedesk-* headers beside the Standard Webhooks ones until this
# day (UTC, ISO date): from its midnight on, only the webhook-* headers.
try:
    WEBHOOK_LEGACY_HEADERS_UNTIL = date.fromisoformat(env_str("WEBHOOK_LEGACY_HEADERS_UNTIL", "2027-06-01"))
except ValueError as _exc:
    raise ImproperlyConfigured(f"WEBHOOK_LEGACY_HEADERS_UNTIL must be a date (YYYY-MM-DD): {_exc}") from _exc

# --- Casedesk -----------------------------------------------------------------------------------
# Largest accepted case attachment (bytes); larger uploads get 413 file_too_large.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)

# SLA warnings: at this fraction of a target, and this long before due for targets at least this long.
SLA_WARNING_FRACTION = float(env_str("SLA_WARNING_FRACTION", "0.75"))
SLA_WARNING_BEFORE_DUE = timedelta(minutes=env_int("SLA_WARNING_BEFORE_DUE_MINUTES", 60))
SLA_LONG_TARGET = timedelta(minutes=env_int("SLA_LONG_TARGET_MINUTES", 8 * 60))

# Pending authorisation requests (new DSU, role change, password reset) expire after this.
AUTHORIZATION_REQUEST_TTL = timedelta(days=env_int("AUTHORIZATION_REQUEST_TTL_DAYS", 14))

# --- Logs, metrics, error tracking (core/observability) ------------------------------------------
# One JSON object per line in production; `make run` (DEBUG) keeps a line people can read.
try:
    LOG_FORMAT = log_format_choose(os.environ.get("LOG_FORMAT"), debug=DEBUG)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from exc
LOGGING_CONFIG = "core.observability.logs.logging_configure"
LOGGING = logging_config(log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"))

# /metrics answers these networks (CIDRs; the peer address as the web server sees it) and anyone
# presenting `Authorization: Bearer $METRICS_TOKEN`; everyone else gets a 404.
try:
    METRICS_ALLOWED_NETWORKS = [
        str(ipaddress.ip_network(cidr, strict=False))
        for cidr in env_list("METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"])
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {exc}") from exc
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    # Only when configured: the SDK and its integrations load into every process that reads settings.
    from core.observability.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "development" if DEBUG else "production"),
        release=os.environ.get("SENTRY_RELEASE"),
        traces_sample_rate=float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# --- Retention (the purge jobs in config/beat.py; each deletes in bounded batches) ---------------
# Delivered outbox rows (pending, sending and failed rows are never purged).
RETENTION_SENT_NOTIFICATIONS = timedelta(days=env_int("RETENTION_SENT_NOTIFICATIONS_DAYS", 30))
# The inbound e-mail log (every processed message, refused ones included).
RETENTION_INBOUND_EMAILS = timedelta(days=env_int("RETENTION_INBOUND_EMAILS_DAYS", 90))
# Idempotency-Key records; never less than the 24 hours a key is honoured (core/idempotency.py).
RETENTION_IDEMPOTENCY_RECORDS = timedelta(hours=env_int("RETENTION_IDEMPOTENCY_HOURS", 48))
# Rows per DELETE statement, and statements per job run (the rest waits for the next run).
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 1000)
RETENTION_MAX_BATCHES = env_int("RETENTION_MAX_BATCHES", 100)
