"""The rota's first-come rules under real concurrency: the last place, and two slot generators at once."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app import create_app
from app.extensions import db
from app.models import Operation, User
from app.models.rota import Slot, SlotSignup, TraineeConfirmation
from app.services import ops
from app.services.rota.generate import generate_all
from tests.rota_helpers import TUESDAY, rota, slots_of  # noqa: F401

JOINERS = 50


@pytest.fixture
def wide_app(app):
    """A second app on the same database whose pool gives every thread its own connection."""
    overrides = dict(app.config)
    overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": JOINERS + 5, "max_overflow": 0, "pool_timeout": 60}
    second = create_app(overrides)
    yield second
    with second.app_context():
        db.engine.dispose()


def _race(wide_app, count, work):
    """Run work(i) in `count` threads with their own sessions, released together."""
    start = threading.Barrier(count)

    def run(i):
        with wide_app.app_context():
            try:
                db.session.connection()  # check out this thread's connection before the race
                start.wait(timeout=60)
                return work(i)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_fifty_concurrent_joins_of_the_last_place_have_exactly_one_winner(app, wide_app, rota):
    slot = slots_of(rota.schedule(now=TUESDAY, places=2).id)[0]
    first = rota.volunteer()
    assert ops.apply({"op_id": ops.new_op_id(), "kind": "slot.join", "slot_id": slot.id}, first,
                     now=TUESDAY)["status"] == "applied"
    ids = [rota.make_user("volunteer").id for _ in range(JOINERS)]
    db.session.add_all([TraineeConfirmation(user_id=i) for i in ids])
    db.session.commit()
    op_ids = [f"race-join-{i:04d}" for i in range(JOINERS)]
    slot_id = slot.id  # read here: the threads must not touch this session's objects

    def join(i):
        user = db.session.get(User, ids[i])
        return ops.apply({"op_id": op_ids[i], "kind": "slot.join", "slot_id": slot_id}, user, source="api",
                         now=TUESDAY)

    outcomes = _race(wide_app, JOINERS, join)
    statuses = [(r["status"], r.get("code", "")) for r in outcomes]
    assert statuses.count(("applied", "")) == 1
    assert statuses.count(("refused", "slot_full")) == JOINERS - 1
    db.session.rollback()  # end this session's read snapshot (SQLite WAL) to see what the threads committed
    holders = db.session.scalars(db.select(SlotSignup.user_id).where(SlotSignup.slot_id == slot.id,
                                                                     SlotSignup.status == "joined")).all()
    assert len(holders) == 2 and first.id in holders
    # Replays return the first answer, whoever won.
    for i in range(JOINERS):
        again = ops.apply({"op_id": op_ids[i], "kind": "slot.join", "slot_id": slot.id},
                          db.session.get(User, ids[i]), now=TUESDAY)
        assert again["status"] == "duplicate" and again["original_status"] == outcomes[i]["status"]
        assert again.get("code") == outcomes[i].get("code")
    assert db.session.scalar(db.select(db.func.count()).select_from(Operation).where(
        Operation.kind == "slot.join")) == JOINERS + 1


def test_two_workers_generating_at_once_create_each_slot_once(app, wide_app, rota):
    schedule = rota.schedule(now=TUESDAY)
    db.session.execute(db.delete(Slot))
    db.session.commit()
    created = _race(wide_app, 2, lambda i: generate_all(TUESDAY))
    assert sorted(created) == [0, 7] or sum(created) == 7
    days = [s.day for s in slots_of(schedule.id)]
    assert len(days) == len(set(days)) == 7
