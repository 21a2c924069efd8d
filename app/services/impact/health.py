"""Operational health of the network: claimed in time, time to claim, expired food, no-shows.

Read from the health rollups (app/models/rollup.py, kept exact in each
operation's transaction by health_rollups.py): the network's monthly cells by
posting month and category, and their histogram of minutes to claim for the
median; a store's, charity's or volunteer's figures from its own HealthSource
rows through an index (a store posts a few hundred donations a year). Two
figures depend on the clock: the rollups hold them as they are once the window
is over, and one small query over the donations whose window is still open
(ix_health_source_window_end) takes the difference. Active volunteers come from
VolunteerSpan network-wide, from the DDTs of the store or charity otherwise.
Definitions are in health()'s docstring and on the dashboard;
tests/test_health_rollups.py proves them equal to the raw SQL of
tests/health_reference.py on random histories.
"""
from sqlalchemy import case, func, select, true

from app.extensions import db
from app.models import Donation, TransportDocument
from app.models.base import utcnow
from app.models.rollup import ALL_CATEGORIES, HealthMinutes, HealthMonth, HealthSource, VolunteerSpan
from app.models.rota import Slot, SlotSignup
from app.services.impact import periods

# (figure, HealthMonth count) of the network's cells.
COUNTS = ("posted", "cancelled", "unclaimed", "in_time", "expired_lots", "expired_kg", "no_shows")


def health(scope, now=None):
    """Operational figures for the donations posted in the period (one scan).

    - due: not cancelled, and either claimed or with the pickup window over
      (a lot still open and unclaimed is not judged yet);
    - claimed_in_time: due lots held by a claim made before window_end (the
      claim on the donation; a claim given back does not count);
    - minutes_to_claim_median: median whole minutes from posting to that claim;
    - expired_kg / expired_lots: lots whose window ended unclaimed (status expired);
    - no_shows: lots whose window is over and that, when it ended, were held by
      a volunteer's claim made before window_end, yet were not picked up by
      window_end nor cancelled before it. "Held" is the claim still on the
      donation, or one the log shows was given back (unclaim) only after
      window_end;
    - active_volunteers: distinct carriers of the DDTs issued in the period
      (pickup date), with the same store/charity/category filters.

    Network-wide the figures come from the monthly cells (one statement, the
    open windows' correction and the active volunteers included) and the
    minutes histogram; with a store, charity or volunteer, from its rows.
    """
    now = now or utcnow()
    if scope.store_id is None and scope.charity_id is None and scope.volunteer_id is None:
        total, minutes, active = _network(scope, now)
    else:
        total, minutes = _scoped(scope, now)
        active = active_volunteers(scope)
    due = int(total["due"])
    return {"posted": int(total["posted"]), "cancelled": int(total["cancelled"]), "due": due,
            "claimed_in_time": int(total["in_time"]),
            "claimed_in_time_share": int(total["in_time"]) / due if due else None,
            "minutes_to_claim_median": _median(minutes),
            "expired_lots": int(total["expired_lots"]), "expired_kg": float(total["expired_kg"]),
            "no_shows": int(total["no_shows"]), "active_volunteers": active,
            **rota_health(scope.period.start, scope.period.end, scope.store_id)}


def _months(scope):
    """(first month, month after the period) as the DATEs the monthly cells are keyed by."""
    return periods.rome_date(scope.period.start), periods.rome_date(scope.period.end)


