"""Personal API tokens: made for a user, shown once, stored as a SHA-256 hash, revocable.

A token is "rac_" plus 32 random URL-safe characters (192 bits), so a fast hash
is enough: nobody can guess one, and a leaked table does not give working tokens.
"""
import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken
from app.models.auth import hash_token
from app.models.base import utcnow
from app.services import ServiceError

PREFIX = "rac_"
MAX_ACTIVE = 10


def active_tokens(user):
    """The user's tokens that still work, newest first."""
    return db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                     ApiToken.revoked_at.is_(None))
                              .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()


def create(user, name):
    """Make a token for `user`; returns (row, the secret to show once). Commits."""
    name = " ".join((name or "").split())[:80]
    if not name:
        raise ServiceError("invalid", _("Dai un nome al token (es. «cassa 2» o «gestionale»)."))
    if len(active_tokens(user)) >= MAX_ACTIVE:
        raise ServiceError("too_many", _("Hai già %(n)d token attivi: revocane uno prima di crearne un altro.",
                                         n=MAX_ACTIVE))
    secret = PREFIX + secrets.token_urlsafe(24)
    row = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret), prefix=secret[:8],
                   created_at=utcnow())
    db.session.add(row)
    db.session.commit()
    return row, secret


def revoke(user, token_id):
    """Revoke one of `user`'s own tokens (someone else's is "not found"). Commits."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise ServiceError("not_found", _("Token non trovato."))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()
    return row


def authenticate(secret):
    """The active user a bearer token acts as, or None. Records when it was last used."""
    if not secret or not secret.startswith(PREFIX):
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if row is None or row.revoked_at is not None or row.user is None or not row.user.is_active:
        return None
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        row.last_used_at = now  # at most once a minute: no write per request
        db.session.commit()
    return row.user
