"""Settings for Custos: one module, driven by the environment (12-factor).

Every deployment knows two variables:

- ``CUSTOS_DATABASE_URL``: ``sqlite:////abs/path/custos.sqlite3`` or
  ``postgres://user@host:5432/name``; default SQLite under the data directory.
- ``CUSTOS_DATA_DIR``: key file, uploads and exports; default ``var/``.

Secrets never live here. The Django secret key comes from
``CUSTOS_SECRET_KEY`` / ``CUSTOS_SECRET_KEY_FILE`` or the file that
``custos init`` writes (mode 0600) in the data directory. ``DEBUG`` is off
unless ``CUSTOS_DEBUG=1``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number") from exc


def env_secret(name: str) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE``."""
    if path := os.environ.get(f"{name}_FILE"):
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name) or None


DATA_DIR = Path(os.environ.get("CUSTOS_DATA_DIR") or BASE_DIR / "var").resolve()
SECRET_KEY_PATH = DATA_DIR / "secret_key"
KEY_FILE_PATH = Path(os.environ.get("CUSTOS_KEY_FILE") or DATA_DIR / "keys" / "kek.key")

# Key provider: "local" (the key file, default) or "pkcs11" (an HSM token; docs/backup-and-restore.md).
CUSTOS_KEY_PROVIDER = os.environ.get("CUSTOS_KEY_PROVIDER", "")  # empty means "local"
CUSTOS_PKCS11_LIBRARY = os.environ.get("CUSTOS_PKCS11_LIBRARY", "")
CUSTOS_PKCS11_TOKEN_LABEL = os.environ.get("CUSTOS_PKCS11_TOKEN_LABEL", "")
CUSTOS_PKCS11_KEY_LABEL = os.environ.get("CUSTOS_PKCS11_KEY_LABEL", "")  # empty means "custos-kek"
CUSTOS_PKCS11_PIN = env_secret("CUSTOS_PKCS11_PIN")  # or CUSTOS_PKCS11_PIN_FILE

_secret = env_secret("CUSTOS_SECRET_KEY")
if _secret is None and SECRET_KEY_PATH.exists():
    _secret = SECRET_KEY_PATH.read_text(encoding="utf-8").strip()
# Empty until `custos init` writes one: Django refuses to serve without it.
SECRET_KEY = _secret or ""

DEBUG = env_bool("CUSTOS_DEBUG")
ALLOWED_HOSTS = [h for h in os.environ.get("CUSTOS_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "govuk_frontend_django",
    "custos.crypto",
    "custos.audit",
    "custos.accounts",
    "custos.register",
    "custos.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "custos.audit.middleware.RequestIdMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "custos.urls"
WSGI_APPLICATION = "custos.wsgi.application"

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
                "custos.web.context_processors.navigation",
            ],
        },
    },
]
FORM_RENDERER = "custos.web.forms.GovukFormRenderer"

_default_db = f"sqlite:///{DATA_DIR / 'custos.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("CUSTOS_DATABASE_URL") or _default_db)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while a writer commits; IMMEDIATE takes the
        # write lock at BEGIN so two writers queue instead of failing;
        # secure_delete overwrites freed pages so erased data does not linger.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA secure_delete=ON;PRAGMA foreign_keys=ON;"
        ),
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("CUSTOS_SESSION_SECONDS", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("CUSTOS_SECURE_COOKIES", not DEBUG and env_bool("CUSTOS_HTTPS"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "build" / "static",
    ("govuk-frontend", BASE_DIR / "node_modules" / "govuk-frontend"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["custos.accounts.api_auth.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Custos API",
    "DESCRIPTION": "The register of police intelligence on people, lawful by construction.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SERVE_AUTHENTICATION": ["custos.accounts.api_auth.ApiTokenAuthentication"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CUSTOS_LOG_LEVEL", "INFO")},
    # Request logging can carry query strings; keep it at warnings only.
    "loggers": {"django.request": {"level": "ERROR"}, "django.server": {"level": "WARNING"}},
}

# Rules of the register that forces may tune.
CUSTOS_MATRIX_PAGE_SIZE = env_int("CUSTOS_MATRIX_PAGE_SIZE", 50)
