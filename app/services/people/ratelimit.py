"""Login rate limiting, stored in the database so it holds across instances."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import LoginAttempt
from app.models.base import utcnow


def _window_start():
    return utcnow() - timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])


def failures(email, address):
    """Recent failures for this account and for this address (after the last success)."""
    since = _window_start()
    by_email = db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.email == email, LoginAttempt.success.is_(False), LoginAttempt.at >= since))
    by_address = db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.address == address, LoginAttempt.success.is_(False), LoginAttempt.at >= since))
    return by_email, by_address


def is_locked(email, address):
    """True when the account or the address has used up its attempts."""
    by_email, by_address = failures(email, address)
    cfg = current_app.config
    return by_email >= cfg["LOGIN_MAX_FAILURES"] or by_address >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]


def record(email, address, success):
    """Log an attempt; a success clears that account's failures."""
    if success:
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
    db.session.add(LoginAttempt(email=email, address=address, success=success))
    db.session.commit()


def purge_old():
    """Delete attempts older than the lock window (worker housekeeping)."""
    result = db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < _window_start()))
    db.session.commit()
    return result.rowcount
