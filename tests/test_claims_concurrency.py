"""Many volunteers claim the same donation at the same instant: exactly one wins (PostgreSQL and SQLite)."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app import create_app
from app.extensions import db
from app.models import Donation, Flag, Operation, User
from app.services import ops
from tests.pickups_helpers import network  # noqa: F401

CLAIMERS = 50


@pytest.fixture
def wide_app(app):
    """A second app on the same database whose pool gives every thread its own connection."""
    overrides = dict(app.config)
    overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": CLAIMERS + 5, "max_overflow": 0,
                                              "pool_timeout": 60}
    second = create_app(overrides)
    yield second
    with second.app_context():
        db.engine.dispose()


def test_fifty_concurrent_claims_have_exactly_one_winner(app, wide_app, network, make_user):
    donation_id = network.post().id
    volunteer_ids = [make_user("volunteer").id for _ in range(CLAIMERS)]
    db.session.commit()
    start = threading.Barrier(CLAIMERS)
    dialects = set()

    def claim(user_id):
        """One volunteer's phone: its own app context, session and connection."""
        with wide_app.app_context():
            try:
                user = db.session.get(User, user_id)
                db.session.connection()  # check out this thread's connection before the race
                dialects.add(db.engine.dialect.name)
                start.wait(timeout=60)
                return user_id, ops.apply({"op_id": ops.new_op_id(), "kind": "donation.claim",
                                           "donation_id": donation_id}, user, source="api")
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=CLAIMERS) as pool:
        outcomes = list(pool.map(claim, volunteer_ids))

    statuses = [(r["status"], r.get("code", "")) for _uid, r in outcomes]
    assert statuses.count(("applied", "")) == 1
    assert statuses.count(("refused", "already_claimed")) == CLAIMERS - 1
    [winner] = [uid for uid, r in outcomes if r["status"] == "applied"]

    db.session.expire_all()
    claimed = db.session.get(Donation, donation_id)
    assert claimed.status == "claimed" and claimed.claimed_by_id == winner
    log = db.session.scalars(db.select(Operation).where(Operation.kind == "donation.claim")).all()
    assert len(log) == CLAIMERS and len({o.op_id for o in log}) == CLAIMERS
    assert [o.user_id for o in log if o.status == "applied"] == [winner]
    assert all(o.donation_id == donation_id for o in log)
    assert {o.code for o in log if o.status == "refused"} == {"already_claimed"}
    assert db.session.scalar(db.select(db.func.count()).select_from(Flag)) == 0
    assert dialects == {db.engine.dialect.name}
