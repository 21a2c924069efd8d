"""Several push workers at once: every outbox row is sent exactly once."""
import os
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import PushDelivery
from app.services.notify import inbox, push, texts
from tests.fake_push_service import fake_push, vapid_key  # noqa: F401  (fixtures)

ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))


@pytest.fixture
def outbox_of_200(app, make_user, fake_push):
    """50 notifications to a user with 4 devices: 200 deliveries waiting."""
    user = make_user("volunteer")
    devices = [fake_push.subscription() for _ in range(4)]
    for device in devices:
        push.save_subscription(user, device)
    for _ in range(50):
        inbox.notify([user], "test", "test", texts.test)
    db.session.commit()
    assert db.session.query(PushDelivery).count() == 200
    return devices


def _drain_with_two_workers(app, fake_push):
    """Run send_pending in two threads, each with its own app context, session and connection."""
    barrier, results = threading.Barrier(2), []
    original = fake_push.handle

    def slow_handle(request):
        time.sleep(0.003)  # a real push service takes a while: lets the workers overlap
        original(request)

    fake_push.handle = slow_handle

    def worker():
        with app.app_context():
            barrier.wait()
            results.append(push.send_pending(limit=10) or {})
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def test_two_workers_draining_200_rows_send_each_exactly_once(app, fake_push, outbox_of_200):
    results = _drain_with_two_workers(app, fake_push)
    assert len(results) == 2
    assert fake_push.errors == []
    sent = Counter((r["token"], r["message"]["id"]) for r in fake_push.received)
    assert len(sent) == 200 and set(sent.values()) == {1}
    assert sum(fake_push.hits.values()) == 200
    assert sum(r.get("sent", 0) for r in results) == 200
    db.session.commit()  # a new transaction sees what the workers committed
    assert set(db.session.scalars(select(PushDelivery.status))) == {"sent"}
    if ON_POSTGRES:
        assert all(r.get("sent", 0) > 0 for r in results)  # both really worked, side by side


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_workers_claim_rows_with_skip_locked_on_postgres(app, fake_push, outbox_of_200):
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        push.claim_batch(push.utcnow(), 5)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert any("FOR UPDATE SKIP LOCKED" in s for s in statements)
    # A second worker, while the first holds its batch, gets other rows at once.
    assert db.session.query(PushDelivery).filter(PushDelivery.status == "sending").count() == 5


def test_two_workers_raise_the_urgent_alert_once(app, make_user, make_org):
    from datetime import timedelta

    from app.models import Donation, Notification
    from app.models.base import utcnow
    from app.services.notify import triggers as notify

    store = make_org("store")
    volunteers = [make_user("volunteer") for _ in range(3)]
    now = utcnow()
    donation = Donation(store_id=store.id, status="posted", category="dispensa", storage="ambient",
                        description="Pane", kg_declared=5, crates_count=1, window_start=now,
                        window_end=now + timedelta(minutes=90))
    db.session.add(donation)
    db.session.commit()
    barrier, counts = threading.Barrier(2), []

    def worker():
        with app.app_context():
            barrier.wait()
            counts.append(notify.alert_unclaimed(now=now))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    db.session.commit()
    assert sorted(counts) == [0, 1]
    urgent = db.session.scalars(select(Notification.user_id).where(Notification.kind == "urgent")).all()
    assert sorted(urgent) == sorted(v.id for v in volunteers)
