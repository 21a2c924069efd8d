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

    # Operations older than this (device time) are refused as implausible, unless backfilled.
    OFFLINE_LIMIT_HOURS = _int("OFFLINE_LIMIT_HOURS", 72)

    # Pickups (DOMAIN.md, "rules enforced by software").
    HYGIENE_TRAINING_VALID_YEARS = _int("HYGIENE_TRAINING_VALID_YEARS", 3)
    MAX_OPEN_CLAIMS = _int("MAX_OPEN_CLAIMS", 3)
    LATE_UNCLAIM_HOURS = _int("LATE_UNCLAIM_HOURS", 2)

    # Donations (issue 3). Value when the store gives none: EUR per kg (DOMAIN.md benchmark).
    VALUE_EUR_PER_KG = _float("VALUE_EUR_PER_KG", 3.7)
    # Default pickup window offered by the form, in hours.
    PICKUP_WINDOW_HOURS = _int("PICKUP_WINDOW_HOURS", 3)
    # A charity is a candidate recipient when it can receive between the window's
    # start and this many hours after its end (app/services/food/recipients.py).
    RECEIVING_GRACE_HOURS = _int("RECEIVING_GRACE_HOURS", 14)
    # How far back the recipient proposal looks at what each charity has received.
    RECIPIENT_LOAD_DAYS = _int("RECIPIENT_LOAD_DAYS", 30)

    # Notifications (issue 6). VAPID_PRIVATE_KEY: base64url raw key or PEM; unset, a key is
    # generated once into the instance folder. VAPID_SUBJECT: mailto: or https: contact for
    # the push services (default: PUBLIC_BASE_URL when it is https).
    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY") or None
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT") or None
    NOTIFY_RADIUS_KM = _float("NOTIFY_RADIUS_KM", 15)  # new donations: volunteers this close
    URGENT_RADIUS_KM = _float("URGENT_RADIUS_KM", 30)  # still unclaimed near the deadline: wider
    URGENT_BEFORE_HOURS = _float("URGENT_BEFORE_HOURS", 2)
    PUSH_RETRY_MINUTES = os.environ.get("PUSH_RETRY_MINUTES", "1,5,30")  # then give up
    PUSH_BATCH = _int("PUSH_BATCH", 50)
    PUSH_TIMEOUT_SECONDS = _float("PUSH_TIMEOUT_SECONDS", 10)
    # Hosts (and their subdomains) that may receive pushes: the browsers' push services.
    PUSH_ENDPOINT_HOSTS = tuple(h.strip() for h in os.environ.get(
        "PUSH_ENDPOINT_HOSTS", "fcm.googleapis.com,push.services.mozilla.com,push.apple.com,"
        "notify.windows.com").split(",") if h.strip())
    NOTIFICATION_KEEP_DAYS = _int("NOTIFICATION_KEEP_DAYS", 90)

    # Impact factors (issue 8, DOMAIN.md "Impact metrics"); VALUE_EUR_PER_KG above is shared.
    MEAL_KG = _float("MEAL_KG", 0.5)  # 1 meal equivalent (Banco Alimentare/LARN basis)
    CO2E_PER_KG = _float("CO2E_PER_KG", 2.5)  # kg CO2e per kg food (FAO 2013 Food Wastage Footprint)

    # The rota (issue 12): slots generated this many weeks ahead; the defaults of the fairness
    # rules until a coordinator sets them (0 = no weekly cap; 0 = no trial pickups).
    ROTA_WEEKS_AHEAD = _int("ROTA_WEEKS_AHEAD", 4)
    ROTA_WEEKLY_CAP = _int("ROTA_WEEKLY_CAP", 0)
    ROTA_CAP_LIFT_HOURS = _int("ROTA_CAP_LIFT_HOURS", 24)
    ROTA_TRIAL_PICKUPS = _int("ROTA_TRIAL_PICKUPS", 3)
    # The private calendar feed lists slots from this many days back (never all the past).
    ROTA_FEED_PAST_DAYS = _int("ROTA_FEED_PAST_DAYS", 14)
    # Mail (issue 13), with Flask-Mailman's names. No MAIL_SERVER: mail is kept in the local
    # mailbox page (development only); in production the app logs that mail is off.
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Raccolto <noreply@raccolto.localhost>")
    MAIL_REPLY_TO = os.environ.get("MAIL_REPLY_TO") or None
    MAIL_TIMEOUT = _float("MAIL_TIMEOUT", 15)
    MAIL_RETRY_MINUTES = os.environ.get("MAIL_RETRY_MINUTES", "1,5,30,120")  # then give up
    MAIL_BATCH = _int("MAIL_BATCH", 50)
    PASSWORD_RESET_TTL_MINUTES = _int("PASSWORD_RESET_TTL_MINUTES", 60)
    RESET_MAX_PER_EMAIL = _int("RESET_MAX_PER_EMAIL", 5)  # reset requests per address and per account
    RESET_MAX_PER_CLIENT = _int("RESET_MAX_PER_CLIENT", 20)  # reset requests per client address
    RESET_WINDOW_MINUTES = _int("RESET_WINDOW_MINUTES", 60)
    EMAIL_VERIFY_TTL_HOURS = _int("EMAIL_VERIFY_TTL_HOURS", 72)
    # The driver's run (issue 14). Cold chain: hours on board after the pickup before the
    # driver is warned and the coordinator flagged (DOMAIN.md: fresh food moves within hours).
    COLD_CHAIN_LIMIT_HOURS = {"chilled": _float("COLD_CHAIN_LIMIT_HOURS_CHILLED", 2),
                              "frozen": _float("COLD_CHAIN_LIMIT_HOURS_FROZEN", 4)}
    # The stop-order solver's travel model: average speed by road, and minutes spent at each stop.
    RUN_SPEED_KMH = _float("RUN_SPEED_KMH", 25)
    RUN_STOP_MINUTES = _int("RUN_STOP_MINUTES", 10)
    # Longest side of a handover photo as stored (the phone resizes to this before upload, too).
    PHOTO_MAX_SIDE = _int("PHOTO_MAX_SIDE", 1600)
    # Partners (issue 15). A store without a signed agreement in force cannot post, and a
    # charity without one is not proposed as recipient. Signed PDFs up to AGREEMENT_PDF_MAX_MB.
    AGREEMENTS_REQUIRED = _bool("AGREEMENTS_REQUIRED", True)
    AGREEMENT_PDF_MAX_MB = _float("AGREEMENT_PDF_MAX_MB", 5)
    # Reminders to the coordinators this many days before an agreement ends.
    AGREEMENT_REMINDER_DAYS = tuple(int(d) for d in os.environ.get(
        "AGREEMENT_REMINDER_DAYS", "60,15").split(",") if d.strip())
    # National scale (issue 17): bounded reads and compression from the app itself.
    PICKUP_RADIUS_KM = _float("PICKUP_RADIUS_KM", 50)  # open pickups shown around a volunteer's base
    PICKUP_PAGE_SIZE = _int("PICKUP_PAGE_SIZE", 20)  # open pickups per page
    COMPRESS_ALGORITHM = ["br", "gzip"]  # Flask-Compress: preferred first, negotiated per request
    COMPRESS_ALGORITHM_STREAMING = ["br", "gzip"]  # static files are streamed by send_file
    COMPRESS_LEVEL = _int("COMPRESS_GZIP_LEVEL", 6)
    COMPRESS_BR_LEVEL = _int("COMPRESS_BR_LEVEL", 5)
    COMPRESS_MIN_SIZE = 500


class TestConfig(Config):
    """Settings the test suite starts from; tests pass overrides to create_app."""

    TESTING = True
    ENV_NAME = "test"
    SECRET_KEY = "test-secret"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast in tests only
    PUBLIC_BASE_URL = "http://localhost"
    SERVER_NAME = None
    # Tests make stores and charities without agreements; tests of agreements turn it on.
    AGREEMENTS_REQUIRED = False
