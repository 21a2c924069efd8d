"""Web Push: devices that subscribe, and the worker that sends the outbox with pywebpush.

Sending is at most once per attempt and never twice per row: a worker claims a
batch of due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer lock
on SQLite) and marks them `sending` in the same transaction, then sends outside
any transaction and records the outcome. A row left `sending` by a worker that
died mid-send is given up, not resent: its push may already have arrived, and
the notification is in the inbox anyway.
"""
import base64
import binascii
import hashlib
import ipaddress
import json
import logging
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from flask import current_app
from flask_babel import gettext as _
from pywebpush import WebPushException, webpush
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload

from app.assets import file_hash
from app.extensions import db, write_transaction
from app.models import Notification, PushDelivery, PushSubscription
from app.models.base import utcnow
from app.services import ServiceError
from app.services.notify import outbox, vapid
from app.services.notify.inbox import site_path
from app.worker import job

log = logging.getLogger("raccolto.push")
STALE_SENDING = timedelta(minutes=10)
MAX_BATCHES_PER_TICK = 20
MAX_DEVICES = 10
GONE = (404, 410)  # the push service forgot this subscription: delete it
PERMANENT = (400, 401, 403, 413)  # our request is wrong for this service: retrying cannot help


# --- subscriptions -------------------------------------------------------------------

def _b64(value, length):
    """Decode an unpadded base64url key of exactly `length` bytes, else None."""
    if not isinstance(value, str) or len(value) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == length else None


def _endpoint_allowed(endpoint):
    """An https URL of a known push service (PUSH_ENDPOINT_HOSTS), so the worker posts nowhere else.

    Plain http is accepted only for a loopback address listed there (the tests' fake service).
    """
    if not isinstance(endpoint, str) or len(endpoint) > 2000:
        return False
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    listed = any(host == h or host.endswith("." + h) for h in current_app.config["PUSH_ENDPOINT_HOSTS"])
    if not listed:
        return False
    if parts.scheme == "https":
        return True
    try:
        return parts.scheme == "http" and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def device_label(user_agent):
    """A short name for the device list: "Chrome su Android"."""
    ua = user_agent or ""
    browser = next((name for token, name in (("Edg/", "Edge"), ("SamsungBrowser", "Samsung Internet"),
                                             ("Firefox", "Firefox"), ("CriOS", "Chrome"), ("Chrome", "Chrome"),
                                             ("Safari", "Safari")) if token in ua), _("Browser"))
    system = next((name for token, name in (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
                                            ("Windows", "Windows"), ("Mac OS", "Mac"), ("Linux", "Linux"))
                   if token in ua), "")
    return (_("%(browser)s su %(system)s", browser=browser, system=system) if system else browser)[:80]


def save_subscription(user, data, user_agent=""):
    """Store (or move to `user`) the browser's PushSubscription JSON; returns it. Commits.

    An endpoint belongs to one browser profile: when someone else signs in on the
    same phone and subscribes, the device now notifies them instead.
    """
    if not isinstance(data, dict):
        raise ServiceError("invalid", _("Iscrizione alle notifiche non leggibile: riprova."))
    endpoint, keys = data.get("endpoint"), data.get("keys") or {}
    if not _endpoint_allowed(endpoint):
        raise ServiceError("invalid", _("Questo servizio di notifiche non è accettato: usa Chrome, "
                                        "Firefox, Edge o Safari aggiornati."))
    if not isinstance(keys, dict):
        keys = {}
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    point = _b64(p256dh, 65)
    if point is None or point[0] != 4 or _b64(auth, 16) is None:
        raise ServiceError("invalid", _("Le chiavi dell'iscrizione alle notifiche non sono valide: riprova."))
    digest = hashlib.sha256(endpoint.encode()).hexdigest()
    values = {"user_id": user.id, "p256dh": p256dh, "auth": auth, "device": device_label(user_agent),
              "created_at": utcnow()}
    sub = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint_hash == digest))
    if sub is None:
        sub = PushSubscription(endpoint=endpoint, endpoint_hash=digest)
        db.session.add(sub)
    for name, value in values.items():
        setattr(sub, name, value)
    db.session.flush()
    # A person has a few phones and browsers; beyond MAX_DEVICES the oldest are forgotten.
    for old in devices(user)[MAX_DEVICES:]:
        _forget(old.id, "replaced by a newer device")
    db.session.commit()
    return sub


def remove_subscription(user, endpoint=None, subscription_id=None):
    """Forget one of this user's devices, by endpoint or id; True if there was one. Commits."""
    query = select(PushSubscription).where(PushSubscription.user_id == user.id)
    if subscription_id is not None:
        query = query.where(PushSubscription.id == subscription_id)
    elif isinstance(endpoint, str):
        query = query.where(PushSubscription.endpoint_hash == hashlib.sha256(endpoint.encode()).hexdigest())
    else:
        return False
    sub = db.session.scalar(query)
    if sub is None:
        return False
    _forget(sub.id, "unsubscribed")
    db.session.commit()
    return True


def devices(user):
    """This user's subscribed devices, newest first."""
    return db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user.id)
                              .order_by(PushSubscription.created_at.desc(), PushSubscription.id.desc())).all()


def _forget(subscription_id, reason):
    """Delete a subscription; its unsent deliveries end as 'gone'. Caller commits."""
    db.session.execute(update(PushDelivery).where(
        PushDelivery.subscription_id == subscription_id, PushDelivery.status.in_(("pending", "sending")))
        .values(status="gone", last_error=reason).execution_options(synchronize_session=False))
    db.session.execute(delete(PushSubscription).where(PushSubscription.id == subscription_id)
                       .execution_options(synchronize_session=False))


