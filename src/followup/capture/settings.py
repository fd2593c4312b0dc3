"""Django settings: safe by default, relaxed only for a process that serves loopback alone.

A server reachable from other machines (WSGI, or ``followup serve --host`` other than loopback)
gets secure cookies, HSTS and the redirect to HTTPS, and refuses to start without
``FOLLOWUP_SECRET_KEY``. The ``followup`` command marks its own loopback processes with
``FOLLOWUP_LOCAL=1``; only they may keep a generated key in the data folder (the demo's).
Every setting a deployment changes is an environment variable named in the README.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

DATA_DIR = Path(os.environ.get("FOLLOWUP_DATA", Path.cwd() / "followup-data"))
LOCAL = os.environ.get("FOLLOWUP_LOCAL", "") == "1"
DEMO_KEY_FILE = DATA_DIR / "secret-key.local"


def _local_key() -> str:
    """The data folder's own random key, made on first use (loopback processes only)."""
    if DEMO_KEY_FILE.exists():
        return DEMO_KEY_FILE.read_text(encoding="ascii").strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    descriptor = os.open(DEMO_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


SECRET_KEY_FROM_ENVIRONMENT = bool(os.environ.get("FOLLOWUP_SECRET_KEY"))
if SECRET_KEY_FROM_ENVIRONMENT:
    SECRET_KEY = os.environ["FOLLOWUP_SECRET_KEY"]
elif LOCAL:
    SECRET_KEY = _local_key()
else:
    raise ImproperlyConfigured(
        "FOLLOWUP_SECRET_KEY is not set. A server others can reach needs its own secret key: "
        "set FOLLOWUP_SECRET_KEY to a long random text, for example the output of "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))', and keep it private."
    )
DEBUG = os.environ.get("FOLLOWUP_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get(
    "FOLLOWUP_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver"
).split(",")

INSTALLED_APPS = [
    "followup.capture.apps.CaptureConfig",  # first: its sign-in pages replace the admin's
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "followup.capture.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]
ROOT_URLCONF = "followup.capture.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "followup.capture.access.role_context",
            ]
        },
    }
]
WSGI_APPLICATION = "followup.capture.wsgi.application"

_default = f"sqlite:///{DATA_DIR / 'followup.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default), conn_max_age=0)
}
# SQLite's durability: FULL syncs the write-ahead log at every commit, so an acknowledged save
# survives a power loss too (NORMAL survives a killed process, not a power cut). The cost is
# measured in benchmarks/sqlite_durability.py; FOLLOWUP_SQLITE_SYNCHRONOUS=NORMAL trades it back.
SQLITE_SYNCHRONOUS = os.environ.get("FOLLOWUP_SQLITE_SYNCHRONOUS", "FULL").upper()
if SQLITE_SYNCHRONOUS not in ("FULL", "NORMAL", "EXTRA"):
    raise ImproperlyConfigured("FOLLOWUP_SQLITE_SYNCHRONOUS must be FULL, EXTRA or NORMAL")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers work while one writer saves; the init command sets it on every connection.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": f"PRAGMA journal_mode=WAL; PRAGMA synchronous={SQLITE_SYNCHRONOUS};",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file, not shared-cache memory, so that concurrent saves wait their turn as in use.
    _test_db = Path(tempfile.gettempdir()) / f"followup-test-{os.getpid()}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": str(_test_db)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Sign-in: Argon2 hashes; django-axes locks a user name, and separately an address, after
# FOLLOWUP_SIGNIN_FAILURES wrong passwords within FOLLOWUP_LOCKOUT_MINUTES, for that long.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
AXES_FAILURE_LIMIT = int(os.environ.get("FOLLOWUP_SIGNIN_FAILURES", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("FOLLOWUP_LOCKOUT_MINUTES", "30")) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False  # a success elsewhere from one address must not clear its count
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("FOLLOWUP_PROXY_COUNT", "0")) or None

# REDCap's API clients post one field per variable (PyCap: fields[0], fields[1] …) and records as
# one form value: a project of thousands of fields, or an import of a few thousand records, must
# fit. Django's defaults (1,000 fields, 2.5 MB) would refuse them; past these limits: a 413.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 32 * 1024 * 1024

CSRF_FAILURE_VIEW = "followup.capture.errors.csrf_failure"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after FOLLOWUP_IDLE_MINUTES without a request (every request renews the cookie).
SESSION_COOKIE_AGE = int(float(os.environ.get("FOLLOWUP_IDLE_MINUTES", "30")) * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Reachable from other machines: HTTPS only (a TLS proxy in front sets X-Forwarded-Proto).
HTTPS_ONLY = not LOCAL
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS_ONLY
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = HTTPS_ONLY
if HTTPS_ONLY and os.environ.get("FOLLOWUP_PROXY_COUNT"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The pages load only their own script and style; the report's figures are data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語")]
LOCALE_PATHS = [Path(__file__).parent / "locale"]
TIME_ZONE = os.environ.get("FOLLOWUP_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

EMAIL_BACKEND = os.environ.get(
    "FOLLOWUP_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("FOLLOWUP_FROM_EMAIL", "data-center@followup.invalid")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in e-mails: FOLLOWUP_BASE_URL when set; otherwise the address the request came to.
FOLLOWUP_BASE_URL = os.environ.get("FOLLOWUP_BASE_URL", "")

# Errors with their cause on stderr (Django logs nothing there by default when DEBUG is off).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "followup": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "axes": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}
