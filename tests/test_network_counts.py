"""The network's counts (active organisations by kind, volunteers by status) stay equal to a count of the tables.

They are kept by mapper listeners in each flush's transaction (app/services/people/counts.py):
random histories of creations, changes, deletions and rollbacks must leave them exact, and two
coordinators deciding at the same instant on PostgreSQL must both be counted.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from app import create_app
from app.extensions import db
from app.models import Organisation, User, VolunteerProfile
from app.models.counts import NetworkCount
from app.services.people import accounts, counts

KINDS = ("store", "charity", "coordination")
STATUSES = ("pending", "approved", "rejected", "suspended")

steps = st.lists(st.one_of(
    st.tuples(st.just("org"), st.sampled_from(KINDS), st.booleans()),
    st.tuples(st.just("toggle"), st.integers(0, 20)),
    st.tuples(st.just("rekind"), st.integers(0, 20), st.sampled_from(KINDS)),
    st.tuples(st.just("volunteer"), st.sampled_from(STATUSES + (None,))),
    st.tuples(st.just("status"), st.integers(0, 20), st.sampled_from(STATUSES)),
    st.tuples(st.just("forget"), st.integers(0, 20)),
    st.tuples(st.just("savepoint"), st.integers(0, 20)),
    st.tuples(st.just("rollback"), st.integers(0, 20)),
), min_size=1, max_size=25)


def _pick(model, index):
    rows = db.session.scalars(select(model).order_by(model.__mapper__.primary_key[0])).all()
    return rows[index % len(rows)] if rows else None


def _apply(step, serial):
    kind = step[0]
    if kind == "org":
        fields = {} if step[2] else {"active": False}  # active by the column's default
        db.session.add(Organisation(kind=step[1], name=f"Org {serial}", **fields))
    elif kind == "toggle" and (org := _pick(Organisation, step[1])):
        org.active = not org.active
    elif kind == "rekind" and (org := _pick(Organisation, step[1])):
        org.kind = step[2]
    elif kind == "volunteer":
        user = User(email=f"v{serial}@example.org", name=f"V {serial}", password_hash="x")
        # None: the column's default ("pending")
        user.volunteer = VolunteerProfile(**({"status": step[1]} if step[1] else {}), municipality="Bologna")
        db.session.add(user)
    elif kind == "status" and (profile := _pick(VolunteerProfile, step[1])):
        profile.status = step[2]
    elif kind == "forget" and (profile := _pick(VolunteerProfile, step[1])):
        db.session.delete(profile)
    elif kind == "savepoint" and (profile := _pick(VolunteerProfile, step[1])):
        with db.session.begin_nested() as nested:  # a flushed change undone by its savepoint
            profile.status = "suspended" if profile.status != "suspended" else "approved"
            db.session.flush()
            nested.rollback()
    elif kind == "rollback" and (org := _pick(Organisation, step[1])):
        org.active = not org.active
        db.session.flush()
        db.session.rollback()
        return
    db.session.commit()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=steps)
def test_counts_equal_the_tables_after_any_history(app, history):
    db.session.execute(delete(VolunteerProfile))
    db.session.execute(delete(User))
    db.session.execute(delete(Organisation))
    db.session.execute(delete(NetworkCount))
    db.session.commit()
    for serial, step in enumerate(history):
        _apply(step, serial)
        db.session.expire_all()
        assert counts.stored() == counts.counted(), step
    assert counts.differences() == []


def test_coordinator_home_reads_the_counts(app, client, make_user, make_org, login_as):
    coordinator = make_user("coordinator")
    for status in ("approved", "approved", "pending"):
        make_user("volunteer", volunteer_status=status)
    make_org("store", active=False)
    login_as(coordinator)
    page = client.get("/coordinamento/").get_data(as_text=True)
    assert counts.volunteers_by_status() == {"approved": 2, "pending": 1}
    assert counts.active_organisations() == {"coordination": 1}
    # What the page shows is the rows: a drift made outside the ORM shows, and the check finds it.
    db.session.execute(NetworkCount.__table__.update().where(NetworkCount.name == "volunteer:approved")
                       .values(n=7))
    db.session.commit()
    drifted = client.get("/coordinamento/").get_data(as_text=True)
    assert drifted != page and "7" in drifted
    assert counts.differences() == ["volunteer:approved"]


def test_check_finds_and_catch_up_fixes_a_drift(app, runner, make_user):
    make_user("volunteer")
    db.session.execute(delete(NetworkCount))
    db.session.commit()
    result = runner.invoke(args=["rollups", "check"])
    assert result.exit_code == 1 and "differenze" in result.output
    assert runner.invoke(args=["rollups", "catch-up"]).exit_code == 0
    assert runner.invoke(args=["rollups", "check"]).exit_code == 0
    assert counts.volunteers_by_status() == {"approved": 1}


DECIDERS = 12
ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))


@pytest.fixture
def wide_app(app):
    overrides = dict(app.config)
    overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": DECIDERS + 3, "max_overflow": 0, "pool_timeout": 60}
    second = create_app(overrides)
    yield second
    with second.app_context():
        db.engine.dispose()


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (TEST_DATABASE_URL): row locks, real concurrency")
def test_concurrent_decisions_are_all_counted(app, wide_app, make_user):
    """Coordinators approving different volunteers at the same instant: every approval is counted once."""
    coordinator_id = make_user("coordinator").id
    volunteer_ids = [make_user("volunteer", volunteer_status="pending").id for _ in range(DECIDERS)]
    start = threading.Barrier(DECIDERS)

    def approve(user_id):
        with wide_app.app_context():
            try:
                volunteer, coordinator = db.session.get(User, user_id), db.session.get(User, coordinator_id)
                volunteer.volunteer.status  # noqa: B018  (loaded before the race)
                db.session.connection()
                start.wait(timeout=60)
                accounts.decide_volunteer(volunteer, coordinator, "approve")
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=DECIDERS) as pool:
        list(pool.map(approve, volunteer_ids))
    db.session.expire_all()
    assert counts.volunteers_by_status() == {"approved": DECIDERS}
    assert counts.differences() == []
