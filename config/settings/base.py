"""Settings shared by every environment. Everything a deployment changes comes from the
environment (or a ``.env`` file next to manage.py), with defaults that are safe for a laptop:
SQLite and an embedded Celery broker (a SQLite file) under ``var/``, no external provider
switched on."""

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import environ
from django_guid.integrations import CeleryIntegration

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("SETTLE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "config.apps.SettleAdminConfig",  # django.contrib.admin, for superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "anymail",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "csp",
    "django_guid",
    "people",  # each user's own settings (time zone, language), display names
    "clients",
    "receivables",
    "reminders",
    "answers",
    "work",
    "escalation",
    "checkout",
    "portal",
    "desk",
    "insights",
    "configure",
    "transfer",
    "api",
    "config.apps.WiringConfig",  # the deployment checks (config/checks.py)
]

MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",  # a request id for every log line
    "infra.http.RequestSizeLimitMiddleware",  # 413 for a body above the cap, before reading
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # 400 for NUL and other control characters in the path, a query or a form field
    "infra.text.RejectControlCharacters",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "people.middleware.UserSettingsMiddleware",  # the user's time zone (and language) applied
    "infra.http.PrivateCacheMiddleware",  # Cache-Control: private, no-store when signed in
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the "locked out" page
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.integrations",
                "config.context_processors.roles",
                "config.context_processors.payment_feed",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'settle.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# A Unix-socket directory arrives percent-encoded (postgres://app@%2Ftmp%2Fpg:5432/db).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST", ""))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE transactions take the
    # write lock up front, so two writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Logins are throttled by django-axes: after AXES_FAILURE_LIMIT wrong passwords for one
# username from one address, that pair is locked out for AXES_COOLOFF_MINUTES (429 page); after
# AXES_ADDRESS_FAILURE_LIMIT wrong passwords from one address across all usernames (password
# spraying), the whole address is (infra.lockout: a success resets only its own username).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend",
                           "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=30)
AXES_HANDLER = "infra.lockout.SettleAxesHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "infra.security.client_ip"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "desk:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The cache holds the pay-now pages' rate-limit counters: per process by default; set
# CACHE_URL=redis://... in production so every web worker counts together (`check --deploy`
# fails while the cache is process-local: config/checks.py).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://settle")}

# --- Request size: refused before the body is read -------------------------------------------
# A request declaring a body above SETTLE_MAX_REQUEST_MB gets 413 from infra.http before anything
# reads it (the largest legitimate body is a 20 MB import file in its multipart envelope).
# Put the same limit in the proxy (nginx: client_max_body_size 21m), which also refuses
# bodies sent without a length.
SETTLE_MAX_REQUEST_BYTES = env.int("SETTLE_MAX_REQUEST_MB", default=21) * 1024 * 1024
# Form fields (everything but files) held in memory, and how many; a file above
# FILE_UPLOAD_MAX_MEMORY_SIZE is streamed to a temporary file instead of memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)

# --- Settle ---------------------------------------------------------------------------------
# Pay-now pages: requests allowed per client IP and per link (django-ratelimit rates).
SETTLE_PORTAL_RATE_PER_IP = env.str("SETTLE_PORTAL_RATE_PER_IP", default="120/m")
SETTLE_PORTAL_RATE_PER_TOKEN = env.str("SETTLE_PORTAL_RATE_PER_TOKEN", default="60/m")
# Behind a reverse proxy, the header holding the client's address (e.g. HTTP_X_REAL_IP).
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="REMOTE_ADDR")
SETTLE_BUSINESS_NAME = env.str("SETTLE_BUSINESS_NAME", default="Settle Demo Ltd")
# The sender block of letters (lines separated by "\n" or "|") and the number HELP replies give.
SETTLE_BUSINESS_ADDRESS = env.str("SETTLE_BUSINESS_ADDRESS",
                                  default="Musterstraße 1|10115 Berlin").replace("|", "\n")
