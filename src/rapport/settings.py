"""Rapport's one settings module, configured by environment variables (12-factor)."""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent

env = environ.Env()
environ.Env.read_env(PROJECT_DIR / ".env", overwrite=False)

DEBUG = env.bool("RAPPORT_DEBUG", default=False)
SECRET_KEY = env.str("RAPPORT_SECRET_KEY", default="dev-only-insecure-key-change-me-in-production")
ALLOWED_HOSTS = env.list("RAPPORT_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("RAPPORT_CSRF_TRUSTED_ORIGINS", default=[])

VAR_DIR = Path(env.str("RAPPORT_VAR_DIR", default=str(PROJECT_DIR / "var")))
# The most one uploaded file may have; past it the upload is dropped as it arrives.
RAPPORT_UPLOAD_MAX_BYTES = env.int("RAPPORT_UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = ["rapport.core.uploads.BoundedUploadHandler"]
VAR_DIR.mkdir(parents=True, exist_ok=True)  # a fresh clone has none; SQLite needs it

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "simple_history",
    "treebeard",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "rapport.core",
    "rapport.accounts",
    "rapport.interactions",
    "rapport.memory",
    "rapport.valuation",
    "rapport.needs",
    "rapport.transfer",
    "rapport.offers",
    "rapport.resolution",
    "rapport.portal",
    "rapport.demo",
    "rapport.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "rapport.core.middleware.ApplicationErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rapport.urls"
WSGI_APPLICATION = "rapport.wsgi.application"

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
                "rapport.web.context_processors.navigation",
                "rapport.web.context_processors.capabilities",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'rapport.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while one writer commits; IMMEDIATE avoids
    # "database is locked" upgrades inside write transactions.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            " PRAGMA foreign_keys=ON; PRAGMA cache_size=-64000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": ""}  # in-memory test database
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Lockout locks the attacker, not the office: ten bad passwords lock that (user, address)
# pair; a far higher limit per address stops one machine guessing across many users.
AXES_FAILURE_LIMIT = env.int("RAPPORT_LOCKOUT_LIMIT", default=10)
RAPPORT_LOCKOUT_ADDRESS_LIMIT = env.int("RAPPORT_LOCKOUT_ADDRESS_LIMIT", default=100)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("RAPPORT_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_HANDLER = "rapport.core.auth.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "rapport.web.views.lockout_response"
# The client's address: REMOTE_ADDR unless the deployment says how many reverse proxies
# it trusts in front of Rapport (see core.auth.client_address).
RAPPORT_TRUSTED_PROXY_COUNT = env.int("RAPPORT_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "rapport.core.auth.client_address"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("RAPPORT_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("RAPPORT_MANIFEST_STATIC", default=False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("RAPPORT_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# HTTPS in production (docs/operations.md): off by default so `make run` works over http.
SECURE_SSL_REDIRECT = env.bool("RAPPORT_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("RAPPORT_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("RAPPORT_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("RAPPORT_HSTS_PRELOAD", default=False)
# Behind a TLS-terminating proxy that sets e.g. X-Forwarded-Proto: "HTTP_X_FORWARDED_PROTO,https".
_proxy_ssl_header = env.list("RAPPORT_PROXY_SSL_HEADER", default=[])
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) if len(_proxy_ssl_header) == 2 else None

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

TASKS = {
    "default": {
        "BACKEND": env.str("RAPPORT_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

# A running run whose heartbeat is older than this lost its worker and is marked failed.
# Identify: whether contacts keep a date of birth (off: most B2B deployments have no
# reason to hold it), and the country a phone number without a country code is read in
# when neither the contact nor its account names one (ISO code, e.g. "GB"; empty: keep
# such numbers as typed digits).
# E-mail (invitations, password resets, approvals): EMAIL_URL (smtp+tls://user:pass@host:587)
# or EMAIL_HOST/PORT/USER/PASSWORD/USE_TLS pick SMTP; without either, development writes
# each message as a file into var/mail.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif env.str("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend"
    )
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Rapport <rapport@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# How long a portal invitation's link stays valid, and a password reset's (in seconds).
RAPPORT_PORTAL_INVITATION_DAYS = env.int("RAPPORT_PORTAL_INVITATION_DAYS", default=7)
PASSWORD_RESET_TIMEOUT = env.int("RAPPORT_PASSWORD_RESET_SECONDS", default=60 * 60 * 24)

RAPPORT_CONTACT_BIRTH_DATE = env.bool("RAPPORT_CONTACT_BIRTH_DATE", default=False)
RAPPORT_PHONE_REGION = env.str("RAPPORT_PHONE_REGION", default="")
# The one currency order lines, wallets and values are kept and shown in (ISO 4217).
RAPPORT_CURRENCY = env.str("RAPPORT_CURRENCY", default="EUR")
RAPPORT_RUN_LEASE_SECONDS = env.int("RAPPORT_RUN_LEASE_SECONDS", default=120)

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("RAPPORT_LOG_LEVEL", default="WARNING")},
    # splink warns on every run about comparison levels the training data never showed
    # ("unable to train m value"); the fitted model handles them, so only errors matter.
    "loggers": {"splink": {"level": "ERROR"}},
}

# Shown on the sign-in page by `make run` so a newcomer can get in; never in production.
RAPPORT_DEMO_LOGIN = (
    {"email": "demo@rapport.example", "password": "rapport-demo"}
    if env.bool("RAPPORT_DEMO_LOGIN", default=False)
    else None
)
