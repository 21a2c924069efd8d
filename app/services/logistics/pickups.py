"""Reading pickups: open pickups near a volunteer, my pickups, incoming deliveries, the board.

Only reads (and flag resolution, which is not donation state). Every change to
a donation goes through app.services.ops.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import false, or_, select

from app.extensions import db
from app.geo import distance_km
from app.models import Donation, Flag
from app.models.base import utcnow
from app.services.ops import rules
from app.services.ops.pickups import TAKEN

ROME = rules.ROME
ACTIVE = ("claimed", "picked_up", "delivered")
BOARD_ORDER = ("posted", "claimed", "picked_up", "delivered", "received", "cancelled", "expired")


def local_day_bounds(day):
    """[00:00, 24:00) of an Italian calendar day, as aware UTC datetimes."""
    start = datetime.combine(day, time.min, tzinfo=ROME)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=ROME)


@dataclass
class Offer:
    """An open pickup as a volunteer sees it: how far, and what (if anything) stops them."""

    donation: Donation
    distance_km: float | None
    blocker: object = None  # a Refused explaining why this volunteer cannot claim it


def open_pickups(user, now=None, days=2):
    """Posted donations of today and tomorrow still open, nearest first from the volunteer's base.

    Chilled and frozen lots are hidden from volunteers without cold transport.
    The window end filter keeps a donation the worker has not expired yet out of the list.
    """
    now = now or utcnow()
    _start, horizon = local_day_bounds(rules.local_date(now) + timedelta(days=days - 1))
    query = (select(Donation).where(Donation.status == "posted", Donation.window_end > now,
                                    Donation.window_start < horizon))
    profile = getattr(user, "volunteer", None)
    if profile is None or not profile.cold_transport:
        query = query.where(Donation.storage == "ambient", Donation.needs_cold.is_(False))
    base = profile.base if profile else None
    offers = []
    for donation in db.session.scalars(query):
        blocker = rules.claim_blocker(user, donation, now) or rules.use_by_blocker(donation, now)
        offers.append(Offer(donation, distance_km(base, donation.store.coords), blocker))
    far = float("inf")
    offers.sort(key=lambda o: (o.distance_km if o.distance_km is not None else far,
                               o.donation.window_start, o.donation.id))
    return offers


def my_pickups(user, now=None, recent_days=14):
    """(active, done): what this volunteer must still do, and what they did lately."""
    now = now or utcnow()
    active = db.session.scalars(select(Donation).where(
        Donation.claimed_by_id == user.id, Donation.status.in_(ACTIVE))
        .order_by(Donation.window_start)).all()
    done = db.session.scalars(select(Donation).where(
        Donation.claimed_by_id == user.id, Donation.status == "received",
        Donation.received_at >= now - timedelta(days=recent_days))
        .order_by(Donation.received_at.desc())).all()
    return active, done


def incoming(org, now=None, recent_days=7):
    """(on_the_way, scheduled, received): deliveries for a charity, most urgent first."""
    now = now or utcnow()
    on_the_way = db.session.scalars(select(Donation).where(
        Donation.recipient_id == org.id, Donation.status.in_(("picked_up", "delivered")))
        .order_by(Donation.picked_up_at)).all()
    scheduled = db.session.scalars(select(Donation).where(
        Donation.recipient_id == org.id, Donation.status.in_(("posted", "claimed")),
        Donation.window_end > now).order_by(Donation.window_start)).all()
    received = db.session.scalars(select(Donation).where(
        Donation.recipient_id == org.id, Donation.status == "received",
        Donation.received_at >= now - timedelta(days=recent_days))
        .order_by(Donation.received_at.desc())).all()
    return on_the_way, scheduled, received


def taken_crates(donation):
    """The crates that left the store (what the charity should find)."""
    return [c for c in donation.crates if c.status in TAKEN]


def staged_crates(donation, user_id):
    """Crates this volunteer scanned for a pickup not confirmed yet, or already took."""
    return [c for c in donation.crates
            if c.status in TAKEN or (c.status == "at_store" and c.picked_up_by_id == user_id)]


@dataclass
class BoardRow:
    """A donation on the coordinator's board with its open flags."""

    donation: Donation
    flags: list
    overdue: bool  # claimed but the window is over: a possible no-show


def board(now=None, day=None):
    """Today's donations for the coordinator: (flagged rows, {status: rows}).

    A donation is on today's board when its window touches today, or when it
    has an open flag (whatever its day), so nothing flagged is lost overnight.
    """
    now = now or utcnow()
    start, end = local_day_bounds(day or rules.local_date(now))
    open_flags = db.session.scalars(select(Flag).where(Flag.resolved_at.is_(None))
                                    .order_by(Flag.created_at)).all()
    flagged_ids = {f.donation_id for f in open_flags}
    donations = db.session.scalars(select(Donation).where(or_(
        Donation.id.in_(flagged_ids) if flagged_ids else false(),
        (Donation.window_start < end) & (Donation.window_end >= start)))
        .order_by(Donation.window_start, Donation.id)).all()
    by_donation = {}
    for flag in open_flags:
        by_donation.setdefault(flag.donation_id, []).append(flag)
    flagged, groups = [], {status: [] for status in BOARD_ORDER}
    for donation in donations:
        row = BoardRow(donation, by_donation.get(donation.id, []),
                       donation.status == "claimed" and donation.window_end < now)
        if row.flags or row.overdue:
            flagged.append(row)
        else:
            groups[donation.status].append(row)
    flagged.sort(key=lambda r: (min((f.created_at for f in r.flags), default=now), r.donation.id))
    return flagged, groups


def resolve_flag(flag, user, now=None):
    """Mark a flag as handled by a coordinator (it leaves the top of the board); commits."""
    if flag.resolved_at is None:
        flag.resolved_at = now or utcnow()
        flag.resolved_by_id = user.id
        db.session.commit()
    return flag

