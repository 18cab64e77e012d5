"""Settings for the incident map, read from the environment.

Development needs no configuration at all: SQLite in ``var/``, DEBUG on, a fixed
development secret key. Production is chosen with ``DJANGO_ENV=production``; it refuses to
start without a real ``SECRET_KEY`` and turns on every protection that
``manage.py check --deploy`` asks for.

Environment variables:
    DJANGO_ENV      ``development`` (default) or ``production``
    SECRET_KEY      required in production (at least 50 characters)
    DEBUG           ``1``/``0``; defaults to on in development, always off in production
    DATABASE_URL    e.g. ``postgres://user@127.0.0.1:5432/incidentmap``;
                    defaults to SQLite at ``var/incidentmap.sqlite3``
    DATABASE_REPLICA_URLS  comma-separated URLs of PostgreSQL streaming replicas of that
                    database: anonymous reads go to them (``config.replicas``)
    ALLOWED_HOSTS   comma-separated host names (production default: none, so it must be set)
    STATIC_ROOT     where collectstatic writes the static files (default ``staticfiles/``)
    CSRF_TRUSTED_ORIGINS  comma-separated origins, e.g. ``https://map.example.org``
    SECURE_SSL_REDIRECT   ``0`` to let a proxy in front do the redirect (production)
    TRUST_PROXY_SSL_HEADER  ``1`` when behind a proxy that sets ``X-Forwarded-Proto``
    API_ANON_RATE   requests an anonymous API client may make, e.g. ``120/minute`` (default)
    API_USER_RATE   the same for a signed-in client (default ``2000/minute``)
    REDIS_URL       e.g. ``redis://127.0.0.1:6379/0``: the cache every process and machine
                    shares (API request counts); without it, files under ``CACHE_DIR``
    CACHE_DIR       the embedded default's shared cache (default ``var/cache``)
    CACHE_KEY_PREFIX  prefix of every cache key (default ``incidentmap``), for deployments
                    sharing one Redis
    HTTP_MAX_AGE    seconds a browser or proxy may reuse a public answer (default 5)
    HTTP_STALE_WHILE_REVALIDATE  seconds more it may serve the map, statistics and home
                    page while fetching them afresh (default 5)
    PUBLIC_ANSWER_TTL  seconds an unused kept public answer stays in the cache (default 600)
    NUM_PROXIES     how many proxies in front of the app append to ``X-Forwarded-For``
                    (default 0: the header is ignored, clients are told apart by address)
    LOGIN_FAILURE_LIMIT   wrong passwords before a lockout (default 5)
    LOGIN_LOCKOUT_MINUTES how long a lockout lasts (default 60)
    GEOCODING_PROVIDER    empty (default: the offline gazetteer only) or ``nominatim``
    GEOCODING_TIMEOUT     seconds to wait for the online geocoder (default 5)
    GEOCODING_MIN_DELAY_SECONDS  pause between two online requests (default 1, the OSM policy)
    GEOCODING_USER_AGENT  the product's name and a contact, sent with every online request
    GEOCODING_DOMAIN, GEOCODING_SCHEME  another Nominatim server, e.g. ``nominatim.example.org``
    EVIDENCE_ROOT   folder of the evidence files (default ``var/evidence``; never served
                    as it is: files go out through views that check who asks)
    EVIDENCE_MAX_BYTES  largest evidence file accepted (default 104857600, 100 MB)
    EVIDENCE_TYPES  comma-separated content types accepted (default: every type
                    ``incidents.evidence.FILE_TYPES`` recognises)
    EVIDENCE_STORAGE  ``filesystem`` (default) or ``s3``: S3-compatible object storage
                    through django-storages (``pip install '.[s3]'``), configured with
                    EVIDENCE_S3_BUCKET (required), EVIDENCE_S3_ENDPOINT_URL (for a service
                    other than Amazon's), EVIDENCE_S3_REGION, EVIDENCE_S3_PREFIX (default
                    ``evidence``); credentials come from boto3's usual sources
                    (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, an instance role, ...)
    TASKS_BACKEND   the queue of background jobs (default ``django_tasks_db.DatabaseBackend``:
                    the jobs wait in the database, run by ``manage.py db_worker``)
    JOB_STALE_SECONDS  a running job whose worker has not been heard of for this long is
                    shown as stopped, with a "resume" (default 30)
    IMPORT_CHUNK_ROWS  rows an import writes per transaction (default 5000)
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-used-in-production"  # noqa: S105


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


ENVIRONMENT = os.environ.get("DJANGO_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be 'development' or 'production', got {ENVIRONMENT!r}"
    )
PRODUCTION = ENVIRONMENT == "production"

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if PRODUCTION:
    if not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random string of at least 50 characters in "
            "production (DJANGO_ENV=production). Generate one with: python -c "
            '"import secrets; print(secrets.token_urlsafe(64))"'
        )
    DEBUG = False
else:
    SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY
    DEBUG = env_bool("DEBUG", True)

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "config.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "csp",
    "simple_history",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "mapping",
    "incidents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session, CSRF and locale middleware, so that it sees every cookie they set
    # (a response that sets one is never cached publicly); see incidents.httpcache.
    "incidents.httpcache.HttpCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: it needs to know whether the request is a signed-in user's.
    "config.replicas.AnonymousReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses any sign-in (admin form or otherwise) while the user or address is locked out.
    "axes.backends.AxesStandaloneBackend",
    # Django's, reading a user's permissions in one statement instead of two.
    "config.auth.ModelBackend",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'incidentmap.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60" if PRODUCTION else "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take SQLite's write lock when their transaction begins, so two concurrent
    # writes queue (up to the timeout) instead of one failing with "database is locked"
    # when it upgrades a read lock.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
# Streaming replicas of the primary, as aliases replica_1, replica_2, ...: anonymous reads
# are routed to them (config.replicas). In a test run each is a mirror of the primary, so
# the suite needs no second server.
DATABASE_REPLICAS = []
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS", []), start=1):
    _replica = dj_database_url.parse(_url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"])
    if _replica["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URLS: replica {_number} is not the same kind of database as "
            "DATABASE_URL; a replica is a streaming copy of the primary."
        )
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_number}"] = _replica
    DATABASE_REPLICAS.append(f"replica_{_number}")
DATABASE_ROUTERS = ["config.replicas.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Rows an export fetches from the database at a time, and rows per piece it sends.
EXPORT_CHUNK_SIZE = int(os.environ.get("EXPORT_CHUNK_SIZE", "2000"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ar", _("Arabic"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = not PRODUCTION
STATICFILES_DIRS = [BASE_DIR / "static"]
EVIDENCE_ROOT = Path(os.environ.get("EVIDENCE_ROOT") or BASE_DIR / "var" / "evidence")
EVIDENCE_STORAGE = os.environ.get("EVIDENCE_STORAGE", "").strip().lower() or "filesystem"


def evidence_storage() -> dict:
    """Where evidence files are kept: a folder outside every served path by default, or a
    private S3 bucket. Either way they leave only through views that check who asks, so
    the storage never hands out addresses of its own (no public URL, no public ACL)."""
    if EVIDENCE_STORAGE == "filesystem":
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": str(EVIDENCE_ROOT),
                "file_permissions_mode": 0o640,
                "directory_permissions_mode": 0o750,
            },
        }
    if EVIDENCE_STORAGE == "s3":
        bucket = os.environ.get("EVIDENCE_S3_BUCKET", "").strip()
        if not bucket:
            raise ImproperlyConfigured("EVIDENCE_STORAGE=s3 needs EVIDENCE_S3_BUCKET.")
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": os.environ.get("EVIDENCE_S3_ENDPOINT_URL", "").strip() or None,
                "region_name": os.environ.get("EVIDENCE_S3_REGION", "").strip() or None,
                "location": os.environ.get("EVIDENCE_S3_PREFIX", "evidence").strip("/ "),
                "default_acl": "private",
                # Names are random and never reused; a clash must fail, not overwrite.
                "file_overwrite": False,
                "querystring_auth": True,
            },
        }
    raise ImproperlyConfigured(
        f"EVIDENCE_STORAGE must be 'filesystem' or 's3', got {EVIDENCE_STORAGE!r}"
    )


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "evidence": evidence_storage(),
    "staticfiles": {
        "BACKEND": (
            "config.storage.ModuleManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Covering indexes (INCLUDE) exist on PostgreSQL only; on SQLite they are plain indexes.
# The statistics sums' one-row-a-key constraint (NULLs equal) exists on PostgreSQL only; on
# SQLite the sums are read before they are written instead (incidents.readmodel.statsums).
SILENCED_SYSTEM_CHECKS = ["models.W040", "models.W047"]

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    if env_bool("TRUST_PROXY_SSL_HEADER", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if not SECURE_SSL_REDIRECT:
        # A proxy in front redirects to HTTPS; tell the deploy check it is handled.
        SILENCED_SYSTEM_CHECKS.append("security.W008")

# The cache all server processes share: API request counts (incidents.api.throttling) must
# add up across gunicorn workers and machines, and a publication must reach every worker's
# cached public answers at once (incidents.readmodel.generation). Redis when REDIS_URL is
# set (production); otherwise files under var/cache, locked for every operation
# (config.cache explains why not the database). The kept public answers have a cache alias
# of their own ("answers"): the same Redis, or a directory of their own, so that the many
# entries of the map's views are culled among themselves, never with the request counts.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "incidentmap")
if REDIS_URL:
    CACHES = {
        alias: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
        for alias in ("default", "answers")
    }
else:
    CACHE_DIR = Path(os.environ.get("CACHE_DIR") or BASE_DIR / "var" / "cache")
    CACHES = {
        "default": {
            "BACKEND": "config.cache.SharedFileCache",
            "LOCATION": str(CACHE_DIR),
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            # One entry or two per client a minute; culling would forget counts.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
        "answers": {
            "BACKEND": "config.cache.SharedFileCache",
            "LOCATION": str(CACHE_DIR / "answers"),
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        },
    }

# Public answers (statistics, the map, pages) are kept in that cache per publication
# generation (incidents.readmodel.answers), so a change is seen by the next reader; this is
# only how long an entry no one asks for any more stays. Browsers and proxies may reuse a
# public answer for HTTP_MAX_AGE seconds, and the map, statistics and home page for
# HTTP_STALE_WHILE_REVALIDATE more while they fetch it afresh (incidents.httpcache): the
# longest a reader can see a retracted incident is their sum.
PUBLIC_ANSWER_TTL = env_int("PUBLIC_ANSWER_TTL", 600, minimum=1)
HTTP_MAX_AGE = env_int("HTTP_MAX_AGE", 5)
HTTP_STALE_WHILE_REVALIDATE = env_int("HTTP_STALE_WHILE_REVALIDATE", 5)

# Proxies in front of the app that append the client's address to X-Forwarded-For. The API's
# throttles and the login lockout trust that many entries from the right, and no header at
# all with 0: a client could otherwise send a new address with every request.
NUM_PROXIES = env_int("NUM_PROXIES", 0)

# Login protection (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one user
# name, or from one address, that user name or address is refused for LOGIN_LOCKOUT_MINUTES
# (each further attempt starts the wait again), with templates/axes/lockout.html. Attempts
# and lockouts are kept in the database and listed in the admin ("Axes"), where a lockout can
# be lifted by deleting it.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 60, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "incidents.api.throttling.client_address"
# A success would also wipe the failures counted against the address: someone guessing
# another user's password could reset the count by signing in to their own account.
AXES_RESET_ON_SUCCESS = False
# No banner on every start of a management command.
AXES_VERBOSE = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Django gives its "django" logger a console handler of its own (DEBUG only), and the
    # record then reaches the root handler as well: every line came out twice. Let the root
    # handler alone print it.
    "loggers": {"django": {"handlers": [], "propagate": True}},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that an anonymous write is told 401 with WWW-Authenticate: Token.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_THROTTLE_CLASSES": [
        "incidents.api.throttling.AnonymousThrottle",
        "incidents.api.throttling.SignedInThrottle",
    ],
    "DEFAULT_PARSER_CLASSES": ["incidents.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "incidents.api.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "incidents.api.errors.exception_handler",
    "STRICT_JSON": True,
    "COERCE_DECIMAL_TO_STRING": False,
    "NUM_PROXIES": NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Incident map API",
    "DESCRIPTION": (
        "Source-backed records of violent incidents. Anonymous clients read published "
        "records; researchers and reviewers write with a session (and CSRF token) or an "
        "`Authorization: Token ...` header. Every casualty figure is a range reconciled from "
        "the claims of cited sources."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "incidents.api.schema.document_common_responses",
        "incidents.api.schema.document_no_nul_characters",
        "incidents.api.schema.document_not_modified",
        "incidents.api.schema.document_anonymous_reads",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ActorKindEnum": "incidents.models.ActorKind",
        "SourceKindEnum": "incidents.models.SourceKind",
        "FigureRuleEnum": "incidents.models.FigureRule",
        "EventTypeEnum": "incidents.models.EventType",
        "DatePrecisionEnum": "incidents.models.DatePrecision",
        "GradeEnum": "incidents.models.Grade",
        "StatusEnum": "incidents.models.Status",
        "ConfidenceEnum": "incidents.models.Confidence",
        "LocationPrecisionEnum": "mapping.models.LocationPrecision",
    },
}

# Largest request body the API accepts (bytes); a larger one gets 413 before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(1024 * 1024)))

# Map configuration lives here and only here; the admin point picker and the public map
# both read it.
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (35.2, 36.0),
    "DEFAULT_ZOOM": 8,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 18,
    "TILES": [
        (
            "OpenStreetMap",
            os.environ.get("MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
            {
                "attribution": os.environ.get(
                    "MAP_TILES_ATTRIBUTION",
                    '&copy; <a href="https://www.openstreetmap.org/copyright">'
                    "OpenStreetMap</a> contributors",
                ),
                "maxZoom": 19,
            },
        )
    ],
    "RESET_VIEW": False,
}


def _tile_origin(url_template: str) -> str:
    """The origin a tile URL template loads from, as a CSP source (``{s}`` becomes ``*``)."""
    parts = urlsplit(url_template.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# Content-Security-Policy (django-csp). Scripts and styles come from our own origin only:
# no inline script anywhere, data reaches JavaScript through json_script and data-
# attributes. Images may come from the tile servers of LEAFLET_CONFIG. The Swagger UI page's
# start-up script carries the nonce (templates/drf_spectacular/); the Redoc page's extra
# allowances are in config/urls.py. The admin needs none.
CSP_TILE_ORIGINS = sorted(
    {origin for _name, url, _options in LEAFLET_CONFIG["TILES"] if (origin := _tile_origin(url))}
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # A page that needs one inline script (the API's Swagger UI and Redoc pages) marks it
        # with the request's nonce; the nonce is sent only when a page uses it.
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *CSP_TILE_ORIGINS],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}


# Where readers report an error in the data (the about page shows it); empty: not shown.
CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "").strip()


def embed_origins(items: list[str]) -> tuple[str, ...]:
    """The sites allowed to frame the embeddable map (/embed/), as CSP frame-ancestors
    sources: each an origin (scheme://host[:port], no path), or ``*`` for any site, which
    must be written so: nothing is allowed by default."""
    origins = []
    for item in items:
        if item == "*":
            origins.append(item)
            continue
        parts = urlsplit(item)
        if (
            parts.scheme not in {"http", "https"}
            or not parts.hostname
            or parts.path not in {"", "/"}
            or parts.query
            or parts.fragment
            or parts.username
            or any(c in item for c in " ;,'\"")
        ):
            raise ImproperlyConfigured(
                f"EMBED_ALLOWED_ORIGINS: {item!r} is not an origin such as "
                "https://news.example.org (or * for any site)."
            )
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ImproperlyConfigured(f"EMBED_ALLOWED_ORIGINS: bad port in {item!r}.") from None
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return tuple(origins)


# Sites whose pages may show the map in an <iframe> (/embed/ only; every other page is
# never framed): comma-separated origins, none by default.
EMBED_ALLOWED_ORIGINS = embed_origins(env_list("EMBED_ALLOWED_ORIGINS", []))

# The application's own tunables.
INCIDENT_MAP = {
    # The country this map records (as ACLED and UCDP name it): importers keep its rows,
    # the gazetteer loader loads it, the map opens on it (see mapping.country).
    "COUNTRY": os.environ.get("INCIDENT_MAP_COUNTRY", "").strip() or "Syria",
    # An imported point further than this outside the country's outline is refused; a
    # nearer one is kept with a warning (border towns).
    "SCOPE_REFUSE_KM": float(os.environ.get("SCOPE_REFUSE_KM", "10")),
    # Country code that prefixes public incident ids, e.g. SY-2025-0007.
    "PUBLIC_ID_PREFIX": os.environ.get("PUBLIC_ID_PREFIX", "SY"),
    # API request rates (see REST_FRAMEWORK's throttles); read on every request.
    "API_ANON_RATE": os.environ.get("API_ANON_RATE", "120/minute"),
    "API_USER_RATE": os.environ.get("API_USER_RATE", "2000/minute"),
    # Page sizes of the incident list: the default, and the most a client may ask for.
    "API_PAGE_SIZE": 100,
    "API_MAX_PAGE_SIZE": 500,
    # The map shows single incidents instead of grid cells when a view holds at most this
    # many; above it, cells.
    "MAP_MAX_POINTS": 1000,
    # Most cells across the longer side of a map view (bounds the aggregate's size).
    "MAP_MAX_CELLS_ACROSS": 48,
    # Evidence files (incidents.evidence): the largest accepted, and the content types
    # accepted (empty: every type the sniffer recognises).
    "EVIDENCE_MAX_BYTES": env_int("EVIDENCE_MAX_BYTES", 100 * 1024 * 1024, minimum=1),
    "EVIDENCE_TYPES": env_list("EVIDENCE_TYPES", []),
    # Rows an ACLED or UCDP import writes per transaction: each chunk commits whole, and
    # progress is written between chunks.
    "IMPORT_CHUNK_ROWS": int(os.environ.get("IMPORT_CHUNK_ROWS", "5000")),
}

# Background jobs (Django's Tasks API; the django-tasks backport until Django 6): imports,
# rebuilds and whole-database passes run in a worker process (``manage.py db_worker``), never
# in a web request. The database backend needs no other server; each worker takes the next
# job with SELECT ... FOR UPDATE SKIP LOCKED, so any number of workers on any number of
# machines share one queue (README: "Background jobs").
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "").strip() or "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
JOBS = {
    # A worker writes a heartbeat every HEARTBEAT_SECONDS while it runs a job; a job not
    # heard of for STALE_SECONDS lost its worker (killed, machine gone) and can be resumed.
    "HEARTBEAT_SECONDS": float(os.environ.get("JOB_HEARTBEAT_SECONDS", "5")),
    "STALE_SECONDS": float(os.environ.get("JOB_STALE_SECONDS", "30")),
    # How often a running job writes its progress (and looks for a cancel request).
    "PROGRESS_SECONDS": float(os.environ.get("JOB_PROGRESS_SECONDS", "0.5")),
}

# Geocoding: the offline gazetteer always answers; an online geopy provider can be put in
# front of it. When the online provider fails or times out the gazetteer answers instead and
# the answer carries a warning (see mapping.geocoding).
GEOCODING_PROVIDERS = (None, "nominatim")
GEOCODING = {
    "PROVIDER": os.environ.get("GEOCODING_PROVIDER", "").strip().lower() or None,
    "TIMEOUT": float(os.environ.get("GEOCODING_TIMEOUT", "5")),
    "MIN_DELAY_SECONDS": float(os.environ.get("GEOCODING_MIN_DELAY_SECONDS", "1")),
    "USER_AGENT": os.environ.get(
        "GEOCODING_USER_AGENT", "incident-map/0.1 (+https://map.example.org)"
    ),
    "DOMAIN": os.environ.get("GEOCODING_DOMAIN", "nominatim.openstreetmap.org"),
    "SCHEME": os.environ.get("GEOCODING_SCHEME", "https"),
    "CACHE_SIZE": int(os.environ.get("GEOCODING_CACHE_SIZE", "512")),
}
if GEOCODING["PROVIDER"] not in GEOCODING_PROVIDERS:
    raise ImproperlyConfigured(
        f"GEOCODING_PROVIDER must be empty or 'nominatim', got {GEOCODING['PROVIDER']!r}"
    )
if GEOCODING["SCHEME"] not in {"http", "https"}:
    raise ImproperlyConfigured("GEOCODING_SCHEME must be 'http' or 'https'.")

SIMPLE_HISTORY_REVERT_DISABLED = True
