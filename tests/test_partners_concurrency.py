"""Many stores post at the same instant to a charity with room for two donations: it never gets a third."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app import create_app
from app.extensions import db
from app.models import Donation, User
from app.services import ops
from tests.donations_support import clock, payload  # noqa: F401
from tests.partners_support import capacity  # noqa: F401

POSTERS = 12


@pytest.fixture
def wide_app(app):
    """A second app on the same database whose pool gives every thread its own connection."""
    overrides = dict(app.config)
    overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": POSTERS + 5, "max_overflow": 0, "pool_timeout": 60}
    second = create_app(overrides)
    yield second
    with second.app_context():
        db.engine.dispose()


def test_concurrent_posts_never_exceed_a_charitys_daily_capacity(app, wide_app, make_org, make_user, clock, capacity):
    limited = make_org("charity", name="Magazzino piccolo", people_served_week=10_000)  # first choice for all
    capacity(limited, kg_day=20)
    spare = make_org("charity", name="Magazzino grande", people_served_week=10, lat=45.0, lon=12.0)
    clerks = [make_user("store", org=make_org("store")).id for _ in range(POSTERS)]
    body = payload(clock, kg=10, crates=1)
    limited_id, spare_id = limited.id, spare.id
    db.session.commit()  # end this session's read snapshot (SQLite WAL) so it sees the threads' posts afterwards
    start = threading.Barrier(POSTERS)
    dialects = set()

    def post(user_id):
        """One store's till: its own app context, session and connection."""
        with wide_app.app_context():
            try:
                import app.services.ops.core as core

                core.utcnow = lambda: clock.now  # the pinned clock, in this thread too
                user = db.session.get(User, user_id)
                db.session.connection()
                dialects.add(db.engine.dialect.name)
                start.wait(timeout=60)
                return ops.apply({"op_id": ops.new_op_id(), "kind": "donation.post", **body}, user, source="api")
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=POSTERS) as pool:
        results = list(pool.map(post, clerks))

    assert all(r["status"] == "applied" for r in results), results
    db.session.expire_all()
    to_limited = db.session.scalars(db.select(Donation).where(Donation.recipient_id == limited_id)).all()
    assert len(to_limited) == 2 and sum(d.kg_declared for d in to_limited) <= 20
    assert db.session.scalar(db.select(db.func.count()).select_from(Donation).where(
        Donation.recipient_id == spare_id)) == POSTERS - 2
    assert dialects == {db.engine.dialect.name}
