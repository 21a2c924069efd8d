"""Which charity should receive a donation: hard rules first, then fairness, then distance.

The proposal is made in two steps.

1. **Hard rules** (a charity failing one is not eligible):
   - it is an *active* charity;
   - it accepts the donation's category (`Organisation.categories_accepted`);
   - it has cold storage when the donation needs the cold chain (chilled, frozen);
   - it is *open at or after the window*: one of its receiving slots overlaps
     the interval [window_start, horizon), where
     horizon = min(window_end + RECEIVING_GRACE_HOURS (default 14 h),
                   00:00 of the second day after the day window_end falls on).
     In words: the volunteer can hand the food over while the pickup runs or
     within the next hours, the same day or the next. Receiving hours are
     `[[weekday 0-6 (0 = Monday), "HH:MM", "HH:MM"], ...]` in Europe/Rome local
     time, so daylight-saving changes are handled; "24:00" closes at midnight.
     Slots are half-open intervals, so a slot that closes exactly when the
     window starts does not count.

2. **Order** of the eligible charities:
   - by *load*: kg received in the last RECIPIENT_LOAD_DAYS (default 30) days
     divided by `people_served_week` (taken as 1 when unset), lowest first.
     Counted: donations with that recipient in status picked_up, delivered or
     received, weighed kg when known (else declared kg), dated by pickup time
     (else posting time);
   - then by *distance* from the store (great circle, `app.geo.distance_km`),
     nearest first; a charity without coordinates comes after those with;
   - then by id, so the result never depends on the database's whim.

The first is proposed; the clerk may choose any other eligible charity, and a
coordinator may reassign (donation.reassign), also to a charity that fails the
hard rules if they confirm the override.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.domain import category_label
from app.extensions import db
from app.geo import distance_km
from app.models import Donation, Organisation
from app.models.base import utcnow
from app.services.food.donations import ROME

LOAD_STATUSES = ("picked_up", "delivered", "received")


@dataclass
class Candidate:
    """An eligible charity with the figures that ordered it."""

    org: Organisation
    kg_recent: float
    load: float  # kg per person served per week
    distance_km: float | None

    @property
    def key(self):
        far = self.distance_km if self.distance_km is not None else float("inf")
        return (round(self.load, 9), far, self.org.id)


def _slot_bounds(day, start, end):
    """Local datetimes of a slot 'HH:MM'-'HH:MM' on `day` ('24:00' is next midnight)."""
    def at(text):
        hours, minutes = (int(part) for part in text.split(":"))
        if hours == 24:
            return datetime.combine(day + timedelta(days=1), time(0, 0), ROME)
        return datetime.combine(day, time(hours, minutes), ROME)

    return at(start), at(end)


def horizon(window_end):
    """The last moment (exclusive) at which a charity may still receive this donation."""
    grace = timedelta(hours=current_app.config["RECEIVING_GRACE_HOURS"])
    end_day = window_end.astimezone(ROME).date()
    cap = datetime.combine(end_day + timedelta(days=2), time(0, 0), ROME)
    return min(window_end + grace, cap)


def receives_during(org, window_start, window_end):
    """True when one of `org`'s receiving slots overlaps [window_start, horizon(window_end))."""
    until = horizon(window_end)
    day, last = window_start.astimezone(ROME).date(), until.astimezone(ROME).date()
    while day <= last:
        for weekday, start, end in org.receiving_hours or []:
            if weekday != day.weekday():
                continue
            try:
                opens, closes = _slot_bounds(day, start, end)
            except (ValueError, AttributeError):
                continue  # a malformed slot never makes a charity eligible
            if opens < until and closes > window_start:
                return True
        day += timedelta(days=1)
    return False


def ineligibility(org, category, needs_cold, window_start, window_end):
    """Italian reasons why `org` may not receive this donation (empty list: eligible)."""
    reasons = []
    if org is None or org.kind != "charity":
        return [_("non è un ente beneficiario della rete")]
    if not org.active:
        reasons.append(_("l'ente non è attivo"))
    if category not in (org.categories_accepted or []):
        reasons.append(_("non accetta «%(category)s»", category=category_label(category)))
    if needs_cold and not org.cold_storage:
        reasons.append(_("non ha celle o frigoriferi per la catena del freddo"))
    if window_start and window_end and not receives_during(org, window_start, window_end):
        reasons.append(_("non riceve durante il ritiro né nelle ore successive"))
    return reasons


def recent_kg(now=None):
    """{charity id: kg received in the last RECIPIENT_LOAD_DAYS days} (weighed, else declared)."""
    now = now or utcnow()
    since = now - timedelta(days=current_app.config["RECIPIENT_LOAD_DAYS"])
    when = func.coalesce(Donation.picked_up_at, Donation.posted_at)
    rows = db.session.execute(
        select(Donation.recipient_id, func.sum(func.coalesce(Donation.received_kg, Donation.kg_declared)))
        .where(Donation.recipient_id.is_not(None), Donation.status.in_(LOAD_STATUSES), when >= since)
        .group_by(Donation.recipient_id)).all()
    return {recipient_id: float(kg or 0) for recipient_id, kg in rows}


def candidates(store, category, needs_cold, window_start, window_end, now=None):
    """Every charity eligible by the hard rules, in the order of the proposal (see module doc)."""
    charities = db.session.scalars(select(Organisation).where(
        Organisation.kind == "charity", Organisation.active.is_(True))).all()
    kg = recent_kg(now)
    found = []
    for org in charities:
        if ineligibility(org, category, needs_cold, window_start, window_end):
            continue
        received = kg.get(org.id, 0.0)
        found.append(Candidate(org=org, kg_recent=received,
                               load=received / max(org.people_served_week or 0, 1),
                               distance_km=distance_km(store.coords if store else None, org.coords)))
    return sorted(found, key=lambda c: c.key)


def propose(store, category, needs_cold, window_start, window_end, now=None):
    """The charity to propose, or None when no charity is eligible."""
    found = candidates(store, category, needs_cold, window_start, window_end, now)
    return found[0].org if found else None
