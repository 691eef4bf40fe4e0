"""Settings read from the environment.

With nothing set, the app runs on a SQLite file in the project folder with Celery tasks queued
in a folder of it. DATABASE_URL, REDIS_URL, CACHE_URL, SECRET_KEY, FIELD_ENCRYPTION_KEYS,
BLIND_INDEX_KEY, CELL_KEY_SECRET, DEBUG, ALLOWED_HOSTS and TRUSTED_PROXIES override.
"""

import base64
import contextlib
import os
import re
import secrets
import warnings
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)


def _local_secret(name: str, purpose: str, make) -> str:
    """The secret in environment variable `name`; with DEBUG off it must be set there.
    In development, a value made once by `make()` into an ignored local file. Written aside
    and linked into place, so processes starting together (test workers) read one value."""
    value = env.str(name, default="")
    if value:
        return value
    if not DEBUG:
        raise ImproperlyConfigured(
            f"{name} is not set. With DEBUG off {purpose} must come from the environment: "
            f"export {name} (see the README's section on secrets)."
        )
    path = BASE_DIR / f".{name.lower()}"
    if not path.exists():
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        draft.write_text(make())
        draft.chmod(0o600)
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return path.read_text().strip()


def _random_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


SECRET_KEY = _local_secret("SECRET_KEY", "the secret key", lambda: secrets.token_urlsafe(50))
# Identifiers of the people in the data are encrypted at rest (cases/crypto.py): each subject's
# data key is wrapped by a key-encryption key. FIELD_ENCRYPTION_KEYS lists them, comma
# separated, newest first: new data keys are wrapped by the first, `manage.py rotate_keys`
# re-wraps the others' under it, after which an old key can be removed. Each is 32 random
# bytes in URL-safe base64. BLIND_INDEX_KEY keys the name search index (HMAC).
def _keys(name: str, purpose: str) -> list[str]:
    keys = [k.strip() for k in _local_secret(name, purpose, _random_key).split(",") if k.strip()]
    for key in keys:
        with contextlib.suppress(ValueError):
            if len(base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))) == 32:
                continue
        raise ImproperlyConfigured(
            f"{name}: each key is 32 random bytes in URL-safe base64 (44 characters), e.g. "
            "from `python -c \"import base64,os;print(base64.urlsafe_b64encode(os.urandom(32))"
            ".decode())\"`.")
    if not keys:
        raise ImproperlyConfigured(f"{name} holds no key.")
    return keys


FIELD_ENCRYPTION_KEYS = _keys("FIELD_ENCRYPTION_KEYS", "the keys that encrypt identifiers")
BLIND_INDEX_KEY = _keys("BLIND_INDEX_KEY", "the key of the name index")[0]
# Keys the record keys of the compliance record's perturbation (reporting/cellkey.py). Changing
# it changes every published count once, which then stays as consistent as before.
CELL_KEY_SECRET = _keys("CELL_KEY_SECRET", "the key of the record's perturbation")[0]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Index expressions with an operator class (the references' trigram indexes); on SQLite it
    # does nothing, and those indexes are created on PostgreSQL only.
    "django.contrib.postgres",
    "django.forms",
    "csp",
    "django_htmx",
    "rest_framework",
    # API tokens: hashed, named, scoped, expiring (accounts.ApiToken, on knox's model).
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Second factors: authenticator apps (TOTP), one-time recovery codes, passkeys (WebAuthn).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "cases",
    # Sign-in beyond the password: second factors, API tokens, sessions.
    "accounts",
    "monitoring",
    "reporting",
    # Spreadsheets brought in: cases, assurances and proceedings from CSV or XLSX.
    "imports",
    # The demo data: above every app, imported by none.
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Static files served by the app itself, compressed and cached, in production too.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "cases.middleware.RequestIdMiddleware",
    # The data keys a request unwraps are forgotten when it is answered.
    "cases.keyring.KeyringMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed a second factor.
    "django_otp.middleware.OTPMiddleware",
    # A signed-in person's chosen language over the browser's (after LocaleMiddleware, whose
    # answer then carries it in Content-Language); the API keeps the request's.
    "accounts.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sessions end when idle or old; an unverified one opens only its second-factor step.
    "accounts.middleware.SessionLimitsMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "django.template.context_processors.i18n",
                "cases.views.base.navigation",
                "monitoring.context.unread_notifications",
                "accounts.context.session_limits",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # A deferred transaction that has read (the audit chain head) cannot wait to write
        # while another writer holds the lock: it fails at once with "database is locked".
        # Taking the write lock at BEGIN makes writers queue, each up to `timeout` seconds.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # Readers keep reading while a writer writes.
        "init_command": "PRAGMA journal_mode=WAL",
        **DATABASES["default"].get("OPTIONS", {}),
    }
