"""Configuration, read only from the environment (12-factor).

Defaults are safe for the embedded run (SQLite in the instance folder, a
development secret). In production (`RACCOLTO_ENV=production`) the app refuses
to start without a real SECRET_KEY.
"""
import os
from datetime import timedelta


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _float(name, default):
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


DEV_SECRET = "raccolto-development-only-secret"


class Config:
    """Settings for a normal run; every value may come from the environment."""

    ENV_NAME = os.environ.get("RACCOLTO_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    # None means "SQLite file in the instance folder" (resolved in create_app).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR") or None  # default: <instance>/uploads

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = timedelta(days=_int("REMEMBER_DAYS", 30))
    PREFERRED_URL_SCHEME = "https" if _bool("SESSION_COOKIE_SECURE", False) else "http"

    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session
    WTF_CSRF_SSL_STRICT = _bool("SESSION_COOKIE_SECURE", False)

    BABEL_DEFAULT_LOCALE = "it"
    BABEL_DEFAULT_TIMEZONE = "Europe/Rome"
    LANGUAGES = ("it", "en")

    # Werkzeug's scrypt: a slow, memory-hard KDF.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    LOGIN_MAX_FAILURES_PER_ADDRESS = _int("LOGIN_MAX_FAILURES_PER_ADDRESS", 30)
    LOGIN_LOCK_MINUTES = _int("LOGIN_LOCK_MINUTES", 15)
    INVITATION_TTL_HOURS = _int("INVITATION_TTL_HOURS", 72)
    WORKER_INTERVAL_SECONDS = _int("WORKER_INTERVAL_SECONDS", 30)
    TRUST_PROXY_HOPS = _int("TRUST_PROXY_HOPS", 0)
    SEND_FILE_MAX_AGE_DEFAULT = timedelta(hours=_int("STATIC_MAX_AGE_HOURS", 12))
    MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_MB", 8) * 1024 * 1024

    # Donations (issue 3). Value when the store gives none: EUR per kg (DOMAIN.md benchmark).
    VALUE_EUR_PER_KG = _float("VALUE_EUR_PER_KG", 3.7)
    # Default pickup window offered by the form, in hours.
    PICKUP_WINDOW_HOURS = _int("PICKUP_WINDOW_HOURS", 3)
    # A charity is a candidate recipient when it can receive between the window's
    # start and this many hours after its end (app/services/recipients.py).
    RECEIVING_GRACE_HOURS = _int("RECEIVING_GRACE_HOURS", 14)
    # How far back the recipient proposal looks at what each charity has received.
    RECIPIENT_LOAD_DAYS = _int("RECIPIENT_LOAD_DAYS", 30)


class TestConfig(Config):
    """Settings the test suite starts from; tests pass overrides to create_app."""

    TESTING = True
    ENV_NAME = "test"
    SECRET_KEY = "test-secret"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast in tests only
    PUBLIC_BASE_URL = "http://localhost"
    SERVER_NAME = None
