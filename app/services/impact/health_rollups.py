"""Keeps the health rollups (app/models/rollup.py) exact: in the operation's transaction, and by rebuild.

Every donation has a `HealthSource` row: its Rome posting month, its cell
(store, charity, category), its 0/1 figures under health()'s definitions and
its DDT's carrier and month. The figures that depend on the clock are stored
as they are once the window is over (`no_show`) or with what they lack while
it is open (`unclaimed` for `due`); health.py subtracts the few donations whose
window has not ended yet, so the rollups never need a job that runs on time.

`sync_health` is called by rollups.sync_donation (the engine's subscriber) after
every applied operation on a donation: it computes the donation's row with the
same SQL expressions as `rebuild` (one SELECT over the donation, its DDT and its
applied unclaims), compares it with the stored row and moves the difference in
`HealthMonth`, `HealthMinutes`, `VolunteerMonth` and `VolunteerSpan`. The
operation being applied is not in the log yet: an unclaim passes its own
instant (`unclaimed_at`) so a late one counts at once.
"""
from collections import Counter

from sqlalchemy import (Date, Integer, and_, case, cast, delete, func, insert, literal, or_, select, text,
                        type_coerce, union_all)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import Donation, Operation, TransportDocument
from app.models.base import UTCDateTime
from app.models.rollup import (ALL_CATEGORIES, NO_MONTH, NONE_ID, HealthMinutes, HealthMonth, HealthSource,
                               VolunteerMonth, VolunteerSpan)
from app.services.impact import periods

FIGURES = ("cancelled", "unclaimed", "in_time", "expired", "expired_kg", "minutes", "no_show")
SOURCE = ("donation_id", "month", "posted_at", "window_end", "store_id", "charity_id", "category", *FIGURES,
          "carrier_id", "ddt_month")
# HealthMonth's counts and the HealthSource column each one sums.
COUNTS = (("posted", None), ("cancelled", "cancelled"), ("unclaimed", "unclaimed"), ("in_time", "in_time"),
          ("expired_lots", "expired"), ("expired_kg", "expired_kg"), ("no_shows", "no_show"))
TABLES = (HealthSource, HealthMonth, HealthMinutes, VolunteerMonth, VolunteerSpan)
LOCK_NAMESPACE = 17017  # pg_advisory_xact_lock(namespace, carrier): one carrier's presence changes at a time


def _dialect():
    return db.session.get_bind().dialect.name


def whole_minutes(later, earlier):
    """Whole minutes from `earlier` to `later` (rounded to the second first), per dialect."""
    if _dialect() == "sqlite":
        seconds = func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0)
        return cast(seconds, Integer) // 60
    return func.floor(func.extract("epoch", later - earlier) / 60.0)


def _rome_month(column):
    """SQL for the 1st of the Rome month of a timestamp column (PostgreSQL)."""
    return cast(func.date_trunc("month", func.timezone(periods.ROME.key, column)), Date)


def _month_of(instant):
    """The 1st of the Rome month of an aware instant (None stays None)."""
    return periods.rome_date(instant).replace(day=1) if instant is not None else None


def _source_columns(last_unclaim):
    """The HealthSource columns of a donation joined with its DDT, as SQL (health()'s definitions).

    `last_unclaim` is the instant of the donation's last applied unclaim (NULL
    without one): a claim given back at or after window_end still held the food.
    """
    d = Donation
    cancelled = d.status == "cancelled"
    claimed = and_(~cancelled, d.claimed_at.is_not(None))
    open_at_end = and_(or_(d.picked_up_at.is_(None), d.picked_up_at > d.window_end),
                       or_(d.cancelled_at.is_(None), d.cancelled_at >= d.window_end))
    no_show = and_(open_at_end, or_(
        and_(d.claimed_at.is_not(None), d.claimed_at <= d.window_end),
        and_(d.claimed_at.is_(None), d.picked_up_at.is_(None), last_unclaim >= d.window_end)))
    return [d.id.label("donation_id"), d.posted_at.label("posted_at"), d.window_end.label("window_end"),
            d.store_id.label("store_id"), func.coalesce(d.recipient_id, NONE_ID).label("charity_id"),
            d.category.label("category"),
            case((cancelled, 1), else_=0).label("cancelled"),
            case((and_(~cancelled, d.claimed_at.is_(None)), 1), else_=0).label("unclaimed"),
            case((and_(claimed, d.claimed_at <= d.window_end), 1), else_=0).label("in_time"),
            case((d.status == "expired", 1), else_=0).label("expired"),
            case((d.status == "expired", d.kg_declared), else_=0.0).label("expired_kg"),
            case((claimed, whole_minutes(d.claimed_at, d.posted_at))).label("minutes"),
            case((no_show, 1), else_=0).label("no_show"),
            func.coalesce(TransportDocument.carrier_id, NONE_ID).label("carrier_id"),
            TransportDocument.issued_at.label("issued_at")]


