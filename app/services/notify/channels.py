"""Per-topic channels (push, email, both, only in the app) and the coordinator's digest hour.

No row means "push": what every account did before mail existed. The inbox
always gets the notification; the channel says what goes out besides it.
"""
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import MailDigest, NotificationChannel
from app.models.mail import CHANNELS
from app.services import ServiceError

DEFAULT = "push"


def for_topic(user_ids, topic):
    """{user_id: channel} for `topic` among `user_ids` (the default for those without a choice)."""
    if not user_ids:
        return {}
    stored = dict(db.session.execute(select(NotificationChannel.user_id, NotificationChannel.channel).where(
        NotificationChannel.user_id.in_(list(user_ids)), NotificationChannel.topic == topic)).all())
    return {uid: stored.get(uid, DEFAULT) for uid in user_ids}


def of_user(user, topic_keys):
    """{topic: channel} for each of `topic_keys`."""
    stored = dict(db.session.execute(select(NotificationChannel.topic, NotificationChannel.channel).where(
        NotificationChannel.user_id == user.id)).all())
    return {key: stored.get(key, DEFAULT) for key in topic_keys}


def set_channels(user, choices, topic_keys):
    """Store {topic: channel} for the user's own topics (others and unknown channels are ignored). No commit."""
    current = {row.topic: row for row in db.session.scalars(
        select(NotificationChannel).where(NotificationChannel.user_id == user.id))}
    for key in topic_keys:
        channel = choices.get(key)
        if channel not in CHANNELS:
            continue
        row = current.get(key) or NotificationChannel(user_id=user.id, topic=key)
        row.channel = channel
        db.session.add(row)


def digest_of(user):
    """The user's MailDigest row, or None (no digest)."""
    return db.session.scalar(select(MailDigest).where(MailDigest.user_id == user.id))


def set_digest(user, hour):
    """Turn the daily digest on at local `hour` (0-23), or off with None. No commit."""
    row = digest_of(user)
    if hour is None:
        if row is not None:
            db.session.delete(row)
        return None
    if row is None:
        row = MailDigest(user_id=user.id)
        db.session.add(row)
    row.hour = int(hour)
    return row


def save(user, wanted, topic_keys, verified, digest_hour=False):
    """Store the channels and (unless False) the digest hour ("" turns it off). Commits.

    Email is refused until the address is verified: nothing would arrive.
    """
    by_mail = any(v in ("email", "both") for v in wanted.values()) or (digest_hour not in (False, "", None))
    if by_mail and not verified:
        raise ServiceError("not_verified", _("Prima conferma il tuo indirizzo email: ti mandiamo un link "
                                             "con il pulsante qui sotto."))
    set_channels(user, wanted, topic_keys)
    if digest_hour is not False:
        set_digest(user, int(digest_hour) if digest_hour not in ("", None) else None)
    db.session.commit()
