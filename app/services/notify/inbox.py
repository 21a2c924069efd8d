"""The notification outbox writer, preferences by topic, and the in-app inbox.

`notify()` writes one Notification per recipient, in the recipient's language, plus
one PushDelivery per device, in the caller's transaction: called from an
operation's subscriber, the rows commit (or roll back) with the operation.
"""
from collections import namedtuple

from flask import current_app, g, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, select, update
from werkzeug.routing import BuildError

from app.extensions import db
from app.models import Notification, NotificationSetting, PushDelivery, PushSubscription, User
from app.models.base import utcnow
from app.services.notify import channels

Topic = namedtuple("Topic", "key label hint roles")

# What a person can switch off, by role (None: everyone). Refused offline actions and
# custody conflicts ("problems") are always on: they need someone to act.
TOPICS = (
    Topic("new_donation", _l("Nuove donazioni vicino a me"),
          _l("Quando un punto vendita vicino pubblica un ritiro che puoi fare."), ("volunteer",)),
    Topic("urgent", _l("Ritiri urgenti"),
          _l("Un ritiro ancora libero poco prima che la finestra chiuda: anche un po' più lontano."),
          ("volunteer",)),
    Topic("my_pickups", _l("I miei ritiri"),
          _l("Se un ritiro che hai prenotato viene annullato o cambia l'ente a cui portarlo."),
          ("volunteer",)),
    Topic("store_updates", _l("Le donazioni del mio punto vendita"),
          _l("Prenotazioni, rinunce, donazioni scadute o rifiutate al ritiro."), ("store",)),
    Topic("incoming", _l("Consegne in arrivo"),
          _l("Quando un volontario ha ritirato una donazione per il vostro ente e quando la consegna."),
          ("charity",)),
    Topic("alerts", _l("Segnalazioni per il coordinamento"),
          _l("Rinunce all'ultimo momento e cibo troppo caldo al ritiro."), ("coordinator",)),
    Topic("event_reminder", _l("Promemoria degli eventi"),
          _l("Il giorno prima di un evento a cui ti sei iscritto con la tua email."), None),
    Topic("agreements", _l("Convenzioni in scadenza"),
          _l("60 e 15 giorni prima che scada la convenzione di un partner."), ("coordinator",)),
)
TOPIC_KEYS = {t.key for t in TOPICS}
ALWAYS_ON = ("problems", "test")
INBOX_PAGE = 30
# Callables (rows, users, {user_id: channel}, {user_id: [subscriptions]}) run by notify() in the
# same transaction: other channels (mail) add their outbox rows here.
CHANNEL_HOOKS = []


def site_path(endpoint, **values):
    """The path of `endpoint` on this site, with or without a request (the worker has none).

    url_for needs a request or SERVER_NAME; outside a request the app's URL map
    builds the same path, so stored links never depend on who built them.
    """
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)


def first_path(candidates, fallback, **values):
    """The path of the first endpoint in `candidates` that exists, else of `fallback` (no values).

    Pages of other areas are found by endpoint name, so a link never breaks if a page is renamed.
    """
    for endpoint in candidates:
        if endpoint in current_app.view_functions:
            try:
                return site_path(endpoint, **values)
            except BuildError:  # the endpoint wants other values
                continue
    return site_path(fallback)


def topics_for(user):
    """The topics this user can choose, in display order."""
    return [t for t in TOPICS if t.roles is None or any(user.has_role(r) for r in t.roles)]


def preferences(user):
    """{topic: enabled} for every topic of this user (default on)."""
    stored = dict(db.session.execute(select(NotificationSetting.topic, NotificationSetting.enabled)
                                     .where(NotificationSetting.user_id == user.id)).all())
    return {t.key: stored.get(t.key, True) for t in topics_for(user)}


def set_preferences(user, choices):
    """Store {topic: bool} for this user's topics (unknown topics are ignored). Commits."""
    current = {s.topic: s for s in db.session.scalars(
        select(NotificationSetting).where(NotificationSetting.user_id == user.id))}
    for topic in topics_for(user):
        if topic.key not in choices:
            continue
        setting = current.get(topic.key) or NotificationSetting(user_id=user.id, topic=topic.key)
        setting.enabled = bool(choices[topic.key])
        db.session.add(setting)
    db.session.commit()


def _switched_off(user_ids, topic):
    """The users among `user_ids` who turned `topic` off."""
    if topic in ALWAYS_ON or not user_ids:
        return set()
    return set(db.session.scalars(select(NotificationSetting.user_id).where(
        NotificationSetting.user_id.in_(user_ids), NotificationSetting.topic == topic,
        NotificationSetting.enabled.is_(False))))


