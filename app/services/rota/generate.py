"""Slots generated ahead from the schedules, idempotently.

The unique key (schedule, day) and INSERT ... ON CONFLICT DO NOTHING make two
workers (or a worker and a coordinator's edit) harmless to each other: a slot
is created once, and only the transaction that created it fills in the
standing sign-ups that hold its weekday.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db, write_transaction
from app.models.base import utcnow
from app.models.rota import Absence, PickupSchedule, Slot, SlotSignup, StandingSignup
from app.services.rota import recurrence
from app.worker import job


def horizon(now):
    """The last local day slots are generated for (ROTA_WEEKS_AHEAD weeks ahead)."""
    weeks = current_app.config.get("ROTA_WEEKS_AHEAD", 4)
    return recurrence.local_day(now) + timedelta(days=7 * weeks)


def _insert(rows):
    """Insert slot rows, skipping existing (schedule, day); returns the ids of the new ones."""
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (insert(Slot).values(rows).on_conflict_do_nothing(index_elements=["schedule_id", "day"])
                 .returning(Slot.id))
    return list(db.session.scalars(statement))


def generate_schedule(schedule, now):
    """Create the missing slots of one schedule up to the horizon; returns the new slots."""
    if schedule.status != "active":
        return []
    today = recurrence.local_day(now)
    days = recurrence.occurrences(schedule, today, horizon(now))
    existing = set(db.session.scalars(select(Slot.day).where(Slot.schedule_id == schedule.id,
                                                             Slot.day >= today)))
    rows = []
    for day in days:
        if day in existing:
            continue
        start, end = recurrence.window(schedule, day)
        if end <= now:
            continue
        rows.append({"schedule_id": schedule.id, "store_id": schedule.store_id, "day": day, "window_start": start,
                     "window_end": end, "places": schedule.places, "status": "open", "created_at": now})
    new_ids = _insert(rows)
    if not new_ids:
        return []
    slots = db.session.scalars(select(Slot).where(Slot.id.in_(new_ids)).order_by(Slot.day)).all()
    _fill_standing(schedule, slots, now)
    return slots


def _fill_standing(schedule, slots, now):
    """Standing sign-ups of this schedule take their weekday's new slots (places permitting)."""
    standing = db.session.scalars(select(StandingSignup).where(
        StandingSignup.schedule_id == schedule.id, StandingSignup.ended_at.is_(None))
        .order_by(StandingSignup.id)).all()
    if not standing:
        return
    from app.services.rota import fairness

    for slot in slots:
        taken = 0
        for held in standing:
            if held.weekday != slot.day.weekday() or taken >= slot.places:
                continue
            if is_absent(held.user_id, slot.day) or fairness.cap_blocker(held.user, slot, now):
                continue
            db.session.add(SlotSignup(slot_id=slot.id, user_id=held.user_id, status="joined",
                                      standing_id=held.id, joined_at=now))
            taken += 1
    db.session.flush()


def is_absent(user_id, day):
    """True when the volunteer declared an absence covering `day`."""
    return db.session.scalar(select(Absence.id).where(
        Absence.user_id == user_id, Absence.date_from <= day, Absence.date_to >= day).limit(1)) is not None


def generate_all(now=None):
    """Generate every active schedule's slots, each schedule in its own write transaction."""
    now = now or utcnow()
    ids = list(db.session.scalars(select(PickupSchedule.id).where(PickupSchedule.status == "active")))
    db.session.commit()
    created = 0
    for schedule_id in ids:
        with write_transaction():
            schedule = db.session.get(PickupSchedule, schedule_id)
            created += len(generate_schedule(schedule, now))
    return created


@job("rota_generate_slots", every=3600)
def _generate_job():
    """The hourly job: slots ROTA_WEEKS_AHEAD weeks ahead (Karrot's weeks_in_advance)."""
    return generate_all()
