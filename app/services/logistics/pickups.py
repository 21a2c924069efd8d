"""Reading pickups: open pickups near a volunteer, my pickups, incoming deliveries, the board.

Only reads (and flag resolution, which is not donation state). Every change to
a donation goes through app.services.ops.
"""
import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, case, false, func, or_, select, text, true, union
from sqlalchemy.orm import contains_eager, joinedload, lazyload, load_only, selectinload

from app.extensions import db
from app.geo import distance_km
from app.models import Crate, Donation, Flag, Organisation, User
from app.models.base import utcnow
from app.services.ops import rules
from app.services.food.donations import MAX_WINDOW
from app.services.ops.pickups import TAKEN

ROME = rules.ROME
MAX_PAGE = 10_000  # a page number beyond any list (and within PostgreSQL's OFFSET)
# The volunteers shown beside each donation, loaded for the whole list at once (not one per row).
# Only their name and phone are shown: their memberships and profiles are not loaded with them.
WITH_PEOPLE = (selectinload(Donation.claimed_by).options(lazyload(User.memberships), lazyload(User.volunteer)),)
ACTIVE = ("claimed", "picked_up", "delivered")
# What a pickup card shows of an organisation (open_pickups loads only these).
CARD_ORG = (Organisation.id, Organisation.kind, Organisation.name, Organisation.address, Organisation.municipality,
            Organisation.lat, Organisation.lon, Organisation.notes)
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


@dataclass
class OfferPage:
    """One page of open pickups: the offers, the page number, whether more follow, the radius used."""

    offers: list
    page: int
    has_next: bool
    radius_km: float | None  # None: the volunteer has no base, so the list is by time, not distance