def _network(scope, now):
    """(totals, minutes histogram, active volunteers) of the whole network, optionally one category."""
    first, after = _months(scope)
    m, s, v = HealthMonth, HealthSource, VolunteerSpan
    cells = select(*(func.coalesce(func.sum(getattr(m, k)), 0).label(k) for k in COUNTS)).where(
        m.month >= first, m.month < after, *([m.category == scope.category] if scope.category else []))
    # Donations whose window is still open: not judged yet (due) and no no-show yet.
    waiting = select(func.coalesce(func.sum(s.unclaimed), 0).label("waiting"),
                     func.coalesce(func.sum(s.no_show), 0).label("not_yet")).where(
        s.window_end > now, s.posted_at >= scope.period.start, s.posted_at < scope.period.end,
        *([s.category == scope.category] if scope.category else []))
    active = select(func.coalesce(func.sum(v.carriers), 0).label("active")).where(
        v.category == (scope.category or ALL_CATEGORIES), v.month >= first, v.month < after, v.prev_month < first)
    cells, waiting, active = cells.subquery(), waiting.subquery(), active.subquery()
    row = db.session.execute(select(cells, waiting, active).select_from(cells).join(waiting, true())
                             .join(active, true())).one()
    total = {k: getattr(row, k) for k in COUNTS}
    total["due"] = row.posted - row.cancelled - row.waiting
    total["no_shows"] = row.no_shows - row.not_yet
    h = HealthMinutes
    minutes = db.session.execute(select(h.minutes, func.sum(h.lots)).where(
        h.month >= first, h.month < after, h.category == (scope.category or ALL_CATEGORIES))
        .group_by(h.minutes)).all()
    return total, minutes, int(row.active)


def _scoped(scope, now):
    """(totals, minutes histogram) of a store's, charity's or volunteer's donations, from their rows."""
    s = HealthSource
    where = [s.posted_at >= scope.period.start, s.posted_at < scope.period.end]
    if scope.store_id is not None:
        where.append(s.store_id == scope.store_id)
    if scope.charity_id is not None:
        where.append(s.charity_id == scope.charity_id)
    if scope.category:
        where.append(s.category == scope.category)
    if scope.volunteer_id is not None:
        where.append(s.donation_id.in_(select(TransportDocument.donation_id)
                                       .where(TransportDocument.carrier_id == scope.volunteer_id)))
    waiting = s.window_end > now
    rows = db.session.execute(select(
        s.minutes, func.count().label("posted"), func.sum(s.cancelled).label("cancelled"),
        func.sum(1 - s.cancelled - case((waiting, s.unclaimed), else_=0)).label("due"),
        func.sum(s.in_time).label("in_time"), func.sum(s.expired).label("expired_lots"),
        func.sum(s.expired_kg).label("expired_kg"), func.sum(case((waiting, 0), else_=s.no_show)).label("no_shows"),
    ).where(*where).group_by(s.minutes)).all()
    total = {key: sum(getattr(r, key) or 0 for r in rows)
             for key in ("posted", "cancelled", "due", "in_time", "expired_lots", "expired_kg", "no_shows")}
    return total, [(r.minutes, r.posted) for r in rows if r.minutes is not None]


def _median(counted):
    """The median of values given as [(value, how many)] (a histogram from SQL)."""
    counted = sorted((float(v), int(n)) for v, n in counted)
    size = sum(n for _v, n in counted)
    if not size:
        return None
    wanted = [(size - 1) // 2, size // 2]  # the middle one, or the two middle ones
    found, seen = [], 0
    for value, n in counted:
        while wanted and wanted[0] < seen + n:
            found.append(value)
            wanted.pop(0)
        seen += n
    return sum(found) / len(found)


def active_volunteers(scope):
    """Distinct volunteers who carried a DDT issued in the period (filters as the scope), from the DDTs.

    For a store or a charity: its DDTs through their (store_id / recipient_id, issued_at)
    indexes. The network-wide figure comes from VolunteerSpan instead (_network).
    """
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


def rota_health(start, end, store_id=None):
    """The rota's figures for slots whose window started in [start, end).

    - slots: slots held in the period (cancelled ones, e.g. by a schedule edit, left out);
    - nothing_to_collect: slots the store closed with «niente oggi» (not a no-show);
    - slot_no_shows: sign-ups the store or the charity recorded as no-shows.
    """
    where = [Slot.window_start >= start, Slot.window_start < end, Slot.status != "cancelled"]
    if store_id is not None:
        where.append(Slot.store_id == store_id)
    row = db.session.execute(select(func.count(func.distinct(Slot.id)),
                                    func.count(func.distinct(case((Slot.status == "nothing", Slot.id)))),
                                    func.count(case((SlotSignup.status == "no_show", SlotSignup.id))))
                             .select_from(Slot).outerjoin(SlotSignup, SlotSignup.slot_id == Slot.id)
                             .where(*where)).one()
    return {"slots": int(row[0]), "nothing_to_collect": int(row[1]), "slot_no_shows": int(row[2])}