SETTLE_SUPPORT_PHONE = env.str("SETTLE_SUPPORT_PHONE", default="")
SETTLE_DEFAULT_CURRENCY = env.str("SETTLE_DEFAULT_CURRENCY", default="EUR")
SETTLE_DEFAULT_COUNTRY = env.str("SETTLE_DEFAULT_COUNTRY", default="DE")
SETTLE_DEFAULT_TIMEZONE = env.str("SETTLE_DEFAULT_TIMEZONE", default="Europe/Berlin")
# Printed in every reminder; {reference} becomes the invoice number(s) to quote.
# Reply-To of reminder e-mails: the address the ESP's inbound webhook receives (replies come
# back to the client's timeline); empty: the client owner's mailbox.
SETTLE_REPLY_TO = env.str("SETTLE_REPLY_TO", default="")
SETTLE_PAYMENT_INSTRUCTIONS = env.str(
    "SETTLE_PAYMENT_INSTRUCTIONS",
    default="Bank transfer to IBAN DE89 3704 0044 0532 0130 00 (BIC COBADEFFXXX), "
            "reference {reference}.")
# Reminders go out at most once a day per client, inside these local business hours.
SETTLE_BUSINESS_HOURS = (env.str("SETTLE_BUSINESS_START", default="09:00"),
                         env.str("SETTLE_BUSINESS_END", default="17:00"))

# --- Celery: the broker only wakes workers up; the database holds every reminder -----------
# Without CELERY_BROKER_URL, the embedded broker: kombu's SQLAlchemy transport on a SQLite file
# of its own under var/ (config/broker.py). Every message is written and taken in a
# transaction, so a crash or a race can never leave half a message (the filesystem transport
# could, and killed the worker).
# Production sets CELERY_BROKER_URL to Redis.
CELERY_BROKER_FILE = VAR_DIR / "broker.sqlite3"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL",
                            default=f"embedded+sqlite:///{CELERY_BROKER_FILE}")
if CELERY_BROKER_URL.startswith("embedded+sqlite"):
    # The transport passes these to SQLAlchemy's create_engine(): wait up to 30 s for another
    # process's write instead of failing with "database is locked".
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"connect_args": {"timeout": 30}}
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
SETTLE_TICK_SECONDS = env.int("SETTLE_TICK_SECONDS", default=300)
# A reminder claimed longer ago than this belongs to a worker that died: claimed rows go back
# to the queue, rows caught mid-send go to review.
SETTLE_STALE_CLAIM_SECONDS = env.int("SETTLE_STALE_CLAIM_SECONDS", default=600)
# Dispatch fans out: each tick plans, then hands the due clients to the workers in chunks of
# SETTLE_DISPATCH_CHUNK clients (a Celery task each; any number of workers on any number of
# machines drain them). Off (false), the tick dispatches in its own process, as cron does.
SETTLE_DISPATCH_FANOUT = env.bool("SETTLE_DISPATCH_FANOUT", default=True)
SETTLE_DISPATCH_CHUNK = env.int("SETTLE_DISPATCH_CHUNK", default=50)
# Provider calls are I/O: a worker makes up to this many at once (email and SMS; letters go
# to the print queue in order), each message still sending -> sent once.
SETTLE_SEND_CONCURRENCY = env.int("SETTLE_SEND_CONCURRENCY", default=8)
# Messages per second per channel and worker process (0 = no limit): set it to the
# provider's rate divided by the number of worker processes. A provider's 429 pauses the
# channel for its Retry-After and reschedules what was not sent.
SETTLE_SEND_RATE = {"email": env.float("SETTLE_EMAIL_RATE", default=0.0),
                    "sms": env.float("SETTLE_SMS_RATE", default=0.0)}
# What a provider took is recorded even through a database outage this long (retried with
# back-off); after it, the rows are left in review for a person.
SETTLE_RECORD_RETRY_SECONDS = env.int("SETTLE_RECORD_RETRY_SECONDS", default=120)
CELERY_BEAT_SCHEDULE = {
    "scheduler-tick": {
        "task": "reminders.tasks.scheduler_tick",
        "schedule": float(SETTLE_TICK_SECONDS),
        # A tick that waited longer than a tick is stale: the next one does its work.
        "options": {"expires": float(SETTLE_TICK_SECONDS)},
    },
    # Imports whose wake-up message or worker was lost are woken again (transfer app).
    "transfer-recover-imports": {
        "task": "transfer.tasks.recover_import_jobs",
        "schedule": 60.0,
        "options": {"expires": 60.0},
    },
}

