"""Fixtures and helpers for the pickup tests: a small network, donations posted through donation.post."""
from dataclasses import dataclass
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Donation, Operation
from app.models.base import utcnow
from app.services import ops


def op(kind, at=None, **fields):
    """An operation dict with a fresh op_id, happening now (or `at`)."""
    return {"op_id": ops.new_op_id(), "kind": kind, "occurred_at": (at or utcnow()).isoformat(), **fields}


def send(user, kind, now=None, at=None, source="form", **fields):
    """Apply one operation for `user` and return its result."""
    return ops.apply(op(kind, at=at or now, **fields), user, source, backfill=now is not None, now=now)


def post_donation(store_user, recipient=None, now=None, start_in=timedelta(hours=1),
                  length=timedelta(hours=3), **fields):
    """Post a donation through donation.post (as the store) and return it."""
    now = now or utcnow()
    payload = {"category": "frutta_verdura", "storage": "ambient", "description": "Mele e pere",
               "kg": 12, "crates": 3, "date_kind": "none",
               "window_start": (now + start_in).isoformat(),
               "window_end": (now + start_in + length).isoformat()}
    if recipient is not None:
        payload["recipient_id"] = recipient.id
    payload.update(fields)
    result = ops.apply(op("donation.post", at=now, **payload), store_user, now=now)
    assert result["status"] == "applied", result
    return db.session.get(Donation, result["donation_id"])


def tokens(donation):
    """The crate tokens of a donation, in crate order."""
    db.session.refresh(donation)
    return [c.token for c in donation.crates]


def reload(donation):
    """The donation as the database has it now."""
    db.session.expire_all()
    return db.session.get(Donation, donation.id)


def logged(op_id):
    """How many times an op_id is in the log."""
    return db.session.scalar(db.select(db.func.count()).select_from(Operation)
                             .where(Operation.op_id == op_id))


@dataclass
class Network:
    """The people of one pickup: a store, its clerk, a charity, its staff, volunteers, a coordinator."""

    store: object
    clerk: object
    charity: object
    charity_staff: object
    other_charity_staff: object
    volunteer: object
    volunteer2: object
    coordinator: object

    def post(self, **fields):
        """A donation from this store to this charity."""
        return post_donation(self.clerk, self.charity, **fields)


@pytest.fixture
def network(make_org, make_user):
    """A store, a charity and the people around one donation."""
    store = make_org("store", name="SuperFresco Mazzini", lat=44.4893, lon=11.3712)
    charity = make_org("charity", name="Emporio Solidale", lat=44.5001, lon=11.3496)
    return Network(
        store=store, clerk=make_user("store", org=store, name="Stefano Clerk"),
        charity=charity, charity_staff=make_user("charity", org=charity, name="Don Matteo"),
        other_charity_staff=make_user("charity", name="Altro Ente"),
        volunteer=make_user("volunteer", name="Giulia Autista", email="giulia@example.org"),
        volunteer2=make_user("volunteer", name="Marco Secondo", email="marco@example.org"),
        coordinator=make_user("coordinator", name="Laura Coordinatrice"))


def pick_up(net, donation, volunteer=None, temperature_c=None, scan=None):
    """Claim, scan (all crates or the first `scan`) and pick up; returns the pickup result."""
    volunteer = volunteer or net.volunteer
    assert send(volunteer, "donation.claim", donation_id=donation.id)["status"] == "applied"
    for token in tokens(donation)[:scan]:
        assert send(volunteer, "crate.scan", token=token, stage="pickup")["status"] == "applied"
    return send(volunteer, "donation.pickup", donation_id=donation.id, temperature_c=temperature_c)
