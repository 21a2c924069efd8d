"""Which charity should receive a donation: hard rules first, then fairness, then distance.

The proposal is made in two steps.

1. **Hard rules** (a charity failing one is not eligible):
   - it is an *active* charity;
   - it accepts the donation's category (`Organisation.categories_accepted`);
   - it has cold storage when the donation needs the cold chain (chilled, frozen);
   - it has a signed agreement in force on the day (when AGREEMENTS_REQUIRED);
   - it is not closed (holidays, summer closure) nor "full until" on the day
     the window starts, and the food fits its declared capacity: kg per day
     (donations whose window ends that day), kg per week (Monday-Sunday) and,
     for cold food, cold crates per day; every donation not cancelled or
     expired counts, from the moment it is posted;
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
     plus kg committed to it, divided by `people_served_week` (taken as 1 when
     unset), lowest first. Received: donations with that recipient in status
     picked_up, delivered or received, weighed kg when known (else declared
     kg), dated by pickup time (else posting time). Committed: donations
     posted or claimed for it whose window has not ended yet, so ten
     donations posted in the same hour spread in proportion to people served;
   - the needs board bends the load: a category the charity wants more of
     this week halves it, one it wants less of doubles it;
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
from app.models import CharityCapacity, Donation, Organisation
from app.models.base import utcnow
from app.services.food.donations import ROME
from app.services.partners import agreements, capacity as capacities
from app.services.people import directory

LOAD_STATUSES = ("picked_up", "delivered", "received")
COMMITTED_STATUSES = ("posted", "claimed")
# Everything that will reach (or reached) the charity counts against its capacity.
CAPACITY_STATUSES = COMMITTED_STATUSES + LOAD_STATUSES
NEED_FACTOR = {1: 0.5, 0: 1.0, -1: 2.0}
NEARBY_POOL = 60  # charities nearest to the store whose eligibility forms check (nearby_candidates)
NEARBY_SHOWN = 15  # eligible ones a form offers before its search


@dataclass
class Candidate:
    """An eligible charity with the figures that ordered it."""

    org: Organisation
    kg_recent: float
    load: float  # kg (received + committed) per person served per week, bent by the needs board
    distance_km: float | None
    kg_committed: float = 0.0
    people: int = 0
    need: int = 0  # +1 wanted more, -1 wanted less

    @property
    def key(self):
        far = self.distance_km if self.distance_km is not None else float("inf")
        return (round(self.load, 9), -self.need, far, self.org.id)

    def figures(self):
        """The figures the coordinator reads beside the proposal (kept in the operation's result)."""
        return {"id": self.org.id, "name": self.org.name, "kg_recent": round(self.kg_recent, 1),
                "kg_committed": round(self.kg_committed, 1), "people": self.people,
                "load": round(self.load, 3), "need": self.need,
                "distance_km": round(self.distance_km, 1) if self.distance_km is not None else None}


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


def receives_during(org, window_start, window_end, capacity=None):
    """True when one of `org`'s receiving slots overlaps [window_start, horizon(window_end)).

    Slots on the charity's closure days do not count.
    """
    until = horizon(window_end)
    day, last = window_start.astimezone(ROME).date(), until.astimezone(ROME).date()
    while day <= last:
        if capacities.closure_on(capacity, day):
            day += timedelta(days=1)
            continue
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


def _local_bounds(first_day, last_day):
    """UTC instants of 00:00 Rome on `first_day` and of the midnight after `last_day`."""
    return (datetime.combine(first_day, time(0, 0), ROME),
            datetime.combine(last_day + timedelta(days=1), time(0, 0), ROME))


def _kg_between(ids, start, end, exclude_id=None, cold_crates=False):
    """{charity id: kg (or cold crates)} of donations for them whose window ends in [start, end)."""
    if not ids:
        return {}
    amount = (func.sum(Donation.crates_count) if cold_crates
              else func.sum(func.coalesce(Donation.received_kg, Donation.kg_declared)))
    query = (select(Donation.recipient_id, amount)
             .where(Donation.recipient_id.in_(ids), Donation.status.in_(CAPACITY_STATUSES),
                    Donation.window_end >= start, Donation.window_end < end).group_by(Donation.recipient_id))
    if cold_crates:
        query = query.where(Donation.needs_cold.is_(True))
    if exclude_id:
        query = query.where(Donation.id != exclude_id)
    return {recipient_id: float(kg or 0) for recipient_id, kg in db.session.execute(query).all()}


class Facts:
    """What the hard rules read for a set of charities on one day, fetched in a few queries."""

    def __init__(self, orgs, window_start, window_end, exclude_id=None):
        ids = [o.id for o in orgs if o is not None]
        self.day = window_start.astimezone(ROME).date() if window_start else None
        end_day = window_end.astimezone(ROME).date() if window_end else self.day
        self.capacity = {}
        self.covered = set()
        self.day_kg = self.week_kg = self.day_cold = {}
        if not ids or self.day is None:
            return
        self.capacity = {c.organisation_id: c for c in db.session.scalars(
            select(CharityCapacity).where(CharityCapacity.organisation_id.in_(ids)))}
        self.covered = agreements.covered_ids(ids, self.day) if agreements.required() else set(ids)
        limited = [i for i, c in self.capacity.items() if c.kg_day or c.kg_week or c.cold_crates]
        self.day_kg = _kg_between(limited, *_local_bounds(end_day, end_day), exclude_id)
        self.week_kg = _kg_between(limited, *_local_bounds(*capacities.week_bounds(end_day)), exclude_id)
        self.day_cold = _kg_between(limited, *_local_bounds(end_day, end_day), exclude_id, cold_crates=True)


def ineligibility(org, category, needs_cold, window_start, window_end, kg=None, crates=None, exclude_id=None,
                  facts=None):
    """Italian reasons why `org` may not receive this donation (empty list: eligible).

    `kg` and `crates` (of this donation) are checked against the declared capacity;
    `exclude_id` leaves a donation being edited out of what is already committed.
    """
    reasons = []
    if org is None or org.kind != "charity":
        return [_("non è un ente beneficiario della rete")]
    if not org.active:
        reasons.append(_("l'ente non è attivo"))
    if category not in (org.categories_accepted or []):
        reasons.append(_("non accetta «%(category)s»", category=category_label(category)))
    if needs_cold and not org.cold_storage:
        reasons.append(_("non ha celle o frigoriferi per la catena del freddo"))
    facts = facts or Facts([org], window_start, window_end, exclude_id)
    capacity = facts.capacity.get(org.id)
    if facts.day is not None:
        reasons += _partner_reasons(org, capacity, facts, kg, crates, needs_cold)
    if window_start and window_end and not receives_during(org, window_start, window_end, capacity):
        reasons.append(_("non riceve durante il ritiro né nelle ore successive"))
    return reasons


def _partner_reasons(org, capacity, facts, kg, crates, needs_cold):
    """Reasons from the agreement, the closures, "full until" and the declared capacity."""
    reasons = []
    if org.id not in facts.covered:
        reasons.append(_("non ha una convenzione firmata e in corso"))
    closure = capacities.closure_on(capacity, facts.day)
    if closure:
        reasons.append(_("è chiuso dal %(start)s al %(end)s", start=_short(closure["from"]), end=_short(closure["to"])))
    if capacities.full_on(capacity, facts.day):
        reasons.append(_("ha detto di essere pieno fino al %(day)s", day=_short(capacity.full_until.isoformat())))
    if capacity is None or kg is None:
        return reasons
    if capacity.kg_day and facts.day_kg.get(org.id, 0.0) + float(kg) > capacity.kg_day + 1e-9:
        reasons.append(_("supera la sua capacità di %(kg)s kg al giorno", kg=_kg(capacity.kg_day)))
    if capacity.kg_week and facts.week_kg.get(org.id, 0.0) + float(kg) > capacity.kg_week + 1e-9:
        reasons.append(_("supera la sua capacità di %(kg)s kg alla settimana", kg=_kg(capacity.kg_week)))
    if needs_cold and crates and capacity.cold_crates is not None and capacity.cold_crates > 0 \
            and facts.day_cold.get(org.id, 0.0) + int(crates) > capacity.cold_crates:
        reasons.append(_("non ha più posto in frigo (%(n)d cassette al giorno)", n=capacity.cold_crates))
    return reasons


def _short(iso_day):
    day = datetime.fromisoformat(iso_day).date() if isinstance(iso_day, str) else iso_day
    return day.strftime("%d/%m/%Y")


def _kg(value):
    return f"{value:g}".replace(".", ",")


def _recipients(ids):
    """The condition on Donation.recipient_id: any charity, or only those of `ids` (a bounded pool)."""
    return Donation.recipient_id.is_not(None) if ids is None else Donation.recipient_id.in_(ids)


def recent_kg(now=None, ids=None):
    """{charity id: kg received in the last RECIPIENT_LOAD_DAYS days} (weighed, else declared); `ids` narrows."""
    now = now or utcnow()
    since = now - timedelta(days=current_app.config["RECIPIENT_LOAD_DAYS"])
    when = func.coalesce(Donation.picked_up_at, Donation.posted_at)
    rows = db.session.execute(
        select(Donation.recipient_id, func.sum(func.coalesce(Donation.received_kg, Donation.kg_declared)))
        .where(_recipients(ids), Donation.status.in_(LOAD_STATUSES), when >= since)
        .group_by(Donation.recipient_id)).all()
    return {recipient_id: float(kg or 0) for recipient_id, kg in rows}


def committed_kg(now=None, exclude_id=None, ids=None):
    """{charity id: kg posted or claimed for it whose pickup window has not ended yet}; `ids` narrows."""
    now = now or utcnow()
    query = (select(Donation.recipient_id, func.sum(Donation.kg_declared))
             .where(_recipients(ids), Donation.status.in_(COMMITTED_STATUSES),
                    Donation.window_end > now).group_by(Donation.recipient_id))
    if exclude_id:
        query = query.where(Donation.id != exclude_id)
    return {recipient_id: float(kg or 0) for recipient_id, kg in db.session.execute(query).all()}


def candidates(store, category, needs_cold, window_start, window_end, now=None, kg=None, crates=None,
               exclude_id=None, pool=None):
    """Every charity eligible by the hard rules, in the order of the proposal (see module doc).

    `pool` (charities) limits the search to them, e.g. the nearest to the store (see nearby_candidates).
    """
    if pool is None:
        charities = db.session.scalars(select(Organisation).where(
            Organisation.kind == "charity", Organisation.active.is_(True))).all()
        ids = None
    else:
        charities, ids = list(pool), [org.id for org in pool]
    facts = Facts(charities, window_start, window_end, exclude_id)
    received, committed = recent_kg(now, ids), committed_kg(now, exclude_id, ids)
    found = []
    for org in charities:
        if ineligibility(org, category, needs_cold, window_start, window_end, kg, crates, exclude_id, facts):
            continue
        people = max(org.people_served_week or 0, 1)
        need = capacities.preference(facts.capacity.get(org.id), category)
        total = received.get(org.id, 0.0) + committed.get(org.id, 0.0)
        found.append(Candidate(org=org, kg_recent=received.get(org.id, 0.0), load=total / people * NEED_FACTOR[need],
                               distance_km=distance_km(store.coords if store else None, org.coords),
                               kg_committed=committed.get(org.id, 0.0), people=org.people_served_week or 0,
                               need=need))
    return sorted(found, key=lambda c: c.key)


def nearby_candidates(store, category, needs_cold, window_start, window_end, now=None, kg=None, crates=None,
                      exclude_id=None, limit=NEARBY_SHOWN):
    """The first `limit` eligible charities among the NEARBY_POOL nearest to the store, in the proposal's order.

    Bounded whatever the network's size (forms show these, and search the others):
    the pool comes from the database nearest first, then the hard rules and the
    order of `candidates` apply to those charities only.
    """
    pool = directory.nearest("charity", store.coords if store else None, NEARBY_POOL, objects=True)
    return candidates(store, category, needs_cold, window_start, window_end, now, kg, crates, exclude_id,
                      pool=pool)[:limit]


def propose(store, category, needs_cold, window_start, window_end, now=None, kg=None, crates=None,
            exclude_id=None):
    """The charity to propose, or None when no charity is eligible."""
    found = candidates(store, category, needs_cold, window_start, window_end, now, kg, crates, exclude_id)
    return found[0].org if found else None
