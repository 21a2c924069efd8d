"""Several workers run the cold-chain job at the same instant: one flag per donation (PostgreSQL and SQLite)."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from app import create_app
from app.extensions import db
from app.models import Flag, Operation
from app.models.base import utcnow
from app.services.logistics import coldchain
from tests.pickups_helpers import network, post_donation, send, tokens  # noqa: F401

WORKERS = 6


@pytest.fixture
def wide_app(app):
    """A second app on the same database whose pool gives every thread its own connection."""
    overrides = dict(app.config)
    overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": WORKERS + 2, "max_overflow": 0, "pool_timeout": 60}
    second = create_app(overrides)
    yield second
    with second.app_context():
        db.engine.dispose()


def test_concurrent_workers_raise_one_cold_chain_flag_per_donation(app, wide_app, network):
    now = utcnow()
    ids = []
    for _ in range(3):
        posted = now - timedelta(hours=4)
        donation = post_donation(network.clerk, network.charity, now=posted, start_in=timedelta(minutes=30),
                                 category="latticini", storage="chilled", description="Yogurt")
        at = now - timedelta(hours=3)
        send(network.volunteer, "donation.claim", now=at, donation_id=donation.id)
        for token in tokens(donation):
            send(network.volunteer, "crate.scan", now=at, token=token, stage="pickup")
        assert send(network.volunteer, "donation.pickup", now=at, donation_id=donation.id,
                    temperature_c=3)["status"] == "applied"
        ids.append(donation.id)
    db.session.commit()
    start = threading.Barrier(WORKERS)

    def worker(_n):
        with wide_app.app_context():
            try:
                db.session.connection()
                start.wait(timeout=60)
                return coldchain.flag_overdue(now=now)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        flagged = list(pool.map(worker, range(WORKERS)))

    assert sum(flagged) == 3
    db.session.expire_all()
    flags = db.session.scalars(db.select(Flag).where(Flag.kind == "cold_chain")).all()
    assert sorted(f.donation_id for f in flags) == sorted(ids)
    assert db.session.scalar(db.select(db.func.count()).select_from(Operation).where(
        Operation.kind == "donation.cold_chain_overdue")) == 3