# A read replica of the default database, for the compliance record and the risk brief
# (cases/replica.py): their reads go there, every write and every other read stays on default.
if env.str("REPLICA_DATABASE_URL", default=""):
    DATABASES["replica"] = env.db_url("REPLICA_DATABASE_URL")
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    DATABASE_REPLICA_ALIAS = "replica"
else:
    DATABASE_REPLICA_ALIAS = None
DATABASE_ROUTERS = ["cases.replica.ReplicaRouter"]
# PostgreSQL compiles a statement with JIT when its estimated cost is high, as the compliance
# record's counting is: the compiling took longer than the counting it sped up (1.4 s without
# it, 3.1 s with it, bench/compliance_record.py), and the product runs no statement long enough
# to repay it. The record's hashes of check reports and of cases spill to disk at PostgreSQL's
# default work_mem (4MB) from a few hundred thousand findings; DATABASE_WORK_MEM is the memory
# each sort or hash of a statement may take before it does (up to a few per statement, per
# connection).
DATABASE_WORK_MEM = env.str("DATABASE_WORK_MEM", default="64MB")
if not re.fullmatch(r"[1-9][0-9]{0,6}(kB|MB|GB)", DATABASE_WORK_MEM):
    raise ImproperlyConfigured("DATABASE_WORK_MEM is a size such as 64MB (kB, MB or GB).")
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _options = _database.setdefault("OPTIONS", {})
        _options["options"] = " ".join(filter(None, [
            _options.get("options"), "-c jit=off", f"-c work_mem={DATABASE_WORK_MEM}"]))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates as Europe writes them (10/03/2026 is 10 March).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
# Widgets render with the project's templates (templates/widgets/), Django's own after them.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed files when collected (DEBUG off); plain files in development.
    # STATIC_COMPRESS=false leaves compression to a proxy or CDN in front (collectstatic then
    # takes seconds, not a minute: the production server's test does so).
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_COMPRESS", default=True)
        else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
    },
}
# In development WhiteNoise serves from the app folders; in production from STATIC_ROOT, filled
# by `manage.py collectstatic`.
WHITENOISE_USE_FINDERS = DEBUG
# Source maps are read by developer tools alone: compressing them (megabytes, in Brotli too) took
# most of collectstatic's time.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
# A session ends after this long without a request, and this long after sign-in whatever it
# does; the page warns SESSION_WARNING_SECONDS before the idle end.
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
SESSION_WARNING_SECONDS = env.int("SESSION_WARNING_SECONDS", default=2 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# HTTPS only with DEBUG off: plain HTTP is redirected, and browsers told (HSTS) to use nothing
# else for a year, subdomains included, and allowed onto their preload lists. The health
# endpoint answers over HTTP too: load balancers probe it behind the TLS terminator.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# Behind a proxy that terminates TLS: the header it sets on requests that came over HTTPS (and
# strips from clients'), e.g. TLS_PROXY_HEADER=X-Forwarded-Proto. Unset, the connection decides.
TLS_PROXY_HEADER = env.str("TLS_PROXY_HEADER", default="")
if TLS_PROXY_HEADER:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + TLS_PROXY_HEADER.upper().replace("-", "_"),
                               env.str("TLS_PROXY_HEADER_VALUE", default="https"))

