"""Settings, all from the environment; the embedded default needs nothing but Python.

DATABASE_URL            default: SQLite file in the data folder
MEMBERCARD_DATA_DIR     default: ./var of a source checkout, else ~/.local/share/membercard
MEMBERCARD_SECRET_KEY   default: generated on first run and kept in the data folder
MEMBERCARD_CURRENCY     default CNY; MEMBERCARD_CURRENCY_DIGITS default 2
MEMBERCARD_TIME_ZONE    default Asia/Shanghai
MEMBERCARD_DAY_CUTOFF_HOUR  default 4: operations before 04:00 belong to the previous day
MEMBERCARD_DEBUG        default off
MEMBERCARD_API_THROTTLE_PER_KEY / _PER_ADDRESS  default 120 / 300 card reads a minute
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

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
    if not key_file.exists():
        key = secrets.token_urlsafe(50)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
    return key_file.read_text().strip()


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


DATA_DIR = _data_dir()
DATA_DIR.mkdir(parents=True, exist_ok=True)

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
    "membercard.web",
    "membercard.reports",
    "membercard.ops",
    "ninja",
    "membercard.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "membercard.ops.audit.AuditMiddleware",
    "membercard.web.middleware.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
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

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"

MEMBERCARD_CURRENCY = os.environ.get("MEMBERCARD_CURRENCY", "CNY").upper()
MEMBERCARD_CURRENCY_DIGITS = int(os.environ.get("MEMBERCARD_CURRENCY_DIGITS", "2"))
MEMBERCARD_DAY_CUTOFF_HOUR = int(os.environ.get("MEMBERCARD_DAY_CUTOFF_HOUR", "4"))
# Idempotency keys are kept this many days (the API promises at least 7), then purged by the
# daily scheduler after its backup.
MEMBERCARD_IDEMPOTENCY_KEEP_DAYS = max(
    7, int(os.environ.get("MEMBERCARD_IDEMPOTENCY_KEEP_DAYS", "30"))
)
# POS API throttle (card-number guessing): requests per minute to look-ups and card reads,
# per terminal key and per client address; counted in the database, so exact across workers.
MEMBERCARD_API_THROTTLE_PER_KEY = int(os.environ.get("MEMBERCARD_API_THROTTLE_PER_KEY", "120"))
MEMBERCARD_API_THROTTLE_PER_ADDRESS = int(
    os.environ.get("MEMBERCARD_API_THROTTLE_PER_ADDRESS", "300")
)
MEMBERCARD_API_THROTTLE_WINDOW_SECONDS = 60

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MEMBERCARD_LOG_LEVEL", "INFO")},
}
