"""One settings module; the environment decides (see README, "Configuration")."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from config.env import (
    ConfigurationError,
    env_bool,
    env_database,
    env_email,
    env_int,
    env_list,
    env_redis_url,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PASSAPAROLA_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DJANGO_DEBUG", False)

_DEV_SECRET = "insecure-development-key-only-for-debug-and-tests-0123456789"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else None)
if not DEBUG and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50):
    raise ConfigurationError("SECRET_KEY", "must be a random string of at least 50 characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ConfigurationError("ALLOWED_HOSTS", "is required when DJANGO_DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Public address used in emails and share links when no request is at hand.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "core",
    "accounts",
    "campaigns",
    "submissions",
    "sharing",
]

MIDDLEWARE = [
    # First, so every response (error pages included) leaves with the policy headers.
    "core.security.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "sharing.middleware.ReferralCookieMiddleware",
]

# The benchmarks (bench/) serve bench.urls: these URLs plus their reference views.
ROOT_URLCONF = env_str("DJANGO_ROOT_URLCONF", "config.urls")
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sharing.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Data ------------------------------------------------------------------------------------
DATABASES = {
    "default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_redis_url("REDIS_URL")

if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, except that Redis being away is a miss (core/cache.py).
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pp",
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication --------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "accounts.validators.PasswordLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # a link prefetcher must not verify an address
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None
# The sign-up form says plainly when an address is taken (a clear error beats a silent email);
# sign-up and password-reset attempts are rate limited, which bounds enumeration.
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Passaparola] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Failed logins on every door (login page, admin, API token): one lockout rule in
# accounts/lockout.py, per account and address, per address, and per account from addresses it
# has not signed in from; windows and locks in seconds. allauth's own "login_failed" limit is off
# because it counts per account across addresses, which would lock the honest owner out too.
PASSAPAROLA_LOGIN_LOCKOUT = {
    "ATTEMPTS": env_int("LOGIN_LOCKOUT_ATTEMPTS", 5, minimum=1),
    "ADDRESS_ATTEMPTS": env_int("LOGIN_LOCKOUT_ADDRESS_ATTEMPTS", 20, minimum=1),
    "ACCOUNT_ATTEMPTS": env_int("LOGIN_LOCKOUT_ACCOUNT_ATTEMPTS", 100, minimum=1),
    "WINDOW": env_int("LOGIN_LOCKOUT_WINDOW", 900, minimum=1),
    "LOCK_SECONDS": env_int("LOGIN_LOCKOUT_SECONDS", 900, minimum=1),
    "KNOWN_ADDRESS_DAYS": env_int("LOGIN_LOCKOUT_KNOWN_ADDRESS_DAYS", 30, minimum=1),
}
ACCOUNT_RATE_LIMITS = {
    "login_failed": "",
    # allauth's flood limit on login requests is off too: the lockout already refuses a flood of
    # guesses cheaply (before any password hash), and allauth's limits take a cache lock that
    # fails closed, which would refuse every login while Redis is away.
    "login": "",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("it", _("Italian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "pp_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads: bodies over this size are refused before they are read into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
PASSAPAROLA_IMAGE_MAX_BYTES = env_int("IMAGE_MAX_BYTES", 15 * 1024 * 1024, minimum=1024)
PASSAPAROLA_IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000, minimum=1)

# --- Email -----------------------------------------------------------------------------------
_email = env_email("EMAIL_URL", "consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
for _key in ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"):
    if _email.get(_key):
        globals()[_key] = _email[_key]
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Passaparola <no-reply@passaparola.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security --------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
_https = env_bool("HTTPS", not DEBUG)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
LANGUAGE_COOKIE_SECURE = _https
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _https)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if _https else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS >= 31_536_000)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Content-Security-Policy of every response (core.security builds the header; a view may
# replace single directives for its own route with core.security.csp_update). No inline
# script, style or event handler anywhere, so no 'unsafe-inline' and no 'unsafe-eval'.
# frame-src: the click-to-load video players (submissions.video.video_embed_url).
PASSAPAROLA_VIDEO_EMBED_ORIGINS = [
    "https://www.youtube-nocookie.com",
    "https://player.vimeo.com",
    "https://www.tiktok.com",
]
PASSAPAROLA_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "media-src": ["'self'"],
    "frame-src": PASSAPAROLA_VIDEO_EMBED_ORIGINS,
    "frame-ancestors": ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}
if _https:
    PASSAPAROLA_CSP["upgrade-insecure-requests"] = []
# Powerful features off everywhere; the share panel uses the Web Share API, and the video
# players may autoplay and go full screen once the visitor presses play.
_players = ["self", *(f'"{origin}"' for origin in PASSAPAROLA_VIDEO_EMBED_ORIGINS)]
PASSAPAROLA_PERMISSIONS_POLICY = {
    "accelerometer": [],
    "autoplay": _players,
    "camera": [],
    "display-capture": [],
    "encrypted-media": _players,
    "fullscreen": _players,
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "picture-in-picture": _players,
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "web-share": ["self"],
    "xr-spatial-tracking": [],
}

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so an anonymous call gets 401 with a WWW-Authenticate challenge.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.api.CursorPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "Passaparola API",
    "DESCRIPTION": (
        "User-generated marketing campaigns: brands, campaigns, entries and engagement. "
        "Authenticate with a session (browser) or `Authorization: Token <key>` (integrators). "
        'Errors share one shape: `{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Celery ----------------------------------------------------------------------------------
# With REDIS_URL the broker is Redis. Without it (the embedded default) the broker is kombu's
# filesystem transport under var/, so `make run` still runs a real worker and beat with no server.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL or "") or None
_celery_dir = VAR_DIR / "celery"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (_celery_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
else:
    # A message not acknowledged within this many seconds is delivered again. It must exceed the
    # longest task run time and any countdown/ETA we use (tasks finish in seconds; ETAs are not
    # used), otherwise a slow task would run twice. Tasks are idempotent, so a redelivery after a
    # worker dies costs time, never correctness.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60),
        "socket_connect_timeout": 5,
        "socket_timeout": 10,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = timedelta(hours=1)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(_celery_dir / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    "campaign-phases": {
        "task": "campaigns.tasks.campaign_phases_sync_task",
        "schedule": 15.0,
        "options": {"expires": 14},
    },
    # Likes or approvals whose derivation never ran are derived here (the database is the outbox).
    "engagement-sweep": {
        "task": "sharing.tasks.engagement_sweep_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Rebuild standings and Redis from the ledger, repairing counters, for live campaigns.
    "leaderboards-rebuild": {
        "task": "sharing.tasks.leaderboards_rebuild_task",
        "schedule": 1800.0,
        "options": {"expires": 1500},
    },
    # Thumbnails and moderation emails whose task never ran (the broker was away).
    "submissions-sweep": {
        "task": "submissions.tasks.submissions_sweep_task",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Raw share hits are the outbox: counted in batches, never one task per hit.
    "share-clicks-derive": {
        "task": "sharing.tasks.clicks_derive_task",
        "schedule": 5.0,
        "options": {"expires": 4},
    },
}

# --- Logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Product rules ---------------------------------------------------------------------------
PASSAPAROLA_HOME_CAMPAIGNS = 24
# How long the public campaign lists (home page, open campaigns API) are reused, in seconds.
PASSAPAROLA_PUBLIC_LISTS_SECONDS = env_int("PUBLIC_LISTS_SECONDS", 30, minimum=0)
# How long the part of a leaderboard every viewer shares (top lines, top entries) is reused.
PASSAPAROLA_LEADERBOARD_SHARED_SECONDS = env_int("LEADERBOARD_SHARED_SECONDS", 2, minimum=0)
# Open reports that hide an entry or a comment until a moderator looks at it.
PASSAPAROLA_REPORTS_TO_HIDE = env_int("REPORTS_TO_HIDE", 3, minimum=1)
PASSAPAROLA_GALLERY_PAGE_SIZE = 24
# Share-click visitors are HMAC pseudonyms; empty key → derived from SECRET_KEY.
PASSAPAROLA_VISITOR_KEY = env_str("VISITOR_KEY", "")
# Off: the share redirect only looks up and redirects (the benchmark's baseline).
PASSAPAROLA_SHARE_TRACKING = env_bool("SHARE_TRACKING", True)
# Reverse proxies in front of the app, so allauth (rate limits) and share-click visitors see the
# client's address rather than the proxy's.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