# The browser runs only our own scripts and styles, from our own static files: no inline code,
# no eval, no other origin (htmx, Swagger UI and the passkey scripts are served by us too).
# Charts are data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# Powerful browser features the application never uses are refused to it and to any frame;
# passkeys (WebAuthn) are allowed to this origin alone.
PERMISSIONS_POLICY = {
    **{feature: [] for feature in (
        "accelerometer", "ambient-light-sensor", "autoplay", "bluetooth", "browsing-topics",
        "camera", "display-capture", "encrypted-media", "geolocation", "gyroscope", "hid",
        "idle-detection", "magnetometer", "microphone", "midi", "payment",
        "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    )},
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
}

# Sign-in: every path that checks a password (the sign-in page, the admin, the API token) goes
# through the lockout (cases/signin.py) before Django's own check.
AUTHENTICATION_BACKENDS = ["cases.signin.LockoutBackend"]
# How many reverse proxies in front of the app append to X-Forwarded-For. 0: the header is the
# client's to write, so the address is the connection's own (REMOTE_ADDR).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
# Failed sign-ins allowed per account and per client address within the window; past either,
# the sign-in is refused (even with the right password) until the oldest failure is a window old.
SIGNIN_FAILURES_PER_ACCOUNT = env.int("SIGNIN_FAILURES_PER_ACCOUNT", default=5)
SIGNIN_FAILURES_PER_ADDRESS = env.int("SIGNIN_FAILURES_PER_ADDRESS", default=20)
SIGNIN_WINDOW_SECONDS = env.int("SIGNIN_WINDOW_SECONDS", default=15 * 60)
# Password reset requests (each sends an e-mail) per e-mail address and per client address.
PASSWORD_RESETS_PER_EMAIL = env.int("PASSWORD_RESETS_PER_EMAIL", default=3)
PASSWORD_RESETS_PER_ADDRESS = env.int("PASSWORD_RESETS_PER_ADDRESS", default=10)
PASSWORD_RESET_WINDOW_SECONDS = env.int("PASSWORD_RESET_WINDOW_SECONDS", default=60 * 60)

# Passkeys and security keys (WebAuthn): the relying party is the site's domain (never an IP
# address: browsers refuse one), and a passkey answers only pages of the allowed origins. On
# `localhost` any port is allowed (development and tests).
OTP_WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default="localhost")
OTP_WEBAUTHN_RP_NAME = env.str("WEBAUTHN_RP_NAME", default="Extradition Monitor")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list("WEBAUTHN_ORIGINS", default=["http://localhost:8000"])
OTP_WEBAUTHN_HELPER_CLASS = "accounts.webauthn.Helper"
# A passkey is a second factor after the password, never a way round it (and its lockout).
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = OTP_WEBAUTHN_RP_NAME

REDIS_URL = env.str("REDIS_URL", default="")
# Throttle and lockout counters live here, so they must be shared by every process: Redis when
# there is one, else a table of the database (made by a migration, cases 0009).
CACHE_TABLE = "em_cache"
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
elif REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL, "KEY_PREFIX": "em"}}
else:
    # Culling drops entries once the table is full: set high so that a flood of sign-in
    # attempts under many names cannot push the counters out.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": CACHE_TABLE, "OPTIONS": {"MAX_ENTRIES": 1_000_000}}}

