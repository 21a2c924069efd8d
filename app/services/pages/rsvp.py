"""RSVPs: seats, waitlist, private cancel links, reminders.

Seats are counted and taken inside one transaction that holds the event row
(`SELECT ... FOR UPDATE` on PostgreSQL; BEGIN IMMEDIATE on SQLite, through
`write_transaction`), so concurrent RSVPs never exceed the capacity.

The waitlist is first come, first served: while anyone is waiting, newcomers
join the queue too, and a freed seat goes to the head of the queue when the
whole party fits (a party of four never jumps ahead of a party of five).
"""
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db, write_transaction
from app.models.auth import hash_token
from app.models.base import utcnow
from app.models.page import Event, Rsvp
from app.services import ServiceError
from app.services.people.accounts import find_user_by_email, normalise_email
from app.services.pages.published import visible

MAX_PEOPLE = 10
PER_SOURCE_PER_HOUR = 20
REMIND_BEFORE = timedelta(hours=24)


def _locked_event(event_id):
    """The event row, locked until the transaction ends (a no-op clause on SQLite)."""
    # Without the cover's joined load: PostgreSQL refuses FOR UPDATE next to an outer join.
    return db.session.scalar(select(Event).where(Event.id == event_id).options(lazyload(Event.cover))
                             .with_for_update(of=Event).execution_options(populate_existing=True))


def seats_taken(event_id):
    """People with a confirmed RSVP."""
    return db.session.scalar(select(func.coalesce(func.sum(Rsvp.people), 0)).where(
        Rsvp.event_id == event_id, Rsvp.status == "confirmed"))


def waiting(event_id):
    """The waitlist, first come first."""
    return db.session.scalars(select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.status == "waitlist")
                              .order_by(Rsvp.id).execution_options(populate_existing=True)).all()


def availability(event):
    """Seats taken and left (None left means no limit), people waiting, and whether it is full."""
    taken = seats_taken(event.id)
    waitlist = db.session.scalar(select(func.count()).select_from(Rsvp).where(
        Rsvp.event_id == event.id, Rsvp.status == "waitlist"))
    left = None if event.capacity is None else max(event.capacity - taken, 0)
    return {"taken": taken, "left": left, "waitlist": waitlist,
            "full": left is not None and (left == 0 or waitlist > 0)}


def can_register(event, now=None):
    """True while the event is public, not over and its RSVP is open."""
    now = now or utcnow()
    return event.is_public(now) and event.rsvp_open and event.starts_at > now


def register(event_id, name, email, people, locale="it", source=""):
    """Book `people` seats for one person; returns (rsvp, private token). Commits.

    Confirmed when the seats are there and nobody is waiting, otherwise on the
    waitlist. The token is shown once: only its hash is stored.
    """
    name, email = (name or "").strip(), normalise_email(email)
    if not name or not email or not 1 <= people <= MAX_PEOPLE:
        raise ServiceError("invalid", _("Controlla nome, email e numero di persone."))
    token = secrets.token_urlsafe(24)
    with write_transaction():
        event = _locked_event(event_id)
        if event is None or not can_register(event):
            raise ServiceError("closed", _("Le iscrizioni a questo evento sono chiuse."))
        if event.capacity is not None and people > event.capacity:
            raise ServiceError("too_many_people", _("L'evento ha %(n)d posti in tutto: iscrivi meno persone.",
                                                    n=event.capacity))
        _check_not_registered(event.id, email)
        _check_rate(source)
        taken = seats_taken(event.id)
        fits = event.capacity is None or taken + people <= event.capacity
        status = "confirmed" if fits and not waiting(event.id) else "waitlist"
        user = find_user_by_email(email)
        rsvp = Rsvp(event_id=event.id, name=name, email=email, people=people, status=status,
                    token_hash=hash_token(token), locale=locale, source=source,
                    user_id=user.id if user else None)
        db.session.add(rsvp)
    return rsvp, token