# --- sending ---------------------------------------------------------------------------

def retry_delays():
    """Seconds to wait after the 1st, 2nd, ... failed attempt; after the last, give up."""
    return outbox.retry_delays("PUSH_RETRY_MINUTES", "1,5,30")


def claim_batch(now, limit):
    """Claim up to `limit` due deliveries for this worker and mark them sending; returns their ids."""
    return outbox.claim_batch(PushDelivery, now, limit)


def payload(notification):
    """The JSON the service worker's push handler shows (small: push services cap it near 4 kB)."""
    return json.dumps({
        "id": notification.id, "title": notification.title, "body": notification.body,
        "url": site_path("notifications.open_item", notification_id=notification.id),
        "tag": f"{notification.kind}-{notification.donation_id or notification.id}",
        "urgent": notification.urgent, "timestamp": int(notification.created_at.timestamp() * 1000),
        "icon": site_path("static", filename="icons/icon-192.png", v=file_hash("icons/icon-192.png")),
        "badge": site_path("static", filename="icons/badge-96.png", v=file_hash("icons/badge-96.png")),
    }, ensure_ascii=False, separators=(",", ":"))


def _post(delivery, now, session):
    """Send one push; returns (HTTP status or None, error text, retry-after seconds or None)."""
    notification = delivery.notification
    ttl = 24 * 3600
    if notification.expires_at is not None:
        ttl = max(60, int((notification.expires_at - now).total_seconds()))
    try:
        response = webpush(
            subscription_info=delivery.subscription.info(), data=payload(notification),
            vapid_private_key=vapid.vapid(), vapid_claims={"sub": vapid.subject()},  # a fresh dict: webpush fills it
            ttl=ttl, headers={"Urgency": "high" if notification.urgent else "normal"},
            timeout=current_app.config.get("PUSH_TIMEOUT_SECONDS", 10), requests_session=session)
        return response.status_code, "", None
    except WebPushException as error:
        response = error.response
        if response is None:
            return None, str(error)[:300], None
        retry_after = response.headers.get("Retry-After", "")
        return (response.status_code, f"{response.status_code} {response.reason or ''}".strip()[:300],
                float(retry_after) if retry_after.isdigit() else None)
    except (requests.RequestException, OSError) as error:
        return None, f"{type(error).__name__}: {error}"[:300], None


def _record(delivery_id, status, error, retry_after, now):
    """Write the outcome of one attempt: sent, retry later, give up, or forget the device."""
    with write_transaction():
        row = db.session.get(PushDelivery, delivery_id, with_for_update=True)
        row.last_status, row.last_error = status, error
        if status is not None and 200 <= status < 300:
            row.status, row.sent_at = "sent", now
            db.session.execute(update(PushSubscription).where(PushSubscription.id == row.subscription_id)
                               .values(last_success_at=now).execution_options(synchronize_session=False))
            return "sent"
        if status in GONE:
            _forget(row.subscription_id, error)  # also marks this row gone
            return "gone"
        delays = retry_delays()
        if status in PERMANENT or row.attempts > len(delays):
            row.status = "failed"
            return "failed"
        wait = delays[row.attempts - 1]
        if retry_after:
            wait = max(wait, min(retry_after, 3600))
        row.status, row.next_attempt_at = "pending", now + timedelta(seconds=wait)
        return "retry"


def _settle_without_sending(delivery, now):
    """Deliveries that need no push any more: the device is gone or the news is stale."""
    if delivery.subscription is None or delivery.notification.user.deleted_at is not None:
        outcome, error = "gone", "no device"
    elif delivery.notification.expires_at is not None and delivery.notification.expires_at <= now:
        outcome, error = "expired", "stale"
    else:
        return None
    with write_transaction():
        db.session.execute(update(PushDelivery).where(PushDelivery.id == delivery.id)
                           .values(status=outcome, last_error=error).execution_options(synchronize_session=False))
    return outcome


def _give_up_interrupted(now):
    """Rows a dead worker left 'sending': the push may have gone out, so never resend them."""
    with write_transaction():
        result = db.session.execute(update(PushDelivery).where(
            PushDelivery.status == "sending", PushDelivery.claimed_at < now - STALE_SENDING)
            .values(status="failed", last_error="worker interrupted while sending")
            .execution_options(synchronize_session=False))
    return result.rowcount


def send_pending(now=None, limit=None, max_batches=MAX_BATCHES_PER_TICK):
    """Send every due delivery (in batches); returns counts by outcome."""
    now = now or utcnow()
    limit = limit or current_app.config.get("PUSH_BATCH", 50)
    counts = {"interrupted": _give_up_interrupted(now)}
    with requests.Session() as session:
        for _batch in range(max_batches):
            ids = claim_batch(now, limit)
            if not ids:
                break
            for delivery_id in ids:
                delivery = db.session.scalar(
                    select(PushDelivery).where(PushDelivery.id == delivery_id).options(
                        joinedload(PushDelivery.notification).joinedload(Notification.user),
                        joinedload(PushDelivery.subscription)))
                outcome = _settle_without_sending(delivery, now)
                if outcome is None:
                    status, error, retry_after = _post(delivery, now, session)
                    outcome = _record(delivery_id, status, error, retry_after, now)
                    if outcome != "sent":
                        log.info("push %s to subscription %s: %s %s", delivery_id, delivery.subscription_id,
                                 outcome, error)
                counts[outcome] = counts.get(outcome, 0) + 1
                db.session.commit()  # end the read transaction before the next row
    return {k: v for k, v in counts.items() if v} or None


@job("send_push", every=3)
def _send_push_job():
    """The worker's tick: send what is due."""
    return send_pending()