def _applied_unclaims():
    return and_(Operation.kind == "donation.unclaim", Operation.status == "applied")


def _all_sources_select():
    """SELECT of every donation's HealthSource columns (months left to the caller), for rebuild and checks.

    The last unclaims come from one grouped pass over the log's unclaims, not a lookup per donation.
    """
    unclaims = (select(Operation.donation_id, func.max(Operation.occurred_at).label("at"))
                .where(_applied_unclaims()).group_by(Operation.donation_id).subquery())
    return (select(*_source_columns(type_coerce(unclaims.c.at, UTCDateTime)))
            .outerjoin(TransportDocument, TransportDocument.donation_id == Donation.id)
            .outerjoin(unclaims, unclaims.c.donation_id == Donation.id))


def _as_source(row):
    """A HealthSource dict from a row of _source_columns (Rome months computed here)."""
    values = {key: getattr(row, key) for key in SOURCE if key not in ("month", "ddt_month")}
    values["minutes"] = int(values["minutes"]) if values["minutes"] is not None else None
    values["expired_kg"] = float(values["expired_kg"])
    values["month"] = _month_of(row.posted_at)
    values["ddt_month"] = _month_of(row.issued_at) if row.carrier_id != NONE_ID else None
    return values


def expected(donation_id, unclaimed_at=None):
    """The HealthSource values donation `donation_id` should have now (None when it does not exist)."""
    last = (select(func.max(Operation.occurred_at)).where(Operation.donation_id == Donation.id, _applied_unclaims())
            .scalar_subquery())
    if unclaimed_at is not None:  # the unclaim being applied, not logged yet
        last = case((last > unclaimed_at, last), else_=literal(unclaimed_at, UTCDateTime))
    row = db.session.execute(select(*_source_columns(last))
                             .outerjoin(TransportDocument, TransportDocument.donation_id == Donation.id)
                             .where(Donation.id == donation_id)).first()
    return _as_source(row) if row is not None else None


def stored(donation_id):
    """The HealthSource values recorded for donation `donation_id`, or None."""
    row = db.session.execute(select(*(getattr(HealthSource, k) for k in SOURCE))
                             .where(HealthSource.donation_id == donation_id)).first()
    return dict(row._mapping) if row is not None else None


# --- moving a donation's contribution -----------------------------------------------------------------

def _upsert():
    return pg_insert if _dialect() == "postgresql" else sqlite_insert


def _bump(model, key, deltas, size):
    """Add `deltas` to the cell `key` of `model` (created when missing); drop it when `size` falls to 0."""
    statement = _upsert()(model).values(**key, **deltas)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=list(key), set_={k: getattr(model, k) + statement.excluded[k] for k in deltas}))
    if deltas[size] < 0:
        db.session.execute(delete(model).where(*(getattr(model, k) == v for k, v in key.items()),
                                               getattr(model, size) <= 0))


def _cell_deltas(source, sign, cells, minutes):
    """Add one donation's HealthMonth and HealthMinutes deltas (sign -1 takes them away)."""
    key = (source["month"], source["category"])
    cell = cells.setdefault(key, Counter())
    for name, column in COUNTS:
        cell[name] += sign * (1 if column is None else source[column])
    if source["minutes"] is not None:
        for category in (source["category"], ALL_CATEGORIES):
            minutes[(source["month"], category, source["minutes"])] += sign


def _presence(source):
    """The VolunteerMonth keys (carrier, category, month) a donation's DDT counts in, or []."""
    if source is None or source["carrier_id"] == NONE_ID or source["ddt_month"] is None:
        return []
    return [(source["carrier_id"], category, source["ddt_month"])
            for category in (source["category"], ALL_CATEGORIES)]


