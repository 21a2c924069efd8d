"""Fairness of the rota: the weekly cap per volunteer, and trial pickups for newcomers.

Checked inside the operations (slot.join, slot.standing) so the API, the forms
and the offline queue obey the same rules; pages call the same functions to
say, before the tap, why a slot cannot be joined.
"""
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, text, union

from app.extensions import db
from app.models import Donation
from app.models.donation import HOLDER_TRANSFER
from app.models.rota import Absence, RotaSettings, Slot, SlotSignup, TraineeConfirmation
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


class Lookups:
    """Reads about one volunteer, remembered across the many slots of a page.

    The engine never uses it (each operation reads afresh, inside its lock);
    the rota page does, so explaining 300 slots costs a handful of statements.
    """

    def __init__(self, user):
        self.user, self._weeks, self._experienced, self._absences = user, {}, {}, None

    def week_count(self, day):
        monday = day - timedelta(days=day.weekday())
        if monday not in self._weeks:
            self._weeks[monday] = signups_in_week(self.user.id, day)
        return self._weeks[monday]

    def experienced(self, user_id, rules):
        if user_id not in self._experienced:
            self._experienced[user_id] = is_experienced(user_id, rules)
        return self._experienced[user_id]

    def prime(self, user_ids, rules):
        """Decide at once (two statements) who of `user_ids` is experienced."""
        wanted = [u for u in set(user_ids) if u not in self._experienced]
        if not wanted:
            return
        if not rules.trial_pickups:
            self._experienced.update((u, True) for u in wanted)
            return
        confirmed = set(db.session.scalars(select(TraineeConfirmation.user_id).where(
            TraineeConfirmation.user_id.in_(wanted))))
        # The same count as completed_pickups (claimed or held, picked up), for everyone at once:
        # UNION drops a donation counted twice for one person.
        # A donation held by its own claimer is already counted by the claim: only transfers are read
        # for the holder (the partial index ix_donation_holder_transfer holds just those).
        pairs = union(*(select(Donation.id.label("donation_id"), column.label("user_id")).where(
            column.in_(wanted), Donation.picked_up_at.is_not(None), *extra)
            for column, extra in ((Donation.claimed_by_id, ()), (Donation.holder_id, (text(HOLDER_TRANSFER),))))
        ).subquery()
        done = dict(db.session.execute(select(pairs.c.user_id, func.count()).group_by(pairs.c.user_id)).all())
        for user_id in wanted:
            self._experienced[user_id] = user_id in confirmed or done.get(user_id, 0) >= rules.trial_pickups

    def absent(self, day):
        if self._absences is None:
            self._absences = db.session.execute(select(Absence.date_from, Absence.date_to).where(
                Absence.user_id == self.user.id)).all()
        return any(first <= day <= last for first, last in self._absences)


def cap_blocker(user, slot, now, rules=None, lookups=None):
    """Refused("weekly_cap") when joining `slot` would exceed the weekly cap, else None."""
    rules = rules or settings()
    if not rules.weekly_cap or cap_lifted(slot, now, rules):
        return None
    held = lookups.week_count(slot.day) if lookups else signups_in_week(user.id, slot.day, excluding_slot=slot.id)
    if held < rules.weekly_cap:
        return None
    return Refused("weekly_cap", _(
        "Hai già %(n)d ritiri questa settimana, il massimo fissato dal coordinamento per dare spazio a "
        "tutti. Se un ritiro è ancora senza volontari %(h)d ore prima, il limite non vale più.",
        n=rules.weekly_cap, h=rules.cap_lift_hours))


def completed_pickups_sql(user_id, cap=None):
    """SQL counting the pickups volunteer `user_id` (a value or a column) has really made.

    The crates left the store with them: claimed by them, or held by them without
    their claim (a custody transfer; the holder is cleared at receipt, the claim
    stays). Two disjoint indexed counts rather than an OR, which would scan the
    table (the second reads the small partial index of transfers); with `cap`, each
    stops at `cap` rows (a sum under `cap` is exact).
    """
    picked = Donation.picked_up_at.is_not(None)
    parts = (select(Donation.id).where(Donation.claimed_by_id == user_id, picked).correlate_except(Donation),
             select(Donation.id).where(Donation.holder_id == user_id, picked, text(HOLDER_TRANSFER))
             .correlate_except(Donation))
    counts = [select(func.count()).select_from((part.limit(cap) if cap else part).subquery()).scalar_subquery()
              for part in parts]
    return counts[0] + counts[1]


def completed_pickups(user_id):
    """Pickups the volunteer has really made (the crates left the store with them)."""
    return db.session.scalar(select(completed_pickups_sql(user_id))) or 0


def is_experienced(user_id, rules=None):
    """At least the trial number of completed pickups, or confirmed by a coordinator."""
    rules = rules or settings()
    if not rules.trial_pickups:
        return True
    if db.session.get(TraineeConfirmation, user_id) is not None:
        return True
    return completed_pickups(user_id) >= rules.trial_pickups


def trial_blocker(user, slot, rules=None, lookups=None):
    """Refused("trial_needs_experienced") for a volunteer in training on a slot with no experienced one."""
    rules = rules or settings()
    experienced = (lambda uid: lookups.experienced(uid, rules)) if lookups else (lambda uid: is_experienced(uid, rules))
    if experienced(user.id):
        return None
    if any(s.status == "joined" and s.user_id != user.id and experienced(s.user_id) for s in slot.signups):
        return None
    return Refused("trial_needs_experienced", _(
        "Sei in affiancamento: per i primi %(k)d ritiri puoi iscriverti solo dove c'è già un volontario "
        "esperto. Scegli un turno con un esperto iscritto.", k=rules.trial_pickups))
