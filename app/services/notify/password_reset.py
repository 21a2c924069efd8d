"""Password reset by mail: a single-use, expiring link stored hashed, rate-limited, that signs out other sessions.

The answer to a request never says whether the address has an account: the
same counting, the same page, the same status happen either way; only the
mail (written in the same transaction as the token) differs.
"""
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update

from app.extensions import db, write_transaction
from app.models import PasswordReset, ResetRequest
from app.models.auth import hash_token
from app.models.base import utcnow
from app.services import ServiceError
from app.services.notify import mail
from app.services.notify.inbox import site_path
from app.services.people import accounts
from app.worker import job


def _window_start(now):
    return now - timedelta(minutes=current_app.config["RESET_WINDOW_MINUTES"])


def is_limited(email, client, user=None, now=None):
    """True when this address, this account or this client has asked too often in the window."""
    since = _window_start(now or utcnow())
    cfg = current_app.config
    by_email = or_(ResetRequest.email == email, ResetRequest.user_id == user.id) if user else (
        ResetRequest.email == email)
    count_email = db.session.scalar(select(func.count()).select_from(ResetRequest).where(
        by_email, ResetRequest.at >= since))
    count_client = db.session.scalar(select(func.count()).select_from(ResetRequest).where(
        ResetRequest.client == client, ResetRequest.at >= since))
    return count_email >= cfg["RESET_MAX_PER_EMAIL"] or count_client >= cfg["RESET_MAX_PER_CLIENT"]


def limit_message():
    """The Italian refusal once the limit is reached (the same for every address)."""
    return _("Troppe richieste di reimpostazione della password. Riprova tra %(minutes)d minuti.",
             minutes=current_app.config["RESET_WINDOW_MINUTES"])


def request_reset(email, client, now=None):
    """Count the request and, if the address has an account, queue the reset mail. Commits.

    Raises ServiceError('rate_limited') past the limit, whether or not the account exists.
    """
    now = now or utcnow()
    email = accounts.normalise_email(email)[:254]
    # The write lock first (SQLite): counting then inserting must not race another request.
    with write_transaction():
        user = accounts.find_user_by_email(email) if email else None
        if user is not None and user.deleted_at is not None:
            user = None
        if is_limited(email, client, user, now):
            raise ServiceError("rate_limited", limit_message())
        db.session.add(ResetRequest(email=email, client=client[:64], user_id=user.id if user else None, at=now))
        if user is not None:
            token = secrets.token_urlsafe(32)
            ttl = current_app.config["PASSWORD_RESET_TTL_MINUTES"]
            db.session.add(PasswordReset(token_hash=hash_token(token), user_id=user.id, created_at=now,
                                         expires_at=now + timedelta(minutes=ttl)))
            mail.queue_for_user(
                user, "reset", "reset", subject=_lazy_subject, now=now, minutes=ttl,
                link=mail.absolute(site_path("auth.reset_password", token=token)),
                reason=lambda: _("Hai ricevuto questa email perché qualcuno ha chiesto di reimpostare la "
                                 "password del tuo account Raccolto. Se non sei stato tu, ignorala: la "
                                 "password resta quella di prima."))
    return user


def _lazy_subject():
    return _("Reimposta la tua password di Raccolto")


def find_reset(token, now=None):
    """The usable reset for `token`, or a ServiceError saying why the link cannot be used."""
    now = now or utcnow()
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_token(token or "")))
    if reset is None or reset.user.deleted_at is not None:
        raise ServiceError("invalid", _("Questo link non è valido. Controlla di aver copiato tutto "
                                        "l'indirizzo o chiedi un nuovo link."))
    if reset.used_at is not None:
        raise ServiceError("used", _("Questo link è già stato usato: ogni link vale una sola volta. "
                                     "Chiedine uno nuovo se ti serve."))
    if reset.expires_at <= now:
        raise ServiceError("expired", _("Questo link è scaduto. Chiedine uno nuovo: vale %(minutes)d minuti.",
                                        minutes=current_app.config["PASSWORD_RESET_TTL_MINUTES"]))
    return reset


def reset_password(token, new_password, now=None):
    """Use the link once: set the password, sign out every session, verify the address. Commits; returns the user."""
    now = now or utcnow()
    with write_transaction():  # the write lock before reading (SQLite): two tabs at once wait, not fail
        reset = find_reset(token, now)
        # Single use even when the link is submitted twice at once: only one UPDATE finds used_at empty.
        claimed = db.session.execute(update(PasswordReset).where(
            PasswordReset.id == reset.id, PasswordReset.used_at.is_(None)).values(used_at=now)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            raise ServiceError("used", _("Questo link è già stato usato."))
        user = reset.user
        user.password_hash = accounts.hash_password(new_password)
        # A new session token logs out every other session and remember-me cookie of this account.
        user.session_token = secrets.token_hex(16)
        # Other links still open for this account die with this one.
        db.session.execute(update(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)).values(used_at=now)
            .execution_options(synchronize_session=False))
        # Opening a link sent to the address proves it is read by the account's owner.
        mail.mark_verified(user.email, now)
    return user


def purge_old(now=None):
    """Forget requests older than the window and resets long expired (worker housekeeping). Commits."""
    now = now or utcnow()
    count = db.session.execute(delete(ResetRequest).where(ResetRequest.at < _window_start(now))).rowcount
    count += db.session.execute(delete(PasswordReset).where(
        PasswordReset.expires_at < now - timedelta(days=7))).rowcount
    db.session.commit()
    return count


@job("purge_password_resets", every=600)
def _purge_job():
    """Housekeeping of the reset tables."""
    return purge_old()