def _pairs(months):
    """A carrier's (prev_month, month) pairs of consecutive active months."""
    ordered = sorted(months)
    return Counter(zip([NO_MONTH] + ordered[:-1], ordered))


def _move_presence(old, new):
    """Move a donation's DDT from the presence it had to the one it has now, keeping the spans exact."""
    moves = Counter(_presence(new))
    moves.subtract(_presence(old))
    moves = {key: n for key, n in moves.items() if n}
    if not moves:
        return
    carriers = sorted({carrier for carrier, _c, _m in moves})
    if _dialect() == "postgresql":
        # The spans depend on all of a carrier's months: one transaction per carrier at a time
        # (taken in id order, so two transactions never wait for each other).
        for carrier in carriers:
            db.session.execute(text("SELECT pg_advisory_xact_lock(:ns, :carrier)"),
                               {"ns": LOCK_NAMESPACE, "carrier": carrier})
    groups = {(carrier, category) for carrier, category, _m in moves}
    have = {}
    for carrier, category, month, ddts in db.session.execute(
            select(VolunteerMonth.carrier_id, VolunteerMonth.category, VolunteerMonth.month, VolunteerMonth.ddts)
            .where(VolunteerMonth.carrier_id.in_(carriers))):
        if (carrier, category) in groups:
            have[(carrier, category, month)] = ddts
    for (carrier, category) in sorted(groups):
        before = [m for (c, k, m), n in have.items() if (c, k) == (carrier, category) and n > 0]
        changes = {m: n for (c, k, m), n in moves.items() if (c, k) == (carrier, category)}
        for month, n in sorted(changes.items()):
            _bump(VolunteerMonth, {"carrier_id": carrier, "category": category, "month": month}, {"ddts": n}, "ddts")
        after = [m for m in set(before) | set(changes) if have.get((carrier, category, m), 0) + changes.get(m, 0) > 0]
        spans = _pairs(after)
        spans.subtract(_pairs(before))
        for (prev, month), n in sorted(spans.items()):
            if n:
                _bump(VolunteerSpan, {"category": category, "month": month, "prev_month": prev}, {"carriers": n},
                      "carriers")


def sync_health(donation_id, unclaimed_at=None):
    """Make the health rollups count donation `donation_id` as it is now (no-op when already so)."""
    new = expected(donation_id, unclaimed_at)
    old = stored(donation_id)
    if old == new:
        return False
    cells, minutes = {}, Counter()
    if old is not None:
        _cell_deltas(old, -1, cells, minutes)
    if new is not None:
        _cell_deltas(new, +1, cells, minutes)
    for (month, category), deltas in sorted(cells.items()):
        if any(deltas.values()):
            _bump(HealthMonth, {"month": month, "category": category}, dict(deltas), "posted")
    for (month, category, value), n in sorted(minutes.items()):
        if n:
            _bump(HealthMinutes, {"month": month, "category": category, "minutes": value}, {"lots": n}, "lots")
    _move_presence(old, new)
    if new is None:
        db.session.execute(delete(HealthSource).where(HealthSource.donation_id == donation_id))
    else:
        statement = _upsert()(HealthSource).values(**new)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=["donation_id"], set_={k: statement.excluded[k] for k in SOURCE if k != "donation_id"}))
    return True


# --- rebuild and checks -----------------------------------------------------------------------------

def _counts_select():
    """SELECT summing HealthSource into HealthMonth cells."""
    s = HealthSource
    sums = [func.count() if column is None else func.sum(getattr(s, column)) for _name, column in COUNTS]
    return select(s.month, s.category, *sums).group_by(s.month, s.category)


def _minutes_select():
    """SELECT of the minutes histogram, per category and over every category."""
    s = HealthSource
    claimed = s.minutes.is_not(None)
    per_category = select(s.month, s.category, s.minutes, func.count()).where(claimed) \
        .group_by(s.month, s.category, s.minutes)
    every = select(s.month, literal(ALL_CATEGORIES), s.minutes, func.count()).where(claimed) \
        .group_by(s.month, s.minutes)
    return union_all(per_category, every)


