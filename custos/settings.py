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
# The erasure ledger: kept with the key material, apart from database backups,
# so a restored backup cannot bring an erased person back (ADR 10).
ERASURE_LEDGER_PATH = Path(os.environ.get("CUSTOS_ERASURE_LEDGER") or KEY_FILE_PATH.parent / "erasure-ledger.jsonl")
# The DLP fingerprint key (keyed hashes of the register for the copy scanner, ADR 11): separate from the
# KEK, so a scanning host holds this key and the fingerprint index but never the KEK.
# How long an erasure waits, on PostgreSQL, for transactions older than it to end before it compacts the key
# table so that no copy of a shredded key stays in the table's file (custos.retention.services).
CUSTOS_ERASURE_COMPACT_WAIT_SECONDS = env_int("CUSTOS_ERASURE_COMPACT_WAIT_SECONDS", 60)
DLP_KEY_PATH = Path(os.environ.get("CUSTOS_DLP_KEY_FILE") or KEY_FILE_PATH.parent / "dlp.key")

# The force named on reports sent out (the Annex 1 progress report); empty means the Metropolitan Police Service.
CUSTOS_FORCE_NAME = os.environ.get("CUSTOS_FORCE_NAME", "")

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
    "django_otp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "custos.crypto",
    "custos.audit",
    "custos.accounts",
    "custos.workers",
    "custos.register",
    "custos.retention",
    "custos.dlp",
    "custos.rights",
    "custos.sharing",
    "custos.oversight",
    "custos.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "custos.web.fail_closed.KeyProviderMiddleware",  # no keys, no request: 503 before anything is read or logged
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "custos.audit.middleware.RequestIdMiddleware",
    "custos.web.fail_closed.AuditFailClosedMiddleware",  # no log, no action: 503 (custos/web/fail_closed.py)
    "django.contrib.messages.middleware.MessageMiddleware",
    "custos.web.middleware.IdleSessionMiddleware",
    "custos.web.middleware.MfaRequiredMiddleware",
    "custos.web.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

