"""What the rota pages read: bounded lists of slots for volunteers, stores and coordinators."""
from datetime import datetime, time, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from app.extensions import db
from app.models import Membership, Organisation, User, VolunteerProfile
from app.models.base import utcnow
from app.models.rota import Absence, PickupSchedule, Slot, SlotSignup, StandingSignup, TraineeConfirmation
from app.services.rota import fairness
from app.services.rota.recurrence import ROME, local_day

VOLUNTEER_DAYS = 14
MAX_ROWS = 300


def upcoming_slots(now=None, days=VOLUNTEER_DAYS):
    """Open slots of active schedules from now to `days` ahead (sign-ups loaded with them)."""
    now = now or utcnow()
    return db.session.scalars(select(Slot).where(
        Slot.status == "open", Slot.window_end > now, Slot.window_start <= now + timedelta(days=days))
        .options(selectinload(Slot.signups)).order_by(Slot.window_start, Slot.id).limit(MAX_ROWS)).all()


def my_next_slots(user, now=None, limit=3):
    """The volunteer's next held slots, in one statement with their store's name (the home page)."""
    now = now or utcnow()
    # The card shows the times, the state and the store's name: the schedule (and its two organisations)
    # stays out of the statement, which the planner would otherwise join five tables for.
    return db.session.scalars(select(Slot).options(
        lazyload(Slot.schedule), joinedload(Slot.store).load_only(Organisation.id, Organisation.name))
        .join(SlotSignup, SlotSignup.slot_id == Slot.id).where(
        SlotSignup.user_id == user.id, SlotSignup.status == "joined", Slot.status.in_(("open", "posted")),
        Slot.window_end > now).order_by(Slot.window_start).limit(limit)).all()


def my_standing(user):
    """The volunteer's standing sign-ups still running."""
    return db.session.scalars(select(StandingSignup).where(
        StandingSignup.user_id == user.id, StandingSignup.ended_at.is_(None)).order_by(StandingSignup.id)).all()


def my_absences(user, now=None):
    """The volunteer's absences not yet over."""
    today = local_day(now or utcnow())
    return db.session.scalars(select(Absence).where(Absence.user_id == user.id, Absence.date_to >= today)
                              .order_by(Absence.date_from)).all()


def active_schedules(store_id=None):
    """Active schedules (of one store, or all), by store."""
    query = select(PickupSchedule).where(PickupSchedule.status == "active")
    if store_id is not None:
        query = query.where(PickupSchedule.store_id == store_id)
    return db.session.scalars(query.order_by(PickupSchedule.store_id, PickupSchedule.id).limit(MAX_ROWS)).all()


def proposals(store_id=None):
    """Store proposals waiting for a coordinator."""
    query = select(PickupSchedule).where(PickupSchedule.status == "proposed")
    if store_id is not None:
        query = query.where(PickupSchedule.store_id == store_id)
    return db.session.scalars(query.order_by(PickupSchedule.created_at).limit(MAX_ROWS)).all()


def today_for_store(store_id, now=None):
    """The store's slots of today (Italian day), with who is coming."""
    today = local_day(now or utcnow())
    return db.session.scalars(select(Slot).where(Slot.store_id == store_id, Slot.day == today)
                              .options(selectinload(Slot.signups)).order_by(Slot.window_start)).all()


def week_start(day):
    return day - timedelta(days=day.weekday())


def week_view(monday):
    """Every store's slots of the week starting `monday`: empty ones first, then by time."""
    start = datetime.combine(monday, time(0, 0), ROME)
    slots = db.session.scalars(select(Slot).where(
        Slot.window_start >= start, Slot.window_start < start + timedelta(days=7), Slot.status != "cancelled")
        .options(selectinload(Slot.signups)).order_by(Slot.window_start).limit(MAX_ROWS * 3)).all()
    return sorted(slots, key=lambda s: (s.status != "open" or bool(s.joined), s.window_start))


def trainees():
    """Approved volunteers still in training (fewer than the trial pickups, not confirmed)."""
    rules = fairness.settings()
    if not rules.trial_pickups:
        return []
    # One statement: each approved, unconfirmed volunteer's pickups, counted through the
    # indexes and only up to the trial number (enough to tell a trainee), at any network size.
    done = fairness.completed_pickups_sql(User.id, cap=rules.trial_pickups).label("done")
    inner = (select(User.id.label("user_id"), done).join(VolunteerProfile, VolunteerProfile.user_id == User.id)
             .where(VolunteerProfile.status == "approved", User.deleted_at.is_(None),
                    ~exists().where(TraineeConfirmation.user_id == User.id)).subquery())
    rows = db.session.execute(select(User, inner.c.done).join(inner, inner.c.user_id == User.id)
                              .where(inner.c.done < rules.trial_pickups).order_by(User.name, User.id)
                              .limit(MAX_ROWS)).all()
    return [(user, int(done)) for user, done in rows]


def store_of(user):
    """The store the user acts for (None for others)."""
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id,
                                                            Membership.role == "store"))
    return membership.organisation if membership else None


def recent_for_charity(charity_id, now=None, days=2):
    """Slots of the schedules bringing food to this charity, from `days` ago to tomorrow."""
    now = now or utcnow()
    return db.session.scalars(select(Slot).join(PickupSchedule, PickupSchedule.id == Slot.schedule_id).where(
        PickupSchedule.recipient_id == charity_id, Slot.status != "cancelled",
        Slot.window_start >= now - timedelta(days=days), Slot.window_start <= now + timedelta(days=1))
        .options(selectinload(Slot.signups)).order_by(Slot.window_start.desc()).limit(MAX_ROWS)).all()


def export(user):
    """The user's rota data, for the GDPR export (accounts.EXPORTERS)."""
    signups = db.session.execute(select(Slot, SlotSignup).join(SlotSignup, SlotSignup.slot_id == Slot.id)
                                 .where(SlotSignup.user_id == user.id).order_by(Slot.window_start)).all()
    return "rota", {
        "signups": [{"store": slot.store.name, "start": slot.window_start.isoformat(), "status": signup.status,
                     "standing": signup.standing_id is not None, "reason": signup.reason}
                    for slot, signup in signups],
        "standing": [{"store": s.schedule.store.name, "weekday": s.weekday, "since": s.created_at.isoformat(),
                      "ended": s.ended_at.isoformat() if s.ended_at else None}
                     for s in db.session.scalars(select(StandingSignup).where(StandingSignup.user_id == user.id))],
        "absences": [{"from": a.date_from.isoformat(), "to": a.date_to.isoformat(), "note": a.note}
                     for a in db.session.scalars(select(Absence).where(Absence.user_id == user.id))],
    }