# API tokens (accounts/tokens.py): knox keeps a hash of each, on our model. Knox's own model is
# swapped out, so its migrations (which would make an unused table) are not run.
KNOX_TOKEN_MODEL = "accounts.ApiToken"
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "AUTH_HEADER_PREFIX": "Token",
    # Each token gets the expiry its owner chose (accounts.tokens.token_create).
    "TOKEN_TTL": None,
    "AUTO_REFRESH": False,
}
MIGRATION_MODULES = {"knox": None}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "accounts.authentication.SessionAuthentication",
    ],
    # A read-only token is refused every write; a view that sets its own permission classes
    # must keep TokenScope among them.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.authentication.TokenScope",
    ],
    # Lists refuse query parameters they do not take (cases/api/filtering.py).
    "DEFAULT_FILTER_BACKENDS": [
        "cases.api.filtering.StrictFilterBackend",
        "cases.api.filtering.StrictOrderingFilter",
    ],
    # JSON bodies only (uploads declare multipart): a form body would read an empty field as
    # one not given, a second meaning the schema cannot state.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "cases.api.pagination.CursorPagination",
    "DEFAULT_SCHEMA_CLASS": "cases.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "cases.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": env.str("LOGIN_THROTTLE_RATE", default="20/min")},
    # DRF's own reading of X-Forwarded-For agrees with cases.signin.client_address.
    "NUM_PROXIES": TRUSTED_PROXIES,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Extradition Monitor API",
    "DESCRIPTION": (
        "Extradition cases, diplomatic assurances and the checks that show whether they are "
        "kept. Every list and detail is restricted to what the caller's organisations may see; "
        "an object outside that answers 404."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Docstrings of the project's base classes are for its developers, not for API users.
    "GET_LIB_DOC_EXCLUDES": "cases.api.schema.lib_doc_excludes",
    # Choice sets that share a field name get names of their own: otherwise a hash suffix, or
    # (a subset written, the whole set read) one name for both and one of them lost.
    "POSTPROCESSING_HOOKS": [
        "cases.api.schema.warn_on_enum_collisions",
        "drf_spectacular.hooks.postprocess_schema_enums",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.models.Case.Status",
        "OpeningCaseStatusEnum": "cases.api.serializers.OPENING_STATUSES",
        "FollowUpStatusEnum": "monitoring.models.FollowUp.Status",
        "WritableFollowUpStatusEnum": "monitoring.api.serializers.WRITABLE_STATUSES",
        "DistributionEnum": "cases.models.sharing.Distribution",
        "ExportKindEnum": "reporting.models.Export.Kind",
        "NotificationKindEnum": "monitoring.models.Notification.Kind",
        "CustodyPhaseEnum": "monitoring.cadence.CustodyPhase",
        "ErasureReasonEnum": "cases.models.Subject.ErasureReason",
        "ImportKindEnum": "imports.models.Kind",
    },
    # Swagger UI served from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Celery: a Redis broker when REDIS_URL is set; otherwise kombu's filesystem transport over a
# folder of the project, so the embedded default queues its tasks to a real worker and beat
# (`make run` starts them) and needs no server. config/celery.py makes the folders.
BROKER_FOLDER = Path(env.str("BROKER_FOLDER", default=str(BASE_DIR / ".broker")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    # The host names nothing; without one kombu warns at every connection.
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # One folder for both directions: the web and the worker share one queue.
        "data_folder_in": str(BROKER_FOLDER / "messages"),
        "data_folder_out": str(BROKER_FOLDER / "messages"),
        "control_folder": str(BROKER_FOLDER / "control"),
        "polling_interval": env.float("BROKER_POLLING_SECONDS", default=1.0),
    }
    CELERY_BEAT_SCHEDULE_FILENAME = str(BROKER_FOLDER / "beat-schedule")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Each kind of job has a queue of its own. A worker started without -Q takes every queue (as
# `make run`'s and `make serve`'s do); at scale each kind gets a pool of its own, e.g.
# `celery -A config worker -Q delivery` beside `-Q exports,imports`, so a long export never holds
# the reminders back. Tasks not named here go to the default queue, `celery`.
TASK_QUEUES = {
    "monitoring.sweep": "reminders",
    "monitoring.retention": "maintenance",
    "monitoring.deliver_pending": "delivery",
    "monitoring.deliver_batch": "delivery",
    "monitoring.deliver": "delivery",
    "monitoring.export_build": "exports",
    "monitoring.exports_purge": "exports",
    "imports.run": "imports",
}
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {task: {"queue": queue} for task, queue in TASK_QUEUES.items()}
# Declared as Celery would make them when first named: a direct exchange of the queue's name.
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name), routing_key=name)
    for name in sorted({CELERY_TASK_DEFAULT_QUEUE, *TASK_QUEUES.values()})
)

