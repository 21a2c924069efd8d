"""The volunteer's private iCalendar feed of their slots: a secret token, revocable, a bounded window.

Only the slots from ROTA_FEED_PAST_DAYS back to the generation horizon are
listed (Karrot's feed grew to 1.1 MB by listing every past activity).
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from icalendar import Calendar, Event as VEvent
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.models.rota import CalendarToken, Slot, SlotSignup
from app.services.rota.recurrence import ROME

PRODID = "-//Raccolto//Turni//IT"


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user):
    """A new secret for the user's feed (the old link stops working); returns it once. Commits."""
    token = secrets.token_urlsafe(24)
    row = db.session.get(CalendarToken, user.id) or CalendarToken(user_id=user.id)
    row.token_hash, row.created_at = _digest(token), utcnow()
    db.session.add(row)
    db.session.commit()
    return token


def revoke_token(user):
    """Stop the user's feed link. Commits."""
    row = db.session.get(CalendarToken, user.id)
    if row is not None:
        db.session.delete(row)
        db.session.commit()


def has_token(user):
    return db.session.get(CalendarToken, user.id) is not None


def user_for_token(token):
    """The active user whose feed this token opens, or None (unknown or revoked)."""
    if not token or len(token) > 64:
        return None
    row = db.session.scalar(select(CalendarToken).where(CalendarToken.token_hash == _digest(token)))
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    return user if user is not None and user.deleted_at is None else None


def feed_slots(user, now=None):
    """The user's held slots in the feed's window, in order."""
    now = now or utcnow()
    past = timedelta(days=current_app.config.get("ROTA_FEED_PAST_DAYS", 14))
    ahead = timedelta(weeks=current_app.config.get("ROTA_WEEKS_AHEAD", 4) + 1)
    return db.session.scalars(select(Slot).join(SlotSignup, SlotSignup.slot_id == Slot.id).where(
        SlotSignup.user_id == user.id, SlotSignup.status == "joined", Slot.status.in_(("open", "posted")),
        Slot.window_start >= now - past, Slot.window_start <= now + ahead).order_by(Slot.window_start)
        .limit(200)).all()


def feed_bytes(user, host, title, describe, now=None):
    """The iCalendar document; describe(slot) gives (summary, description) in the user's language."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", title)
    calendar.add("x-wr-timezone", "Europe/Rome")
    slots = feed_slots(user, now)
    for slot in slots:
        summary, description = describe(slot)
        item = VEvent()
        item.add("uid", f"slot-{slot.id}-user-{user.id}@{host}")
        item.add("dtstamp", slot.created_at or utcnow())
        item.add("dtstart", slot.window_start.astimezone(ROME))
        item.add("dtend", slot.window_end.astimezone(ROME))
        item.add("summary", summary)
        item.add("description", description)
        store = slot.store
        item.add("location", ", ".join(p for p in (store.address, store.municipality) if p))
        item.add("status", "CONFIRMED")
        calendar.add_component(item)
    if slots:
        first = slots[0].window_start.date().replace(month=1, day=1)
        last = slots[-1].window_end.date().replace(month=12, day=31)
        calendar.add_missing_timezones(first_date=first, last_date=last + timedelta(days=1))
    return calendar.to_ical()