def _check_not_registered(event_id, email):
    exists = db.session.scalar(select(Rsvp.id).where(
        Rsvp.event_id == event_id, Rsvp.email == email, Rsvp.status != "cancelled"))
    if exists:
        raise ServiceError("already_registered", _(
            "Questa email è già iscritta all'evento. Per cambiare il numero di persone annulla "
            "l'iscrizione con il tuo link privato e iscriviti di nuovo."))


def _check_rate(source):
    if not source:
        return
    recent = db.session.scalar(select(func.count()).select_from(Rsvp).where(
        Rsvp.source == source, Rsvp.created_at >= utcnow() - timedelta(hours=1)))
    if recent >= PER_SOURCE_PER_HOUR:
        raise ServiceError("too_many", _("Troppe iscrizioni dalla stessa connessione: riprova tra un'ora."))


def by_token(token):
    """The RSVP behind a private link, or None."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Rsvp).where(Rsvp.token_hash == hash_token(token)))


def waitlist_position(rsvp):
    """1 for the head of the queue; None when not waiting."""
    if rsvp.status != "waitlist":
        return None
    return db.session.scalar(select(func.count()).select_from(Rsvp).where(
        Rsvp.event_id == rsvp.event_id, Rsvp.status == "waitlist", Rsvp.id <= rsvp.id))


def _promote(event):
    """Confirm people from the head of the waitlist while their party fits (event row locked)."""
    taken, promoted = seats_taken(event.id), []
    for rsvp in waiting(event.id):
        if event.capacity is not None and taken + rsvp.people > event.capacity:
            break
        rsvp.status, rsvp.promoted_at = "confirmed", utcnow()
        taken += rsvp.people
        promoted.append(rsvp)
    return promoted


def cancel(token):
    """Cancel the RSVP behind `token` and move the waitlist up; returns (rsvp, promoted). Commits.

    Cancelling twice is harmless. Returns (None, []) for an unknown token.
    """
    found = by_token(token)
    if found is None:
        return None, []
    rsvp_id, event_id = found.id, found.event_id
    promoted = []
    with write_transaction():
        event = _locked_event(event_id)  # lock first, then read the RSVP again
        rsvp = db.session.scalar(select(Rsvp).where(Rsvp.id == rsvp_id)
                                 .execution_options(populate_existing=True))
        if rsvp.status != "cancelled":
            rsvp.status, rsvp.cancelled_at = "cancelled", utcnow()
            db.session.flush()
            promoted = _promote(event)
    return rsvp, promoted


def refill(event_id):
    """Move the waitlist up after the coordinator raised the capacity; returns who was confirmed."""
    with write_transaction():
        event = _locked_event(event_id)
        return _promote(event) if event is not None else []


def rsvps_for(event):
    """Every RSVP of an event for the coordinator: confirmed, waiting, cancelled."""
    rows = db.session.scalars(select(Rsvp).where(Rsvp.event_id == event.id).order_by(Rsvp.id)).all()
    return {status: [r for r in rows if r.status == status] for status in ("confirmed", "waitlist", "cancelled")}


# --- reminders (the notifications outbox sends them) -------------------------------------

def due_event_reminders(now=None, before=REMIND_BEFORE):
    """Confirmed RSVPs of people with an account whose public event starts within `before`
    and who have not been reminded yet (each with .user and .event loaded)."""
    now = now or utcnow()
    return db.session.scalars(
        select(Rsvp).join(Event, Event.id == Rsvp.event_id)
        .where(Rsvp.status == "confirmed", Rsvp.user_id.is_not(None), Rsvp.reminded_at.is_(None),
               Event.starts_at > now, Event.starts_at <= now + before, visible(Event, now))
        .options(selectinload(Rsvp.user), selectinload(Rsvp.event)).order_by(Event.starts_at, Rsvp.id)).all()


def mark_reminded(rsvp):
    """Claim `rsvp`'s reminder; True for the one caller that got it (never twice). Not committed:
    commit together with the notification row, in the same transaction."""
    result = db.session.execute(update(Rsvp).where(Rsvp.id == rsvp.id, Rsvp.reminded_at.is_(None))
                                .values(reminded_at=utcnow()).execution_options(synchronize_session=False))
    won = result.rowcount == 1
    if won:
        set_committed_value(rsvp, "reminded_at", utcnow())
    return won
