"""Fixtures and helpers for the rota tests: a store with a schedule, volunteers, a coordinator."""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from app.extensions import db
from app.models import Donation
from app.models.base import utcnow
from app.models.rota import PickupSchedule, Slot, SlotSignup
from app.services import ops
from app.services.rota.recurrence import ROME

# A fixed clock: Tuesday 1 December 2026, 09:00 in Italy.
TUESDAY = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


def send(user, kind, now=None, source="form", op_id=None, **fields):
    """Apply one operation for `user` (at `now`, default the real clock) and return its result."""
    raw = {"op_id": op_id or ops.new_op_id(), "kind": kind, "occurred_at": (now or utcnow()).isoformat(), **fields}
    return ops.apply(raw, user, source, now=now)


def schedule_payload(store, **fields):
    """A valid schedule.create payload: every Tuesday and Friday 19:00-20:00, from 1 Dec 2026."""
    payload = {"store_id": store.id, "weekdays": [1, 4], "start_time": "19:00", "end_time": "20:00",
               "places": 2, "valid_from": "2026-12-01", "storages": ["ambient"]}
    payload.update(fields)
    return payload


def slots_of(schedule_id):
    """Every slot of a schedule, by day."""
    db.session.expire_all()
    return db.session.scalars(db.select(Slot).where(Slot.schedule_id == schedule_id).order_by(Slot.day)).all()


def joined(slot_id):
    """User ids holding a place on the slot."""
    db.session.expire_all()
    return sorted(db.session.scalars(db.select(SlotSignup.user_id).where(
        SlotSignup.slot_id == slot_id, SlotSignup.status == "joined")))


def local_start(slot):
    return slot.window_start.astimezone(ROME)


@dataclass
class Rota:
    """One store with staff, a charity, a coordinator, experienced volunteers and a schedule factory."""

    store: object
    clerk: object
    charity: object
    charity_staff: object
    coordinator: object
    make_user: object

    def volunteer(self, experienced=True, **kwargs):
        """An approved volunteer; experienced ones are confirmed past their trial pickups."""
        from app.models.rota import TraineeConfirmation

        user = self.make_user("volunteer", **kwargs)
        if experienced:
            db.session.add(TraineeConfirmation(user_id=user.id))
            db.session.commit()
        return user

    def schedule(self, now=None, **fields):
        """Create a schedule through schedule.create and return it."""
        result = send(self.coordinator, "schedule.create", now=now, **schedule_payload(self.store, **fields))
        assert result["status"] == "applied", result
        return db.session.get(PickupSchedule, result["schedule_id"])

    def donation(self, donation_id):
        db.session.expire_all()
        return db.session.get(Donation, donation_id)


@pytest.fixture
def rota(make_org, make_user):
    """A store, its clerk, a charity and its staff, a coordinator."""
    store = make_org("store", name="Coop Bologna Centro")
    charity = make_org("charity", name="Caritas Bologna")
    return Rota(store=store, clerk=make_user("store", org=store), charity=charity,
                charity_staff=make_user("charity", org=charity), coordinator=make_user("coordinator"),
                make_user=make_user)


def soon_schedule(rota, now, hours_ahead=30, **fields):
    """A daily schedule whose next slot starts about `hours_ahead` hours from `now` (real clock)."""
    start = (now + timedelta(hours=hours_ahead)).astimezone(ROME)
    start = start.replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=1)
    if end.date() != start.date():
        start, end = start - timedelta(hours=2), end - timedelta(hours=2)
    first = start.date()
    payload = {"weekdays": [], "rrule": "FREQ=DAILY", "start_time": start.strftime("%H:%M"),
               "end_time": end.strftime("%H:%M"), "valid_from": first.isoformat(), "skip_holidays": False,
               **fields}
    schedule = rota.schedule(now=now, **payload)
    slot = next(s for s in slots_of(schedule.id) if s.day == first)
    return schedule, slot