def _presence_select():
    """SELECT of every (carrier, category, month) DDT count, per category and over every category."""
    s = HealthSource
    carried = and_(s.carrier_id != NONE_ID, s.ddt_month.is_not(None))
    per_category = select(s.carrier_id, s.category, s.ddt_month, func.count()).where(carried) \
        .group_by(s.carrier_id, s.category, s.ddt_month)
    every = select(s.carrier_id, literal(ALL_CATEGORIES), s.ddt_month, func.count()).where(carried) \
        .group_by(s.carrier_id, s.ddt_month)
    return union_all(per_category, every)


def _spans_select():
    """SELECT of VolunteerSpan from VolunteerMonth: each active month with the carrier's previous one."""
    v = VolunteerMonth
    previous = func.lag(v.month).over(partition_by=(v.carrier_id, v.category), order_by=v.month)
    months = select(v.category, v.month, func.coalesce(previous, literal(NO_MONTH, Date)).label("prev")) \
        .where(v.ddts > 0).subquery()
    return select(months.c.category, months.c.month, type_coerce(months.c.prev, Date), func.count()) \
        .group_by(months.c.category, months.c.month, months.c.prev)


CELLS = ((HealthMonth, ["month", "category", *(name for name, _c in COUNTS)], _counts_select),
         (HealthMinutes, ["month", "category", "minutes", "lots"], _minutes_select),
         (VolunteerMonth, ["carrier_id", "category", "month", "ddts"], _presence_select),
         (VolunteerSpan, ["category", "month", "prev_month", "carriers"], _spans_select))


def sum_cells():
    """(Re)fill the health cells, the volunteers' presence and spans from HealthSource (in this order)."""
    for model, columns, source in CELLS:
        db.session.execute(delete(model))
        db.session.execute(insert(model).from_select(columns, source()))


def rebuild(batch=5000):
    """Recompute HealthSource from the donations, DDTs and log, then every cell; returns the donations counted."""
    db.session.execute(delete(HealthSource))
    if _dialect() == "postgresql":
        inner = _all_sources_select().subquery()
        carried = inner.c.carrier_id != NONE_ID
        rows = select(inner.c.donation_id, _rome_month(inner.c.posted_at), inner.c.posted_at, inner.c.window_end,
                      inner.c.store_id, inner.c.charity_id, inner.c.category,
                      *(inner.c[k] for k in FIGURES), inner.c.carrier_id,
                      case((carried, _rome_month(inner.c.issued_at))))
        db.session.execute(insert(HealthSource).from_select(list(SOURCE), rows))
    else:
        # SQLite has no time zones: the Rome months are computed in Python, a batch at a time.
        found = []
        for row in db.session.execute(_all_sources_select().execution_options(yield_per=batch)):
            found.append(_as_source(row))
            if len(found) >= batch:
                db.session.execute(insert(HealthSource), found)
                found = []
        if found:
            db.session.execute(insert(HealthSource), found)
    sum_cells()
    return db.session.scalar(select(func.count()).select_from(HealthSource))


def differences():
    """Donations whose recorded HealthSource differs from what they should have now (catch-up check)."""
    want = {row.donation_id: _as_source(row) for row in db.session.execute(_all_sources_select())}
    wrong = []
    for row in db.session.execute(select(*(getattr(HealthSource, k) for k in SOURCE))):
        if want.pop(row.donation_id, None) != dict(row._mapping):
            wrong.append(row.donation_id)
    return sorted(wrong + list(want))


def cell_differences(tolerance=1e-6):
    """Health cells that are not the sums of the HealthSource rows (or of the presence, for spans)."""
    wrong = []
    for model, columns, source in CELLS:
        width = len(model.__table__.primary_key.columns)
        keys, amounts = columns[:width], columns[width:]
        want = {tuple(row[:width]): row[width:] for row in db.session.execute(source())}
        for cell in db.session.scalars(select(model)):
            name = tuple(getattr(cell, k) for k in keys)
            expected_amounts = want.pop(name, None)
            have = [getattr(cell, k) for k in amounts]
            if expected_amounts is None or any(abs(float(a) - float(b)) > tolerance
                                               for a, b in zip(have, expected_amounts)):
                wrong.append((model.__tablename__, name))
        wrong += [(model.__tablename__, name) for name in want]
    return wrong
