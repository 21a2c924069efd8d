"""The demo holds two months of donations in every state, all made through the operations."""
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Crate, Donation, Flag, Operation
from app.models.base import utcnow
from app.services.ops import machine

# The operation that brings a donation into each state.
ENTERED_BY = {"posted": ("donation.post", "donation.repost", "donation.unclaim"),
              "claimed": ("donation.claim",), "picked_up": ("donation.pickup", "crate.scan"),
              "delivered": ("donation.deliver",), "received": ("donation.receive",),
              "cancelled": ("donation.cancel",), "expired": ("donation.expire",)}


def test_demo_history_has_sixty_days_in_every_state_made_by_operations(app):
    from app import demo

    demo.seed()
    now = utcnow()
    statuses = dict(db.session.execute(select(Donation.status, func.count()).group_by(Donation.status)).all())
    assert set(statuses) == set(machine.TRANSITIONS["claim"][0] | {"claimed", "picked_up", "delivered",
                                                                    "received", "cancelled", "expired"})
    assert statuses["received"] > 100
    oldest = db.session.scalar(select(func.min(Donation.posted_at)))
    assert oldest < now - timedelta(days=60)
    days = {d.posted_at.date() for d in db.session.scalars(select(Donation))}
    assert len(days) >= 60

    # Partial pickups, problems at receipt, a custody conflict, late unclaims, a too-warm refusal.
    assert db.session.scalar(select(func.count()).select_from(Crate).where(Crate.status == "left_at_store")) > 0
    assert db.session.scalar(select(func.count()).select_from(Donation).where(Donation.reposted_from_id.is_not(None)))
    assert db.session.scalar(select(func.count()).select_from(Crate).where(Crate.status == "problem")) > 0
    flags = dict(db.session.execute(select(Flag.kind, func.count()).group_by(Flag.kind)).all())
    assert flags.get("custody_conflict") and flags.get("late_unclaim") and flags.get("too_warm")
    assert db.session.scalar(select(func.count()).select_from(Operation).where(Operation.source == "offline"))

    # Every donation was posted through the log, and its current state was entered by an operation.
    for donation in db.session.scalars(select(Donation)):
        kinds = set(db.session.scalars(select(Operation.kind).where(
            Operation.donation_id == donation.id, Operation.status == "applied")))
        assert kinds & {"donation.post", "donation.repost"}, donation
        assert kinds & set(ENTERED_BY[donation.status]), (donation, kinds)
        logged = db.session.scalars(select(Operation.received_at).where(Operation.donation_id == donation.id))
        assert all(at <= now for at in logged)
    expiries = db.session.scalars(select(Operation).where(Operation.kind == "donation.expire")).all()
    assert expiries and all(o.user_id is None and o.source == "system" for o in expiries)
    # Old flags were handled by the coordinator; today's are on the board.
    assert not db.session.scalar(select(func.count()).select_from(Flag).where(
        Flag.resolved_at.is_(None), Flag.created_at < now - timedelta(days=2)))