# Background work (re-score, retention sweep, scans, reports): the Django Tasks API on django-tasks-db, a queue
# in the database itself (no broker). `custos worker` runs it on any host that reaches the database; a worker
# renews a lease every few seconds, and a task whose worker's lease is older than CUSTOS_WORKER_LEASE_SECONDS is
# put back on the queue by the next worker (docs/deployment.md, "Background workers").
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
CUSTOS_WORKER_LEASE_SECONDS = env_int("CUSTOS_WORKER_LEASE_SECONDS", 30)

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
        "timeout": env_int("CUSTOS_DB_BUSY_TIMEOUT", 30),  # seconds a request waits for another writer, then 503
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA secure_delete=ON;PRAGMA foreign_keys=ON;"
        ),
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Connections: closed after each request unless CUSTOS_DB_CONN_MAX_AGE (seconds) keeps them; a kept connection is
# checked before each request reuses it, so one the database dropped (a restart, a failover) is replaced, not
# answered with an error (docs/deployment.md, "Faults").
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CUSTOS_DB_CONN_MAX_AGE", 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
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
    # A refused fault (database, keys, audit log) is logged in one line by custos.web.fail_closed, no traceback.
    "filters": {"faults": {"()": "custos.web.faultlog.FaultLogFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["faults"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("CUSTOS_LOG_LEVEL", "INFO")},
    # Request logging can carry query strings; keep it at warnings only.
    "loggers": {"django.request": {"level": "ERROR"}, "django.server": {"level": "WARNING"}},
}

# Rules of the register that forces may tune.
CUSTOS_MATRIX_PAGE_SIZE = env_int("CUSTOS_MATRIX_PAGE_SIZE", 50)
# The auditors' suspicious-patterns report flags a user who consulted more people than this in a day.
CUSTOS_AUDIT_DAILY_CONSULTATION_LIMIT = env_int("CUSTOS_AUDIT_DAILY_CONSULTATION_LIMIT", 200)

# Access governance: training, recertification, dormancy, purpose
# (Annex 1 terms 8, 9 and 11; docs/access-governance.md). Periods are in days.
CUSTOS_TRAINING_VALID_DAYS = env_int("CUSTOS_TRAINING_VALID_DAYS", 365)  # default expiry of a course recorded
CUSTOS_TRAINING_WARNING_DAYS = env_int("CUSTOS_TRAINING_WARNING_DAYS", 30)  # "expiring soon" on the training page
CUSTOS_RECERTIFICATION_DAYS = env_int("CUSTOS_RECERTIFICATION_DAYS", 92)  # a SPOC re-attests each user this often
CUSTOS_RECERTIFICATION_GRACE_DAYS = env_int("CUSTOS_RECERTIFICATION_GRACE_DAYS", 14)  # then access_sweep suspends
CUSTOS_DORMANCY_DAYS = env_int("CUSTOS_DORMANCY_DAYS", 60)  # unused (no sign-in, no token use) this long: suspended

# Access security: MFA, lockout, sessions, CSP, OIDC
# (docs/adr/0009-mfa-lockout-and-oidc.md). Every role gives a TOTP code after
# the password (custos.accounts.mfa); custos.web.middleware enforces it.
CUSTOS_MFA_ISSUER = os.environ.get("CUSTOS_MFA_ISSUER", "Custos")  # the name shown in authenticator apps
OTP_TOTP_THROTTLE_FACTOR = env_int("CUSTOS_MFA_THROTTLE_SECONDS", 1)  # wrong codes wait 1, 2, 4, 8 … times this

# Lockout (django-axes): N failed sign-ins or codes for one username from one address lock it for a cool-off.
CUSTOS_LOCKOUT_ATTEMPTS = env_int("CUSTOS_LOCKOUT_ATTEMPTS", 5)
CUSTOS_LOCKOUT_SECONDS = env_int("CUSTOS_LOCKOUT_SECONDS", 30 * 60)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = CUSTOS_LOCKOUT_ATTEMPTS
AXES_COOLOFF_TIME = CUSTOS_LOCKOUT_SECONDS / 3600  # hours, as a float
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = False  # failures are cleared once the second factor passes, not after the password alone
AXES_LOCKOUT_CALLABLE = "custos.web.access_views.locked_out"
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the audit log
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
if isinstance(LOGGING["loggers"], dict):  # lockouts are in the audit log; no line per sign-in
    LOGGING["loggers"]["axes"] = {"level": "WARNING"}
# Behind a reverse proxy, name the header it sets with the client's address (e.g. HTTP_X_FORWARDED_FOR).
AXES_IPWARE_META_PRECEDENCE_ORDER = tuple(
    h for h in [os.environ.get("CUSTOS_CLIENT_IP_HEADER", ""), "REMOTE_ADDR"] if h
)

# Sessions: ended after this long without a request; SESSION_COOKIE_AGE stays the absolute limit.
CUSTOS_SESSION_IDLE_SECONDS = env_int("CUSTOS_SESSION_IDLE_SECONDS", 15 * 60)

# Transport and browser hardening. CUSTOS_HTTPS=1 when served over TLS (cookies are then secure, above).
CUSTOS_HTTPS = env_bool("CUSTOS_HTTPS")
SECURE_SSL_REDIRECT = CUSTOS_HTTPS
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if CUSTOS_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = CUSTOS_HTTPS
# The HSTS "preload" token consents to browsers' built-in HTTPS-only list. Only the owner of the registrable domain
# (the force's, not Custos's host name) can submit it, and leaving the list takes months, so it is an explicit choice:
# CUSTOS_HSTS_PRELOAD=1 once the force has made it. Without it `custos check --deploy` warns (security.W021).
SECURE_HSTS_PRELOAD = CUSTOS_HTTPS and env_bool("CUSTOS_HSTS_PRELOAD")
if env_bool("CUSTOS_BEHIND_PROXY"):  # a TLS-terminating proxy that sets X-Forwarded-Proto
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# (Referrer-Policy, nosniff and X-Frame-Options DENY are set above; Permissions-Policy by custos.web.middleware.)
CUSTOS_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=(), browsing-topics=()"
)
# Content Security Policy (django-csp 4): nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Signing in with the force's identity provider (OpenID Connect), off unless CUSTOS_OIDC_ENABLED=1.
# Accounts and roles stay in Custos: the IdP's claim is matched to an existing user, never creates one.
CUSTOS_OIDC_ENABLED = env_bool("CUSTOS_OIDC_ENABLED")
CUSTOS_OIDC_PROVIDER_NAME = os.environ.get("CUSTOS_OIDC_PROVIDER_NAME", "your force account")
CUSTOS_OIDC_ISSUER = os.environ.get("CUSTOS_OIDC_ISSUER", "")  # when set, the ID token's "iss" must equal it
CUSTOS_OIDC_USERNAME_CLAIM = os.environ.get("CUSTOS_OIDC_USERNAME_CLAIM", "preferred_username")
CUSTOS_OIDC_MATCH_FIELD = os.environ.get("CUSTOS_OIDC_MATCH_FIELD", "username")  # or "email"
CUSTOS_OIDC_TRUST_MFA = env_bool("CUSTOS_OIDC_TRUST_MFA")  # let the IdP's amr/acr stand in for TOTP
CUSTOS_OIDC_MFA_AMR = [v for v in os.environ.get("CUSTOS_OIDC_MFA_AMR", "mfa").split(",") if v]
CUSTOS_OIDC_MFA_ACR = [v for v in os.environ.get("CUSTOS_OIDC_MFA_ACR", "").split(",") if v]
OIDC_RP_CLIENT_ID = os.environ.get("CUSTOS_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_secret("CUSTOS_OIDC_CLIENT_SECRET") or ""  # or CUSTOS_OIDC_CLIENT_SECRET_FILE
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("CUSTOS_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("CUSTOS_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("CUSTOS_OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("CUSTOS_OIDC_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("CUSTOS_OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("CUSTOS_OIDC_SCOPES", "openid email profile")
OIDC_CREATE_USER = False
OIDC_USE_PKCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
LOGIN_REDIRECT_URL_FAILURE = "web:login"
if CUSTOS_OIDC_ENABLED:
    _oidc_missing = [
        name
        for name, value in {
            "CUSTOS_OIDC_CLIENT_ID": OIDC_RP_CLIENT_ID,
            "CUSTOS_OIDC_CLIENT_SECRET": OIDC_RP_CLIENT_SECRET,
            "CUSTOS_OIDC_AUTHORIZATION_ENDPOINT": OIDC_OP_AUTHORIZATION_ENDPOINT,
            "CUSTOS_OIDC_TOKEN_ENDPOINT": OIDC_OP_TOKEN_ENDPOINT,
            "CUSTOS_OIDC_USERINFO_ENDPOINT": OIDC_OP_USER_ENDPOINT,
            "CUSTOS_OIDC_JWKS_ENDPOINT": OIDC_OP_JWKS_ENDPOINT or OIDC_RP_SIGN_ALGO.startswith("HS"),
        }.items()
        if not value
    ]
    if _oidc_missing:
        raise ImproperlyConfigured(f"CUSTOS_OIDC_ENABLED=1 needs {', '.join(_oidc_missing)}")
    AUTHENTICATION_BACKENDS.append("custos.accounts.oidc.CustosOidcBackend")

# Loss prevention: the copy scanner (custos.dlp, docs/dlp.md). A file is reported when it holds the data of at
# least MIN_PEOPLE people of the register, each with MIN_FIELDS corroborating fields (name, alias, date of birth,
# address); a canary or an erased person is reported on its own. Fingerprints of erased people are watched for
# this many days after their erasure (informal lists of people who should no longer be held), then dropped.
CUSTOS_DLP_MIN_PEOPLE = env_int("CUSTOS_DLP_MIN_PEOPLE", 3)
CUSTOS_DLP_MIN_FIELDS = env_int("CUSTOS_DLP_MIN_FIELDS", 2)
CUSTOS_DLP_ERASED_WATCH_DAYS = env_int("CUSTOS_DLP_ERASED_WATCH_DAYS", 730)
CUSTOS_DLP_MAX_FILE_MB = env_int("CUSTOS_DLP_MAX_FILE_MB", 512)  # larger files are reported as unreadable
