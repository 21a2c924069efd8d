"""Demo mail settings: the demo logins have confirmed addresses and the coordinator a 7:00 digest.

So a newcomer running `make run` sees email notifications and the digest in the
local mailbox page (/email/posta) without confirming anything first.
"""
from app.demo.network import DEMO_LOGINS
from app.extensions import db
from app.models import MailAddress, MailDigest
from app.models.base import utcnow
from app.services.people import accounts


def seed_mail(rng):
    """Confirm the demo logins' addresses; the demo coordinator gets the daily digest at 7:00."""
    for email, _role in DEMO_LOGINS:
        user = accounts.find_user_by_email(email)
        if user is None:
            continue
        db.session.add(MailAddress(address=user.email, verified_at=utcnow()))
        if user.has_role("coordinator"):
            db.session.add(MailDigest(user_id=user.id, hour=7))
    db.session.flush()