# --- Email: an ESP through django-anymail when configured, else a local file store ----------
# ESP=postmark|mailgun|sendgrid|amazon_ses|brevo|... picks anymail's backend; its credentials
# come from ANYMAIL_* variables (ANYMAIL_POSTMARK_SERVER_TOKEN=... becomes
# ANYMAIL["POSTMARK_SERVER_TOKEN"]). Without ESP, mail is kept locally and nothing leaves.
# `manage.py check` refuses an unknown ESP, missing credentials or a missing extra
# (config/checks.py: ESPS; the README's ESP table, docs/EMAIL.md).
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Settle <billing@settle.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ESP = env.str("ESP", default="").strip().lower()
ANYMAIL = {key.removeprefix("ANYMAIL_"): value for key, value in env.ENVIRON.items()
           if key.startswith("ANYMAIL_")}
if ESP:
    EMAIL_BACKEND = f"anymail.backends.{ESP}.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "sent-mail"

# --- Twilio (SMS) and Stripe (online payment): off unless configured ----------------------
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")

# --- Security headers: a Content-Security-Policy without 'unsafe-inline' on every page -------
# No inline scripts or styles anywhere; the pay-now pages send a stricter policy of their own
# (no scripts at all); the sandboxed email previews alone allow the inline styles emails need.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'self'"],
        "frame-src": ["'self'"],
        "form-action": ["'self'", "https://checkout.stripe.com"],
    },
}

# --- Logs: one line per event with the request id (Correlation-ID header, echoed back) -------
# LOG_FORMAT=json (the production default) writes JSON objects for a log shipper.
# A task queued while serving a request logs under that request's id.
DJANGO_GUID = {"GUID_HEADER_NAME": "X-Request-ID", "IGNORE_URLS": ["healthz"],
               "INTEGRATIONS": [CeleryIntegration(use_django_logging=True)]}
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING: dict[str, Any] = {  # production.py sets the level and formatter in place
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "django_guid.log_filters.CorrelationId",
                               "correlation_id_field": "request_id"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
                 "rename_fields": {"asctime": "time", "levelname": "level",
                                   "name": "logger"}},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint narrates every rendering step at INFO; its warnings still show.
    # django_guid notes every request without an incoming id at INFO.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "weasyprint.progress",
                                                         "fontTools", "django_guid")},
}

# --- REST API (/api/v1/): token per user, Bookkeeper role, JSON, pages of 50 ----------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.tokens.HashedTokenAuthentication",  # stored as SHA-256, with expiry and scope
        "rest_framework.authentication.SessionAuthentication",  # a logged-in browser
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsBookkeeper"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # JSON only: DRF's browsable pages need inline styles the CSP refuses; /api/docs/ and the
    # OpenAPI schema document the API instead.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.ApiPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle",
                                 "rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env.str("SETTLE_API_RATE_ANON", default="60/hour"),
                               "user": env.str("SETTLE_API_RATE_USER", default="1000/hour")},
    "COERCE_DECIMAL_TO_STRING": True,
}
# API tokens: valid this many days unless their owner picks otherwise (at most the maximum).
SETTLE_API_TOKEN_DAYS = env.int("SETTLE_API_TOKEN_DAYS", default=90)
SETTLE_API_TOKEN_MAX_DAYS = env.int("SETTLE_API_TOKEN_MAX_DAYS", default=365)
# A POST's Idempotency-Key (and the response it replays) is kept this long.
SETTLE_API_IDEMPOTENCY_HOURS = env.int("SETTLE_API_IDEMPOTENCY_HOURS", default=24)
SPECTACULAR_SETTINGS = {
    "TITLE": "Settle API",
    "DESCRIPTION": "Clients, invoices, payments, reminders and the timeline of Settle, for an "
                   "accounting system that pushes invoices and payments as they happen. "
                   "Authenticate with `Authorization: Token <token>`; amounts are decimal "
                   "strings; every POST accepts an Idempotency-Key header. See docs/API.md.",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["api.permissions.IsBookkeeper"],
    "SERVE_AUTHENTICATION": ["api.tokens.HashedTokenAuthentication",
                             "rest_framework.authentication.SessionAuthentication"],
    "COMPONENT_SPLIT_REQUEST": True,
}