def bounding_box(base, radius_km):
    """(lat_min, lat_max, lon_min, lon_max) around `base` enclosing a circle of `radius_km`.

    A degree of latitude is ~111.2 km everywhere; a degree of longitude shrinks with
    cos(latitude), taken at the box's edge nearest the pole so the box never cuts the circle.
    """
    lat, lon = base
    dlat = radius_km / 111.2
    edge = min(89.0, abs(lat) + dlat)
    dlon = radius_km / (111.2 * math.cos(math.radians(edge)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def claim_counts(user):
    """(active, claimed): this volunteer's donations still to do, and those only claimed, in one query."""
    row = db.session.execute(select(
        func.count(), func.coalesce(func.sum(case((Donation.status == "claimed", 1), else_=0)), 0))
        .where(Donation.claimed_by_id == user.id, Donation.status.in_(ACTIVE))).one()
    return int(row[0]), int(row[1])


def held_pickups(user):
    """The donations this volunteer still holds (claimed, on board, delivered), crates loaded, in one query.

    A volunteer holds a handful at most (MAX_OPEN_CLAIMS plus what is on board), so
    the home page counts them from this list and the offline prefetch reuses it.
    """
    # Only what the home page counts and the prefetch list links (ids, states, crate tokens): no store or
    # charity joined, no wide rows; anything else read from these objects would be loaded on access.
    return db.session.scalars(select(Donation).options(
        load_only(Donation.id, Donation.status, Donation.window_start, Donation.claimed_by_id),
        lazyload(Donation.store), lazyload(Donation.recipient),
        joinedload(Donation.crates).load_only(Crate.id, Crate.donation_id, Crate.n, Crate.token))
        .where(Donation.claimed_by_id == user.id, Donation.status.in_(ACTIVE))
        .order_by(Donation.window_start, Donation.id)).unique().all()


def open_pickups(user, now=None, days=2, page=1, claimed=None):
    """Posted donations of today and tomorrow still open within the volunteer's radius, nearest first.

    Bounded whatever the network's size: the stores come from an indexed
    bounding box of PICKUP_RADIUS_KM around the volunteer's base (stores with
    no coordinates too, as the demo and manual entries may lack them), the
    exact distance is computed on those few rows only, and the list is cut in
    pages of PICKUP_PAGE_SIZE. A volunteer with no base gets the network's
    offers by window start, a page at a time (LIMIT/OFFSET over today and
    tomorrow's open donations). Chilled and frozen lots are hidden from
    volunteers without cold transport. The window end filter keeps a donation
    the worker has not expired yet out of the list. `claimed` (open claims of
    the volunteer, if already counted) saves a query.
    """
    now = now or utcnow()
    config = current_app.config
    size = int(config.get("PICKUP_PAGE_SIZE", 20))
    radius = float(config.get("PICKUP_RADIUS_KM", 50))
    page = min(max(1, page), MAX_PAGE)
    _start, horizon = local_day_bounds(rules.local_date(now) + timedelta(days=days - 1))
    open_now = [Donation.status == "posted", Donation.window_end > now, Donation.window_start < horizon]
    profile = getattr(user, "volunteer", None)
    if profile is None or not profile.cold_transport:
        open_now += [Donation.storage == "ambient", Donation.needs_cold.is_(False)]
    # The card shows the store's and the charity's name, address, coordinates and notes only: their other
    # columns (opening hours, accepted categories: JSON decoded row by row) stay in the database.
    query = select(Donation).join(Donation.store).options(contains_eager(Donation.store).load_only(*CARD_ORG),
                                                          joinedload(Donation.recipient).load_only(*CARD_ORG))
    base = profile.base if profile else None
    if base is None:
        rows = db.session.scalars(query.where(*open_now).order_by(Donation.window_start, Donation.id)
                                  .limit(size + 1).offset((page - 1) * size)).unique().all()
        found = [(None, d) for d in rows]
    else:
        lat_min, lat_max, lon_min, lon_max = bounding_box(base, radius)
        near = Organisation.lat.between(lat_min, lat_max) & Organisation.lon.between(lon_min, lon_max)
        in_box = near | Organisation.lat.is_(None) | Organisation.lon.is_(None)
        if db.session.get_bind().dialect.name == "postgresql":
            # Store by store (LATERAL, fenced by OFFSET 0): the box's few hundred stores through the
            # coordinates index, then each one's open donations through ix_donation_store_status_window.
            # Left to itself the planner starts from the network's open donations (8,000 at national
            # size), as it multiplies the chances of "posted" and of a window still open, which go together.
            unplaced = Organisation.lat.is_(None) | Organisation.lon.is_(None)  # ix_organisation_unplaced
            stores = union(select(Organisation.id).where(near), select(Organisation.id).where(unplaced)).subquery("box")
            each = select(Donation.id).where(Donation.store_id == stores.c.id, *open_now).offset(0).lateral("open")
            rows = db.session.scalars(query.where(Donation.id.in_(select(each.c.id).select_from(stores)
                                                                  .join(each, true())))).unique()
        else:
            rows = db.session.scalars(query.where(in_box, *open_now)).unique()
        found = [(distance_km(base, d.store.coords), d) for d in rows]
        found = [(km, d) for km, d in found if km is None or km <= radius]
        far = float("inf")
        found.sort(key=lambda f: (f[0] if f[0] is not None else far, f[1].window_start, f[1].id))
        found = found[(page - 1) * size:page * size + 1]
    limit = rules.claims_limit_blocker(rules.open_claims(user.id) if claimed is None else claimed) \
        if rules.volunteer_blocker(user) is None else None
    offers = []
    for km, donation in found[:size]:
        blocker = (rules.claim_blocker(user, donation, now, count_claims=False) or limit
                   or rules.use_by_blocker(donation, now))
        offers.append(Offer(donation, km, blocker))
    return OfferPage(offers, page, len(found) > size, radius if base is not None else None)


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
    """(on_the_way, scheduled, received): deliveries for a charity, most urgent first (one query)."""
    now = now or utcnow()
    rows = db.session.scalars(select(Donation).options(*WITH_PEOPLE).where(
        Donation.recipient_id == org.id, or_(
            Donation.status.in_(("picked_up", "delivered")),
            Donation.status.in_(("posted", "claimed")) & (Donation.window_end > now),
            (Donation.status == "received") & (Donation.received_at >= now - timedelta(days=recent_days))))).all()
    on_the_way = sorted((d for d in rows if d.status in ("picked_up", "delivered")), key=lambda d: d.picked_up_at)
    scheduled = sorted((d for d in rows if d.status in ("posted", "claimed")), key=lambda d: d.window_start)
    received = sorted((d for d in rows if d.status == "received"), key=lambda d: d.received_at, reverse=True)
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


BOARD_ROWS = 20  # rows of one state on the board; the rest are a link away


@dataclass
class Board:
    """One day of the coordinator's board: what needs looking at, and each state's first rows.

    `counts` are the day's totals per state (flagged rows excluded, as on the page);
    `groups` hold at most `limit` rows per state, `more` says whether more follow.
    """

    flagged: list
    groups: dict
    counts: dict
    more: dict

    @property
    def total(self):
        return len(self.flagged) + sum(self.counts.values())


def _on_day(start, end):
    """Donations whose pickup window touches [start, end).

    Windows last at most MAX_WINDOW (checked when a donation is posted or edited), so
    such a window ends within [start, end + MAX_WINDOW): a range of the window_end
    index, whatever the size of the history.
    """
    return (Donation.window_end >= start, Donation.window_end < end + MAX_WINDOW, Donation.window_start < end)


def _in_province(province):
    if not province:
        return ()
    return (Donation.store_id.in_(select(Organisation.id).where(Organisation.province == province)),)


def board(now=None, day=None, province=None, status=None, page=1, limit=None):
    """One day of the board for the coordinator (a Board), optionally one province's stores.

    A donation is on a day's board when its window touches the day, or when it has an
    open flag (whatever its day), so nothing flagged is lost overnight. Flagged rows
    (open flags, claims whose window ended without a pickup) are all shown on top;
    the others are grouped by state, `limit` per state (`status` and `page`: one
    state's rows from the page-th `limit` on). Reads are bounded by the day, never by
    the history: four statements plus the claimers, at any network size.
    """
    now = now or utcnow()
    limit = limit or BOARD_ROWS
    start, end = local_day_bounds(day or rules.local_date(now))
    day_rows = (*_on_day(start, end), *_in_province(province))
    open_flags = db.session.scalars(select(Flag).where(
        Flag.resolved_at.is_(None), *(() if not province else (Flag.donation_id.in_(
            select(Donation.id).where(*_in_province(province))),)))
        .order_by(Flag.created_at)).all()
    overdue = and_(Donation.status == "claimed", Donation.window_end < now)
    flagged_ids = {f.donation_id for f in open_flags}
    not_flagged = (Donation.id.not_in(flagged_ids),) if flagged_ids else ()
    counts = {status_: 0 for status_ in BOARD_ORDER}
    counts.update(db.session.execute(select(Donation.status, func.count()).where(
        *day_rows, ~overdue, *not_flagged).group_by(Donation.status)).all())
    # Each state's first rows (from the page-th), in one statement: numbered per state.
    offset = (min(max(page, 1), MAX_PAGE) - 1) * limit if status else 0
    rank = func.row_number().over(partition_by=Donation.status,
                                  order_by=(Donation.window_start, Donation.id)).label("rank")
    ranked = select(Donation.id, rank).where(*day_rows, ~overdue, *not_flagged, *(
        (Donation.status == status,) if status else ())).subquery()
    # One IN over a UNION (not an OR of three conditions), so each part keeps its index.
    wanted = [select(ranked.c.id).where(ranked.c.rank > offset, ranked.c.rank <= offset + limit),
              select(Donation.id).where(*day_rows, overdue)]
    if flagged_ids:
        wanted.append(select(Donation.id).where(Donation.id.in_(flagged_ids)))
    # A board row shows the store's, the charity's and the volunteer's names only.
    donations = db.session.scalars(select(Donation).options(
        joinedload(Donation.store).load_only(Organisation.id, Organisation.name),
        joinedload(Donation.recipient).load_only(Organisation.id, Organisation.name),
        selectinload(Donation.claimed_by).options(load_only(User.id, User.name), lazyload(User.memberships),
                                                  lazyload(User.volunteer))).where(Donation.id.in_(union(*wanted)))
                                   .order_by(Donation.window_start, Donation.id)).all()
    by_donation = {}
    for flag in open_flags:
        by_donation.setdefault(flag.donation_id, []).append(flag)
    flagged, groups = [], {status_: [] for status_ in BOARD_ORDER}
    for donation in donations:
        row = BoardRow(donation, by_donation.get(donation.id, []),
                       donation.status == "claimed" and donation.window_end < now)
        if row.flags or row.overdue:
            flagged.append(row)
        else:
            groups[donation.status].append(row)
    flagged.sort(key=lambda r: (min((f.created_at for f in r.flags), default=now), r.donation.id))
    more = {status_: counts[status_] > offset + len(groups[status_]) for status_ in BOARD_ORDER}
    return Board(flagged, groups, counts, more)


# The provinces of the stores, one probe of ix_organisation_kind_province each (a skip scan):
# a DISTINCT read all 30,000 stores at the national size (4 ms), this reads about 110 index entries.
_STORE_PROVINCES = text("""
WITH RECURSIVE found(province) AS (
    SELECT min(province) FROM organisation WHERE kind = 'store' AND province > ''
    UNION ALL
    SELECT (SELECT min(o.province) FROM organisation o WHERE o.kind = 'store' AND o.province > found.province)
    FROM found WHERE found.province IS NOT NULL)
SELECT province FROM found WHERE province IS NOT NULL ORDER BY province""")


def board_provinces():
    """The provinces of the network's stores, for the board's filter (a hundred at most in Italy)."""
    return list(db.session.scalars(_STORE_PROVINCES))


def resolve_flag(flag, user, now=None):
    """Mark a flag as handled by a coordinator (it leaves the top of the board); commits."""
    if flag.resolved_at is None:
        flag.resolved_at = now or utcnow()
        flag.resolved_by_id = user.id
        db.session.commit()
    return flag