# Monitoring: the sweep's period, evidence uploads, notification delivery.
MONITORING_SWEEP_SECONDS = env.int("MONITORING_SWEEP_SECONDS", default=300)
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=120)
# Notifications one delivery run claims and sends over one mail connection.
NOTIFICATION_BATCH_SIZE = env.int("NOTIFICATION_BATCH_SIZE", default=500)
NOTIFICATION_MESSAGE_ID_DOMAIN = env.str(
    "NOTIFICATION_MESSAGE_ID_DOMAIN", default="extradition-monitor.local"
)
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "/media-not-served/"
# The audit log: the sweep appends the chain head to a file in this folder at each run, and
# verify_audit_chain holds the database to the last one. Best on storage the database's
# administrators cannot rewrite.
AUDIT_CHECKPOINT_DIR = env.str("AUDIT_CHECKPOINT_DIR",
                               default=str(Path(MEDIA_ROOT) / "audit-checkpoints"))
# Never from the environment: only the test settings let connections empty the audit log.
AUDIT_LOG_WIPE_ALLOWED = False
# Exports: up to this many rows are built during the request, larger ones by a worker.
EXPORT_INLINE_MAX_ROWS = env.int("EXPORT_INLINE_MAX_ROWS", default=5000)
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=7)
# Imports: the largest file and the most rows one file may bring.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
# Uploads not imported are deleted after this many days.
IMPORT_RETENTION_DAYS = env.int("IMPORT_RETENTION_DAYS", default=7)
CELERY_BEAT_SCHEDULE = {
    "monitoring-sweep": {"task": "monitoring.sweep", "schedule": MONITORING_SWEEP_SECONDS},
    "monitoring-deliver": {"task": "monitoring.deliver_pending", "schedule": 60.0},
    "exports-purge": {"task": "monitoring.exports_purge", "schedule": 3600.0},
    "identifiers-retention": {"task": "monitoring.retention", "schedule": 24 * 3600.0},
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# Below the notification lease, so a hung mail server cannot outlast a deliverer's claim.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="monitor@localhost")

# A refused request for an existing record is audited once per caller and record in this
# window, and at most ACCESS_DENIED_AUDIT_MAX times per caller in it.
ACCESS_DENIED_AUDIT_SECONDS = env.int("ACCESS_DENIED_AUDIT_SECONDS", default=3600)
ACCESS_DENIED_AUDIT_MAX = env.int("ACCESS_DENIED_AUDIT_MAX", default=100)

# How long an invitation to join an organisation waits for its answer.
INVITATION_DAYS = env.int("INVITATION_DAYS", default=14)

# The health endpoint for load balancers (monitoring/health.py): it fails when the disk under
# the uploads (and the broker's folder) has less free space than this, or when the last
# reminder sweep is older than this (or, before the first sweep, once this long has passed
# since the first probe).
HEALTH_MIN_FREE_BYTES = env.int("HEALTH_MIN_FREE_BYTES", default=500 * 1024 * 1024)
HEALTH_SWEEP_MAX_AGE_SECONDS = env.int("HEALTH_SWEEP_MAX_AGE_SECONDS",
                                       default=3 * MONITORING_SWEEP_SECONDS)

LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING")
# `json`: one JSON object per line (config/logformat.py), for a log collector; `text`: a line
# for a person to read.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT is {LOG_FORMAT!r}: it must be json or text.")
# Paths whose requests get no line in the request log: the load balancer's probes.
REQUEST_LOG_QUIET_PATHS = ["/health/"]
# One handler, on the root: each record printed once, on one line (a traceback only for 5xx).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_one_line": {"()": "config.logfilters.ClientErrorsOneLine"}},
    "formatters": {"text": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
                   "json": {"()": "config.logformat.JsonLines"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["client_errors_one_line"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django gives its logger a console handler of its own, which printed each line twice.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # The development server's line per request, as Django shows it.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # A line per request (cases.middleware) in production, where no development server
        # writes one.
        "extradition_monitor.request": {"level": "WARNING" if DEBUG else "INFO"},
    },
}
