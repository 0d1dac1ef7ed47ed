"""Guichet settings, read from the environment (see README "Configuration"). One module for every deployment:
DEBUG=1 gives the developer's defaults; without it the production hardening below applies."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from guichet.env import env_bool, env_int, env_list, env_str, env_tz

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("GUICHET_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef")
else:
    # No default in production. Left empty, it stops what signs or serves (the web server, the worker, the
    # mail receiver, migrate and check: the system check guichet.E001, and guichet.wsgi), with a message
    # naming the variable; commands that need only the database (createtoken, revoketoken) still run, as
    # Django intends (it refuses an empty key only where one is used).
    SECRET_KEY = env_str("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "guichet.ops.errors.csrf_failure"  # the site's 403 page, not Django's bare one

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_htmx",
    "ninja",  # its templates and static files: the API's documentation (/api/v1/docs) served by us, no CDN
    "guichet.audit",
    "guichet.customers",
    "guichet.plans",
    "guichet.tickets",
    "guichet.channels",
    "guichet.contracts",
    "guichet.availability",
    "guichet.billing",
    "guichet.portal",
    "guichet.console",
    "guichet.jobs",
    "guichet.ops",
]

MIDDLEWARE = [
    "guichet.ops.middleware.RequestMiddleware",  # request id, log line, latency metric, 503 without database
    "django.middleware.security.SecurityMiddleware",
    "guichet.ops.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "guichet.customers.middleware.RefuseNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "guichet.customers.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "guichet.urls"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
WSGI_APPLICATION = "guichet.wsgi.application"
AUTH_USER_MODEL = "customers.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "guichet" / "templates"],  # the layout every page extends (base.html)
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

# Database: DATABASE_URL (postgres://user:pass@host:5432/name) or the embedded SQLite file under var/.
_SQLITE_PATH = VAR_DIR / "guichet.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{_SQLITE_PATH}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server read while the worker writes; IMMEDIATE transactions take the write lock up
    # front, so concurrent writers wait (busy timeout) instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Time: stored in UTC; TIME_ZONE is only the default display zone (users and calendars carry their own).
USE_TZ = True
TIME_ZONE = env_tz("TIME_ZONE", "UTC")
# The provider's own zone: months for quotas, claims and invoices are counted in it.
GUICHET_PROVIDER_TIME_ZONE = env_tz("GUICHET_PROVIDER_TIME_ZONE", "Europe/Luxembourg")
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "guichet" / "locale"]

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "guichet" / "static"]  # the style sheet every page uses
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "guichet.staticfiles.AppDirectoriesFinder",  # Django's, without the files of apps we do not serve
]
# Source maps (Swagger UI's: 2 MB) are for a developer's browser tools: kept, not compressed (compressing them
# took most of collectstatic's time at each production start).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = ["map", "jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2"]
WHITENOISE_SKIP_COMPRESS_EXTENSIONS += ["tbz", "xz", "br", "woff", "woff2"]
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root otherwise
GUICHET_ATTACHMENT_MAX_BYTES = env_int("GUICHET_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# The largest mail the SMTP/LMTP receiver accepts (bigger ones are refused with 552 before being stored).
GUICHET_MAIL_MAX_BYTES = env_int("GUICHET_MAIL_MAX_BYTES", 30 * 1024 * 1024)
# The right-hand side of the Message-IDs of the mail Guichet sends (replies are threaded by them).
GUICHET_MAIL_DOMAIN = env_str("GUICHET_MAIL_DOMAIN", "guichet.localhost")
GUICHET_MAIL_SIGNATURE = env_str("GUICHET_MAIL_SIGNATURE", "Support")
# The authserv-id of the provider's own receiving mail server: only its Authentication-Results header (DKIM,
# DMARC) counts; staff mail must be proven by it (or come to a signed reply address), and mail failing DMARC
# is held. Empty: no Authentication-Results header is believed (docs/operations.md, "Mail").
GUICHET_MAIL_AUTHSERV_ID = env_str("GUICHET_MAIL_AUTHSERV_ID", "")
# The key that signs the per-person reply addresses of the mail sent to staff (support+<token>@...); by
# default derived from SECRET_KEY. Changing it voids the reply addresses already sent.
GUICHET_MAIL_REPLY_SECRET = env_str("GUICHET_MAIL_REPLY_SECRET", "")
# A ticket waiting for its customer this many days after our last message gets a reminder (once).
GUICHET_PENDING_REMINDER_DAYS = env_int("GUICHET_PENDING_REMINDER_DAYS", 3)
# Web chat: a conversation becomes a ticket after this many lines or minutes; it ends after this many idle
# minutes.
GUICHET_CHAT_TICKET_AFTER_MESSAGES = env_int("GUICHET_CHAT_TICKET_AFTER_MESSAGES", 10)
GUICHET_CHAT_TICKET_AFTER_MINUTES = env_int("GUICHET_CHAT_TICKET_AFTER_MINUTES", 15)
GUICHET_CHAT_IDLE_MINUTES = env_int("GUICHET_CHAT_IDLE_MINUTES", 30)
# A maintenance window announced to the customers' contacts at least this many hours ahead is not downtime.
GUICHET_MAINTENANCE_NOTICE_HOURS = env_int("GUICHET_MAINTENANCE_NOTICE_HOURS", 48)
# SLA claims are accepted during the first this-many days of a month (provider's time zone), for the month
# before (policy 000).
GUICHET_CLAIM_WINDOW_DAYS = env_int("GUICHET_CLAIM_WINDOW_DAYS", 7)
# The VAT rate of an organisation without a billing profile (percent; Luxembourg's standard rate).
GUICHET_DEFAULT_VAT_RATE = env_str("GUICHET_DEFAULT_VAT_RATE", "17.00")
# The back office's hours (provider's time zone, its country's holidays): management acts are due the next of
# its business days (002: "pris en compte au maximum à J+1").
GUICHET_BACKOFFICE_HOURS = env_str("GUICHET_BACKOFFICE_HOURS", "Mon-Fri 09:00-17:00")
GUICHET_BACKOFFICE_COUNTRY = env_str("GUICHET_BACKOFFICE_COUNTRY", "LU")
# IMAP polling: at most this many messages per mailbox per poll (polls run every minute).
GUICHET_IMAP_BATCH = env_int("GUICHET_IMAP_BATCH", 200)
# WhatsApp Business Cloud API (docs/operations.md). Without an app secret every webhook call is refused.
WHATSAPP_VERIFY_TOKEN = env_str("WHATSAPP_VERIFY_TOKEN", "")
WHATSAPP_APP_SECRET = env_str("WHATSAPP_APP_SECRET", "")
WHATSAPP_ACCESS_TOKEN = env_str("WHATSAPP_ACCESS_TOKEN", "")
WHATSAPP_PHONE_NUMBER_ID = env_str("WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_API_URL = env_str("WHATSAPP_API_URL", "https://graph.facebook.com/v21.0")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Background work: Django's tasks API (django-tasks backport) on the database backend (django-tasks-db).
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# How often the scheduler looks for periodic work that is due (seconds).
GUICHET_SCHEDULER_INTERVAL = env_int("GUICHET_SCHEDULER_INTERVAL", 30)
# Each worker writes a heartbeat this often (seconds); one silent for GUICHET_WORKER_STALE_SECONDS is presumed
# dead and the tasks it was running are queued again (docs/operations.md, "Failures and recovery").
GUICHET_WORKER_HEARTBEAT_SECONDS = env_int("GUICHET_WORKER_HEARTBEAT_SECONDS", 5)
GUICHET_WORKER_STALE_SECONDS = env_int("GUICHET_WORKER_STALE_SECONDS", 60)
# A task is claimed at most this many times (its worker died, or the database went away, each time): then
# it is marked failed instead of being queued again.
GUICHET_TASK_MAX_ATTEMPTS = env_int("GUICHET_TASK_MAX_ATTEMPTS", 5)
# Finished task results older than this many days are pruned by the daily housekeeping job.
GUICHET_TASK_RESULT_RETENTION_DAYS = env_int("GUICHET_TASK_RESULT_RETENTION_DAYS", 14)

# Mail.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
# Used by the file backend that `guichet serve` (make run) picks when no mail server is configured.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "support@guichet.localhost")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# Monitoring (guichet.ops): /metrics answers a bearer token when one is set, else only these addresses.
GUICHET_METRICS_TOKEN = env_str("GUICHET_METRICS_TOKEN", "")
GUICHET_METRICS_ALLOWED_IPS = env_list("GUICHET_METRICS_ALLOWED_IPS", "127.0.0.1,::1")

# Security. Production (DEBUG off) assumes HTTPS in front (a reverse proxy setting X-Forwarded-Proto).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Scripts only from our own static files: escaped text that slipped through could not run (docs/security.md).
GUICHET_CONTENT_SECURITY_POLICY = env_str(
    "GUICHET_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes and scrapes come over plain HTTP from inside the network, not through the TLS proxy.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    # Only for trying the production shape over plain HTTP on one machine (`guichet-production --plain-http`).
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS")

# Logs go to the standard error stream, one line per event. LOG_FORMAT=json (the default in production) writes
# one JSON object per line for a log collector: time, level, logger, message, the request or task id, and
# for each answered request its method, path, route, status, duration_ms and user_id.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT: expected plain or json, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "guichet.ops.context.ContextFilter"},
        "outage": {"()": "guichet.ops.context.DatabaseOutageFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Each request is logged once, by guichet.request; Django's own line for 4xx/5xx would repeat it.
        "django.request": {"level": "ERROR", "filters": ["outage"]},
        "django.server": {"level": "WARNING"},
    },
}

# Sign-in limit (guichet.customers.signin): after this many failed sign-ins for one username, or from one
# address, within the window, sign-ins are refused (429) until the window passes. Counted in the database.
GUICHET_LOGIN_MAX_FAILURES = env_int("GUICHET_LOGIN_MAX_FAILURES", 5)
GUICHET_LOGIN_MAX_FAILURES_PER_IP = env_int("GUICHET_LOGIN_MAX_FAILURES_PER_IP", 20)
GUICHET_LOGIN_WINDOW_MINUTES = env_int("GUICHET_LOGIN_WINDOW_MINUTES", 15)
# A browser that signed in as a user keeps a device cookie for it this long: its own failures count against
# it alone, and the username's lock (from guessers without the cookie) does not apply to it.
GUICHET_LOGIN_DEVICE_COOKIE = env_str("GUICHET_LOGIN_DEVICE_COOKIE", "guichet_device")
GUICHET_LOGIN_DEVICE_DAYS = env_int("GUICHET_LOGIN_DEVICE_DAYS", 180)
# Failed sign-ins stay this many days in the admin's list (Customers and staff, Sign-in failures).
GUICHET_LOGIN_FAILURE_RETENTION_DAYS = env_int("GUICHET_LOGIN_FAILURE_RETENTION_DAYS", 14)
# How many reverse proxies stand in front (each appends to X-Forwarded-For): the client's address is the one
# the outermost of them saw. 0: REMOTE_ADDR. Production runs behind a TLS proxy (docs/operations.md).
GUICHET_TRUSTED_PROXIES = env_int("GUICHET_TRUSTED_PROXIES", 0 if DEBUG else 1)
AUTHENTICATION_BACKENDS = ["guichet.customers.signin.LimitedModelBackend"]
# Password reset links (guichet.customers.reset): at most this many mailed to one address, and this many
# requests from one client address (then 429), within the window.
GUICHET_PASSWORD_RESET_MAX_PER_EMAIL = env_int("GUICHET_PASSWORD_RESET_MAX_PER_EMAIL", 3)
GUICHET_PASSWORD_RESET_MAX_PER_IP = env_int("GUICHET_PASSWORD_RESET_MAX_PER_IP", 10)
GUICHET_PASSWORD_RESET_WINDOW_MINUTES = env_int("GUICHET_PASSWORD_RESET_WINDOW_MINUTES", 60)
