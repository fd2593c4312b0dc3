"""Django settings: SQLite (WAL) by default, PostgreSQL when DATABASE_URL says so."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url

DATA_DIR = Path(os.environ.get("FOLLOWUP_DATA", Path.cwd() / "followup-data"))
SECRET_KEY = os.environ.get(
    "FOLLOWUP_SECRET_KEY", "followup-development-key-change-me-in-production"
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
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers work while one writer saves; the init command sets it on every connection.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file, not shared-cache memory, so that concurrent saves wait their turn as in use.
    _test_db = Path(tempfile.gettempdir()) / f"followup-test-{os.getpid()}.sqlite3"
    DATABASES["default"]["TEST"] = {"NAME": str(_test_db)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

EMAIL_BACKEND = os.environ.get(
    "FOLLOWUP_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("FOLLOWUP_FROM_EMAIL", "data-center@followup.invalid")
FOLLOWUP_BASE_URL = os.environ.get("FOLLOWUP_BASE_URL", "http://127.0.0.1:8000")
