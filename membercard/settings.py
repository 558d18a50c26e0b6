"""Settings, all from the environment; the embedded default needs nothing but Python.

DATABASE_URL            default: SQLite file in the data folder
MEMBERCARD_DATA_DIR     default: ./var of a source checkout, else ~/.local/share/membercard
MEMBERCARD_SECRET_KEY   default: generated on first run and kept in the data folder
MEMBERCARD_CURRENCY     default CNY; MEMBERCARD_CURRENCY_DIGITS default 2
MEMBERCARD_TIME_ZONE    default Asia/Shanghai
MEMBERCARD_DAY_CUTOFF_HOUR  default 4: operations before 04:00 belong to the previous day
MEMBERCARD_DEBUG        default off
MEMBERCARD_SIGNIN_FAILURE_LIMIT default 5 failed sign-ins per username (per client address:
                        MEMBERCARD_SIGNIN_ADDRESS_FAILURE_LIMIT, default 20), then locked
                        MEMBERCARD_SIGNIN_LOCKOUT_MINUTES (default 30; 0: until unlocked)
MEMBERCARD_IDLE_MINUTES default 30 (back office); MEMBERCARD_COUNTER_IDLE_MINUTES default 480
                        (store cashiers); MEMBERCARD_SESSION_HOURS default 12
MEMBERCARD_OTP_ISSUER   default membercard: the name authenticator apps show
MEMBERCARD_HTTPS        default off: served over HTTPS (Secure cookies, HSTS, redirect to https)
MEMBERCARD_LOOKUP_THROTTLE_PER_KEY / _PER_STAFF / _PER_ADDRESS  default 120 / 60 / 300
                        card look-ups a minute; MEMBERCARD_LOOKUP_MISS_ALERT default 20 a day
MEMBERCARD_COUNTER_REFUND_LIMIT default 10000 minor units: the default refund threshold; a
                        cashier or terminal refunds less than this of a purchase of the open
                        day by itself (more: a manager approves; HQ may set another)
MEMBERCARD_APPROVAL_ADJUSTMENT_THRESHOLD default 0 (every value adjustment needs a second
                        person); MEMBERCARD_APPROVAL_POINTS_ADJUSTMENT_THRESHOLD default 0;
                        MEMBERCARD_APPROVAL_HQ_TOP_UP_THRESHOLD default 100000 minor units;
                        MEMBERCARD_APPROVAL_LIFETIME_HOURS default 48 (until set at
                        /hq/approval-thresholds/, itself under four eyes)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from membercard.core import files

PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir() -> Path:
    if os.environ.get("MEMBERCARD_DATA_DIR"):
        return Path(os.environ["MEMBERCARD_DATA_DIR"]).expanduser().resolve()
    checkout = PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").exists():
        return checkout / "var"
    return Path.home() / ".local" / "share" / "membercard"


def _secret_key(data_dir: Path) -> str:
    """The secret key: from the environment, else generated once and kept (mode 0600)."""
    if os.environ.get("MEMBERCARD_SECRET_KEY"):
        return os.environ["MEMBERCARD_SECRET_KEY"]
    key_file = data_dir / "secret_key"
    files.private_file(key_file)  # one left readable by an older version is tightened
    if not key_file.exists():
        key = secrets.token_urlsafe(50)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
    return key_file.read_text().strip()


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


DATA_DIR = _data_dir()
files.private_dir(DATA_DIR)  # 0700: the database, secret key and backups live here

SECRET_KEY = _secret_key(DATA_DIR)
DEBUG = _flag("MEMBERCARD_DEBUG")
# Behind a reverse proxy: take the client's address from its X-Forwarded-For (audit log,
# API throttle). Only when every request comes through that proxy.
MEMBERCARD_TRUSTED_PROXY = _flag("MEMBERCARD_TRUSTED_PROXY")
ALLOWED_HOSTS = os.environ.get("MEMBERCARD_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "membercard.core",
    "membercard.loyalty",
    "membercard.cards",
    "membercard.inventory",
    "membercard.ledger",
    "membercard.days",
    "membercard.approvals",
    "membercard.web",
    "membercard.reports",
    "membercard.ops",
    "ninja",
    "membercard.api",
    "csp",
    # Staff sign-in: lockout (axes) and the second factor (django-otp: TOTP, recovery codes).
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "membercard.web.cache.NoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "membercard.web.middleware_input.RejectNulMiddleware",  # NUL in any input: 400
    # The database down or failing mid-request: 503 outcome unknown, never a 500 (outside
    # every middleware that uses the database).
    "membercard.web.middleware_errors.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "membercard.ops.audit.AuditMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "membercard.web.middleware_security.IdleTimeoutMiddleware",
    "membercard.web.middleware_security.SecondFactorMiddleware",
    # A bank card swiped into any field: refused before a view or a sign-in backend sees it.
    "membercard.web.middleware_input.RefuseBankCardMiddleware",
    "membercard.web.middleware.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into its page
]

ROOT_URLCONF = "membercard.urls"
WSGI_APPLICATION = "membercard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "membercard.web.context.staff",
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'membercard.sqlite3'}"
    db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["CONN_MAX_AGE"] = 0
        db["OPTIONS"] = {
            # Writers take the lock when the transaction starts, so two business
            # operations never deadlock upgrading a read lock; commits are durable.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            ),
        }
        db["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    return db


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.Staff"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
_VALIDATION = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATION}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATION}.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": f"{_VALIDATION}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATION}.NumericPasswordValidator"},
]
# Axes first: it refuses a locked-out username or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "membercard.web.middleware_security.SignInLockBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in lockout (django-axes, counted in the database: exact across workers, no cache).
# Failed sign-ins per username before that username is locked.
AXES_FAILURE_LIMIT = int(os.environ.get("MEMBERCARD_SIGNIN_FAILURE_LIMIT", "5"))
# A client address has a limit of its own: a store's tills often share one address.
MEMBERCARD_SIGNIN_ADDRESS_FAILURE_LIMIT = max(
    AXES_FAILURE_LIMIT, int(os.environ.get("MEMBERCARD_SIGNIN_ADDRESS_FAILURE_LIMIT", "20"))
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Minutes a lock lasts by itself; 0: until an HQ admin unlocks it (/hq/sign-in/).
_LOCK_MINUTES = int(os.environ.get("MEMBERCARD_SIGNIN_LOCKOUT_MINUTES", "30"))
AXES_COOLOFF_TIME = _LOCK_MINUTES / 60 if _LOCK_MINUTES > 0 else None  # hours
# Not reset by a success: an insider's own sign-ins from one address would wipe the count.
AXES_RESET_ON_SUCCESS = False
AXES_HANDLER = "membercard.web.middleware_security.SignInAttempts"
AXES_CLIENT_IP_CALLABLE = "membercard.core.http.client_address"  # the one address rule
# A swiped card typed into the username is masked before axes stores or compares it.
AXES_USERNAME_CALLABLE = "membercard.web.middleware_security.signin_username"
AXES_LOCKOUT_TEMPLATE = "web/account/locked.html"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit log already
AXES_VERBOSE = False
# The second factor (TOTP): the issuer name authenticator apps show beside the account.
OTP_TOTP_ISSUER = os.environ.get("MEMBERCARD_OTP_ISSUER", "membercard")
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
# One catalogue for the whole product (``make messages`` refreshes it; the .mo is committed
# so a fresh machine needs no gettext tools).
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("MEMBERCARD_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"  # filled by `membercard serve` (collectstatic)
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns at start-up when it is missing
# Uploaded files (gift pictures); served by the front web server in production.
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
# Like every file in the data folder, readable by the service user only (Django's default
# would be 0644); the app's media view (membercard/urls.py) serves them.
FILE_UPLOAD_PERMISSIONS = files.FILE_MODE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = files.DIR_MODE

SESSION_COOKIE_HTTPONLY = True
# A session ends after this many hours whatever happens, and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("MEMBERCARD_SESSION_HOURS", "12")) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Idle timeout: minutes without a request before the session ends (back office and HQ) ...
MEMBERCARD_IDLE_MINUTES = int(os.environ.get("MEMBERCARD_IDLE_MINUTES", "30"))
# ... and for store cashiers, whose counter stays open through a shift.
MEMBERCARD_COUNTER_IDLE_MINUTES = int(os.environ.get("MEMBERCARD_COUNTER_IDLE_MINUTES", "480"))
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

# Security headers. Always on: no MIME sniffing, no referrer to other sites, a window of
# ours shares no browsing context with a page that opened it.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# MEMBERCARD_HTTPS: the site is served over HTTPS (TLS on gunicorn, or on a proxy in front
# with MEMBERCARD_TRUSTED_PROXY on). Off by default so `make run` works on plain http://.
MEMBERCARD_HTTPS = _flag("MEMBERCARD_HTTPS")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = MEMBERCARD_HTTPS
SECURE_SSL_REDIRECT = MEMBERCARD_HTTPS
# A load balancer's health probe talks plain HTTP to the server behind it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS for a year, subdomains included. Not preloaded: the browsers' preload list is a
# one-way, domain-wide commitment the merchant's IT makes for its domain, not this app.
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if MEMBERCARD_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = MEMBERCARD_HTTPS
SECURE_HSTS_PRELOAD = False
SILENCED_SYSTEM_CHECKS = ["security.W021"]  # HSTS preload: see above
# Only a trusted proxy's X-Forwarded-Proto may say the request came over HTTPS (the proxy
# must set it, overwriting what the client sent).
if MEMBERCARD_TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy (django-csp) on every response: our own scripts, styles and
# images only; no inline script or style, no eval, no plugins, no framing, forms post here.
# Django's admin and the API docs (django-ninja's self-hosted Swagger UI) need no exception
# (tests/browser/test_csp.py). htmx runs with allowEval and its inline styles off (base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

MEMBERCARD_CURRENCY = os.environ.get("MEMBERCARD_CURRENCY", "CNY").upper()
MEMBERCARD_CURRENCY_DIGITS = int(os.environ.get("MEMBERCARD_CURRENCY_DIGITS", "2"))
MEMBERCARD_DAY_CUTOFF_HOUR = int(os.environ.get("MEMBERCARD_DAY_CUTOFF_HOUR", "4"))
# Idempotency keys are kept this many days (the API promises at least 7), then purged by the
# daily scheduler after its backup.
MEMBERCARD_IDEMPOTENCY_KEEP_DAYS = max(
    7, int(os.environ.get("MEMBERCARD_IDEMPOTENCY_KEEP_DAYS", "30"))
)
# The one card look-up throttle (card-number guessing; API and counter pages alike, in
# cards/lookups.py): look-ups a minute, counted in the database, so exact across workers.
# Per POS terminal key (env MEMBERCARD_LOOKUP_THROTTLE_PER_KEY; the old API name works too).
MEMBERCARD_API_THROTTLE_PER_KEY = int(
    os.environ.get(
        "MEMBERCARD_LOOKUP_THROTTLE_PER_KEY",
        os.environ.get("MEMBERCARD_API_THROTTLE_PER_KEY", "120"),
    )
)
# Per client address, tills and counter browsers together (env
# MEMBERCARD_LOOKUP_THROTTLE_PER_ADDRESS; the old API name works too).
MEMBERCARD_API_THROTTLE_PER_ADDRESS = int(
    os.environ.get(
        "MEMBERCARD_LOOKUP_THROTTLE_PER_ADDRESS",
        os.environ.get("MEMBERCARD_API_THROTTLE_PER_ADDRESS", "300"),
    )
)
# Per staff member at the counter (every session of that staff member together).
MEMBERCARD_LOOKUP_THROTTLE_PER_STAFF = int(
    os.environ.get("MEMBERCARD_LOOKUP_THROTTLE_PER_STAFF", "60")
)
MEMBERCARD_LOOKUP_THROTTLE_WINDOW_SECONDS = 60
MEMBERCARD_API_THROTTLE_WINDOW_SECONDS = MEMBERCARD_LOOKUP_THROTTLE_WINDOW_SECONDS  # old name
# Misses a day (no such card, not theirs, mistyped) after which a key or staff member is
# flagged to HQ on the back office's home page.
MEMBERCARD_LOOKUP_MISS_ALERT = int(os.environ.get("MEMBERCARD_LOOKUP_MISS_ALERT", "20"))
# The counter refund rule (core/permissions.py, Action.REFUND): a cashier or a POS terminal may
# refund a purchase of the open business day up to this much in all (minor units); anything
# else needs a store manager (or HQ admin/finance).
MEMBERCARD_COUNTER_REFUND_LIMIT = int(os.environ.get("MEMBERCARD_COUNTER_REFUND_LIMIT", "10000"))

# Four eyes (membercard.approvals): the thresholds until HQ sets its own on the page
# /hq/approval-thresholds/ (a change is itself approved by a second person). At or above a
# threshold an action waits for approval: adjustments (0: all of them, in minor units; points
# adjustments in points), top-ups at HQ (minor units); a request expires after the lifetime.
MEMBERCARD_APPROVAL_ADJUSTMENT_THRESHOLD = int(
    os.environ.get("MEMBERCARD_APPROVAL_ADJUSTMENT_THRESHOLD", "0")
)
MEMBERCARD_APPROVAL_POINTS_ADJUSTMENT_THRESHOLD = int(
    os.environ.get("MEMBERCARD_APPROVAL_POINTS_ADJUSTMENT_THRESHOLD", "0")
)
MEMBERCARD_APPROVAL_HQ_TOP_UP_THRESHOLD = int(
    os.environ.get("MEMBERCARD_APPROVAL_HQ_TOP_UP_THRESHOLD", "100000")
)
MEMBERCARD_APPROVAL_LIFETIME_HOURS = int(os.environ.get("MEMBERCARD_APPROVAL_LIFETIME_HOURS", "48"))

# Every handler runs the card-data filter (membercard.core.redaction): track data and bank-card
# numbers are removed, our card numbers masked to their last four, in every log line. Django's
# own loggers are redefined here because its default handlers (console, mail_admins,
# django.server) would otherwise stay attached and bypass the filter. ``membercard serve``
# applies the same filter to gunicorn's access and error logs.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"card_data": {"()": "membercard.core.redaction.CardDataFilter"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["card_data"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["card_data"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("MEMBERCARD_LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": ["django.server"], "propagate": False},
    },
}