def notify(users, kind, topic, texts, url="", donation_id=None, dedupe_key=None, urgent=False,
           expires_at=None, now=None):
    """Queue a notification for each of `users` who wants `topic`; returns the rows. No commit.

    `texts()` returns (title, body) and is called once per recipient inside
    force_locale(recipient's language), so each row is stored in that language.
    With `dedupe_key`, a person who already has that key gets nothing new.
    """
    now = now or utcnow()
    people = {u.id: u for u in users if u is not None and u.deleted_at is None}
    if not people:
        return []
    skip = _switched_off(list(people), topic)
    if dedupe_key:
        skip |= set(db.session.scalars(select(Notification.user_id).where(
            Notification.user_id.in_(list(people)), Notification.dedupe_key == dedupe_key)))
    wanted = [u for uid, u in sorted(people.items()) if uid not in skip]
    if not wanted:
        return []
    devices = {}
    for sub in db.session.scalars(select(PushSubscription).where(
            PushSubscription.user_id.in_([u.id for u in wanted]))):
        devices.setdefault(sub.user_id, []).append(sub)
    chosen = channels.for_topic([u.id for u in wanted], topic)
    rows = []
    for user in wanted:
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            title, body = texts()
            title, body = str(title)[:200], str(body)[:600]
        row = Notification(user_id=user.id, kind=kind, topic=topic, title=title, body=body, url=url[:300],
                           urgent=urgent, donation_id=donation_id, dedupe_key=dedupe_key, created_at=now,
                           expires_at=expires_at)
        # One delivery per device: a dead phone (410) never holds up the others.
        row.deliveries = [PushDelivery(subscription_id=sub.id, next_attempt_at=now, created_at=now)
                          for sub in devices.get(user.id, []) if chosen[user.id] in ("push", "both")]
        db.session.add(row)
        rows.append(row)
    for hook in CHANNEL_HOOKS:
        hook(rows, wanted, chosen, devices)
    return rows


def send_test(user):
    """Queue a test notification to `user` (inbox and every device); True if a device will get it. Commits."""
    from app.services.notify import texts as notify_texts

    rows = notify([user], "test", "test", notify_texts.test, url=site_path("notifications.settings"))
    db.session.commit()
    return bool(rows and rows[0].deliveries)


# --- the inbox --------------------------------------------------------------------

def unread_count_sql(user_id):
    """SQL counting the unread notifications of `user_id` (a value or a column)."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None)).scalar_subquery())


def remember_unread(user_id, count):
    """Keep the count read with the session user (app/security.py) for this request's bell."""
    if has_request_context():
        g.unread_notifications = (user_id, int(count or 0))


def forget_unread():
    """This request changed notifications: the bell counts them again."""
    if has_request_context():
        g.pop("unread_notifications", None)


def unread_count(user):
    """How many notifications this user has not opened.

    The session user's count comes with their own statement at the start of the
    request; any change to notifications in the request since (a new one, one read,
    a purge) makes it count again.
    """
    known = g.get("unread_notifications") if has_request_context() else None
    if known is not None and known[0] == user.id:
        return known[1]
    return db.session.scalar(select(unread_count_sql(user.id))) or 0


def _changed(*_args):
    forget_unread()


for _event in ("after_insert", "after_update", "after_delete"):
    event.listen(Notification, _event, _changed)


def page(user, before_id=None, limit=None):
    """Newest first, `limit` at a time; `before_id` continues after the last one shown.

    Returns (rows, more): `more` is True when older notifications exist.
    """
    limit = limit or INBOX_PAGE
    query = select(Notification).where(Notification.user_id == user.id)
    if before_id:
        query = query.where(Notification.id < before_id)
    rows = db.session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


def get(user, notification_id):
    """One of this user's notifications, or None (someone else's is None too)."""
    return db.session.scalar(select(Notification).where(Notification.id == notification_id,
                                                        Notification.user_id == user.id))


def mark_read(user, ids=None, up_to_id=None):
    """Mark this user's notifications read (all, some ids, or those up to an id). Commits."""
    query = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    if up_to_id is not None:
        query = query.where(Notification.id <= up_to_id)
    db.session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))
    forget_unread()
    db.session.commit()


def users_by_ids(ids):
    """Active users with these ids."""
    ids = [i for i in set(ids) if i]
    if not ids:
        return []
    return db.session.scalars(select(User).where(User.id.in_(ids), User.deleted_at.is_(None))).all()


def export(user):
    """The user's notification data, for the GDPR export (accounts.EXPORTERS)."""
    return "notifications", {
        "devices": [{"device": s.device, "since": s.created_at.isoformat()} for s in db.session.scalars(
            select(PushSubscription).where(PushSubscription.user_id == user.id))],
        "preferences": preferences(user),
        "inbox": [{"at": n.created_at.isoformat(), "title": n.title, "body": n.body,
                   "read": n.read_at is not None} for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))],
    }
