"""Today's raw-SQL operational health (health.py before the health rollups), kept as the reference of the tests.

Straight from the donation rows, the operation log and the DDTs: one scan of
the donations posted in the period, a median of minutes to claim, the late
unclaims from the log, the distinct DDT carriers. tests/test_health_rollups.py
checks that the rollup-based health.health() gives the same on random histories.
"""
from sqlalchemy import Integer, and_, case, cast, func, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Donation, Operation, TransportDocument
from app.models.base import utcnow
from app.services.impact.scope import scope_filters

FIGURES = ("posted", "cancelled", "due", "claimed_in_time", "claimed_in_time_share", "minutes_to_claim_median",
           "expired_lots", "expired_kg", "no_shows", "active_volunteers")


def _whole_minutes(later, earlier):
    """Whole minutes from `earlier` to `later` (rounded to the second first), per dialect."""
    if db.session.get_bind().dialect.name == "sqlite":
        seconds = func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0)
        return cast(seconds, Integer) // 60
    return func.floor(func.extract("epoch", later - earlier) / 60.0)


def _late_unclaims(scope):
    """Ids of donations a volunteer gave back only after their window had closed (from the log)."""
    late = aliased(Donation)
    return (select(Operation.donation_id).join(late, late.id == Operation.donation_id)
            .where(Operation.kind == "donation.unclaim", Operation.status == "applied",
                   Operation.occurred_at >= scope.period.start, Operation.occurred_at >= late.window_end))


def _median(counted):
    """The median of values given as [(value, how many)]."""
    counted = sorted((float(v), int(n)) for v, n in counted)
    size = sum(n for _v, n in counted)
    if not size:
        return None
    wanted = [(size - 1) // 2, size // 2]
    found, seen = [], 0
    for value, n in counted:
        while wanted and wanted[0] < seen + n:
            found.append(value)
            wanted.pop(0)
        seen += n
    return sum(found) / len(found)


def health(scope, now=None):
    """The health figures of `scope` as health.health() computed them before the rollups (rota left out)."""
    now = now or utcnow()
    cancelled = Donation.status == "cancelled"
    claimed = and_(~cancelled, Donation.claimed_at.is_not(None))
    open_at_end = and_(or_(Donation.picked_up_at.is_(None), Donation.picked_up_at > Donation.window_end),
                       or_(Donation.cancelled_at.is_(None), Donation.cancelled_at >= Donation.window_end))
    no_show = and_(Donation.window_end <= now, open_at_end, or_(
        and_(Donation.claimed_at.is_not(None), Donation.claimed_at <= Donation.window_end),
        and_(Donation.claimed_at.is_(None), Donation.picked_up_at.is_(None),
             Donation.id.in_(_late_unclaims(scope)))))
    inner = select(
        case((claimed, _whole_minutes(Donation.claimed_at, Donation.posted_at))).label("minutes"),
        case((cancelled, 1), else_=0).label("cancelled"),
        case((and_(~cancelled, or_(Donation.claimed_at.is_not(None), Donation.window_end <= now)), 1),
             else_=0).label("due"),
        case((and_(claimed, Donation.claimed_at <= Donation.window_end), 1), else_=0).label("in_time"),
        case((Donation.status == "expired", 1), else_=0).label("expired"),
        case((Donation.status == "expired", Donation.kg_declared), else_=0.0).label("expired_kg"),
        case((no_show, 1), else_=0).label("no_show"),
    ).where(*scope_filters(scope, Donation.posted_at)).subquery()
    c = inner.c
    sums = (func.count().label("posted"), func.sum(c.cancelled).label("cancelled"), func.sum(c.due).label("due"),
            func.sum(c.in_time).label("in_time"), func.sum(c.expired).label("expired_lots"),
            func.sum(c.expired_kg).label("expired_kg"), func.sum(c.no_show).label("no_shows"))
    if db.session.get_bind().dialect.name == "postgresql":
        rows = db.session.execute(select(*sums, func.percentile_cont(0.5).within_group(c.minutes)
                                         .label("median"))).all()
        median = float(rows[0].median) if rows[0].median is not None else None
    else:
        rows = db.session.execute(select(c.minutes, *sums).group_by(c.minutes)).all()
        median = _median([(r.minutes, r.posted) for r in rows if r.minutes is not None])
    total = {key: sum(getattr(r, key) or 0 for r in rows)
             for key in ("posted", "cancelled", "due", "in_time", "expired_lots", "expired_kg", "no_shows")}
    due = int(total["due"])
    return {"posted": int(total["posted"]), "cancelled": int(total["cancelled"]), "due": due,
            "claimed_in_time": int(total["in_time"]),
            "claimed_in_time_share": int(total["in_time"]) / due if due else None,
            "minutes_to_claim_median": median,
            "expired_lots": int(total["expired_lots"]), "expired_kg": float(total["expired_kg"]),
            "no_shows": int(total["no_shows"]), "active_volunteers": active_volunteers(scope)}


def active_volunteers(scope):
    """Distinct volunteers who carried a DDT issued in the period (filters as the scope)."""
    query = select(func.count(func.distinct(TransportDocument.carrier_id))).where(
        TransportDocument.carrier_id.is_not(None), TransportDocument.issued_at >= scope.period.start,
        TransportDocument.issued_at < scope.period.end)
    if scope.store_id is not None:
        query = query.where(TransportDocument.store_id == scope.store_id)
    if scope.charity_id is not None:
        query = query.where(TransportDocument.recipient_id == scope.charity_id)
    if scope.category:
        query = query.join(Donation, Donation.id == TransportDocument.donation_id).where(
            Donation.category == scope.category)
    return int(db.session.scalar(query) or 0)
