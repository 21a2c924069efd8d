"""Fairness of the rota: the weekly cap per volunteer, and trial pickups for newcomers.

Checked inside the operations (slot.join, slot.standing) so the API, the forms
and the offline queue obey the same rules; pages call the same functions to
say, before the tap, why a slot cannot be joined.
"""
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import Donation
from app.models.rota import RotaSettings, Slot, SlotSignup, TraineeConfirmation
from app.services.ops.core import Refused
from app.services.rota.recurrence import ROME


def settings():
    """The network's rota rules (defaults from the configuration until a coordinator sets them)."""
    from flask import current_app

    row = db.session.get(RotaSettings, 1)
    if row is None:
        config = current_app.config
        row = RotaSettings(id=1, weekly_cap=config.get("ROTA_WEEKLY_CAP", 0),
                           cap_lift_hours=config.get("ROTA_CAP_LIFT_HOURS", 24),
                           trial_pickups=config.get("ROTA_TRIAL_PICKUPS", 3))
    return row


def week_bounds(day):
    """The aware UTC bounds of the Monday-to-Sunday week (Europe/Rome) of `day`."""
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0, 0), ROME)
    return start, datetime.combine(monday + timedelta(days=7), time(0, 0), ROME)


def signups_in_week(user_id, day, excluding_slot=None):
    """How many slots the volunteer holds in the week of `day`."""
    start, end = week_bounds(day)
    query = (select(func.count()).select_from(SlotSignup).join(Slot, Slot.id == SlotSignup.slot_id)
             .where(SlotSignup.user_id == user_id, SlotSignup.status == "joined",
                    Slot.window_start >= start, Slot.window_start < end, Slot.status != "cancelled"))
    if excluding_slot is not None:
        query = query.where(Slot.id != excluding_slot)
    return db.session.scalar(query) or 0


def cap_lifted(slot, now, rules=None):
    """True when the cap no longer applies to `slot`: still empty, starting within the lift hours."""
    rules = rules or settings()
    empty = not any(s.status == "joined" for s in slot.signups)
    return empty and slot.window_start - now <= timedelta(hours=rules.cap_lift_hours)


def cap_blocker(user, slot, now, rules=None):
    """Refused("weekly_cap") when joining `slot` would exceed the weekly cap, else None."""
    rules = rules or settings()
    if not rules.weekly_cap or cap_lifted(slot, now, rules):
        return None
    if signups_in_week(user.id, slot.day, excluding_slot=slot.id) < rules.weekly_cap:
        return None
    return Refused("weekly_cap", _(
        "Hai già %(n)d ritiri questa settimana, il massimo fissato dal coordinamento per dare spazio a "
        "tutti. Se un ritiro è ancora senza volontari %(h)d ore prima, il limite non vale più.",
        n=rules.weekly_cap, h=rules.cap_lift_hours))


def completed_pickups(user_id):
    """Pickups the volunteer has really made (the crates left the store with them)."""
    # The holder is cleared at receipt; the claim stays on the donation.
    return db.session.scalar(select(func.count()).select_from(Donation).where(
        or_(Donation.holder_id == user_id, Donation.claimed_by_id == user_id),
        Donation.picked_up_at.is_not(None))) or 0


def is_experienced(user_id, rules=None):
    """At least the trial number of completed pickups, or confirmed by a coordinator."""
    rules = rules or settings()
    if not rules.trial_pickups:
        return True
    if db.session.get(TraineeConfirmation, user_id) is not None:
        return True
    return completed_pickups(user_id) >= rules.trial_pickups


def trial_blocker(user, slot, rules=None):
    """Refused("trial_needs_experienced") for a volunteer in training on a slot with no experienced one."""
    rules = rules or settings()
    if is_experienced(user.id, rules):
        return None
    if any(s.status == "joined" and s.user_id != user.id and is_experienced(s.user_id, rules)
           for s in slot.signups):
        return None
    return Refused("trial_needs_experienced", _(
        "Sei in affiancamento: per i primi %(k)d ritiri puoi iscriverti solo dove c'è già un volontario "
        "esperto. Scegli un turno con un esperto iscritto.", k=rules.trial_pickups))
