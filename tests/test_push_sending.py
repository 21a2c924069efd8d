"""Web Push end to end against a local fake push service: encryption, VAPID, retries, 410s."""
import threading
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from app.extensions import db
from app.models import Donation, Notification, PushDelivery, PushSubscription
from app.models.base import utcnow
from app.services import ops
from app.services.notify import inbox, push, texts, vapid
from tests.fake_push_service import b64url, fake_push, vapid_key  # noqa: F401  (fixtures)


@pytest.fixture
def donation_of(app):
    """Factory: a posted donation of `store` (built directly, as a store's post would leave it)."""

    def make(store, **fields):
        now = utcnow()
        values = {"store_id": store.id, "status": "posted", "category": "dispensa", "storage": "ambient",
                  "description": "Pasta e legumi", "kg_declared": 12.0, "crates_count": 2,
                  "window_start": now + timedelta(hours=3), "window_end": now + timedelta(hours=6)}
        values.update(fields)
        donation = Donation(**values)
        db.session.add(donation)
        db.session.commit()
        return donation

    return make


def _deliveries():
    return db.session.scalars(select(PushDelivery).order_by(PushDelivery.id)).all()


def test_a_claim_reaches_the_store_staff_phone_decrypted_and_signed(
        app, client, login_as, make_user, make_org, fake_push, donation_of):
    store = make_org("store", name="Conad Mazzini")
    clerk = login_as(make_user("store", org=store))
    device = fake_push.subscription()
    response = client.post("/notifiche/dispositivi", json=device)  # as static/js/push.js does
    assert response.status_code == 201
    other_device = fake_push.subscription()
    push.save_subscription(make_user("store"), other_device)  # another store's clerk: must get nothing
    volunteer = make_user("volunteer", name="Marco Rossi")
    donation = donation_of(store)

    result = ops.apply({"op_id": ops.new_op_id(), "kind": "donation.claim", "donation_id": donation.id,
                        "occurred_at": utcnow().isoformat()}, volunteer)
    assert result["status"] == "applied"
    assert push.send_pending() == {"sent": 1}
    assert push.send_pending() is None  # nothing twice

    assert fake_push.errors == []
    assert len(fake_push.messages()) == 1
    [message] = fake_push.messages(device)
    assert message["title"] == "Donazione prenotata"
    assert message["body"].startswith("Marco Rossi passerà a ritirare Dispensa (pasta, conserve, secco), 12 kg entro ")
    row = db.session.scalar(select(Notification).where(Notification.user_id == clerk.id))
    assert message["url"] == f"/notifiche/{row.id}" and message["id"] == row.id
    assert message["icon"].startswith("/static/icons/icon-192.png") and message["badge"].startswith("/static/")
    # The link marks it read and lands on the store's page of that donation.
    opened = client.get(message["url"])
    assert opened.status_code == 302 and opened.headers["Location"] == f"/negozio/donazioni/{donation.id}"
    db.session.refresh(row)
    assert row.read_at is not None
    [received] = fake_push.received
    assert received["claims"]["aud"] == fake_push.base
    assert received["headers"]["urgency"] == "normal"
    assert int(received["headers"]["ttl"]) > 0  # kept by the push service while the phone is off


def test_a_device_that_answers_410_is_forgotten_after_one_attempt(app, make_user, fake_push):
    user = make_user("store")
    dead = fake_push.subscription(status=410)
    alive = fake_push.subscription()
    push.save_subscription(user, dead)
    push.save_subscription(user, alive)
    inbox.notify([user], "test", "test", texts.test)
    db.session.commit()

    assert push.send_pending() == {"sent": 1, "gone": 1}
    assert fake_push.hits[fake_push.token_of(dead)] == 1
    assert len(fake_push.messages(alive)) == 1  # the dead phone did not hold the other one up
    remaining = db.session.scalars(select(PushSubscription.endpoint)).all()
    assert remaining == [alive["endpoint"]]
    assert sorted(d.status for d in _deliveries()) == ["gone", "sent"]
    inbox.notify([user], "test", "test", texts.test)
    db.session.commit()
    push.send_pending()
    assert fake_push.hits[fake_push.token_of(dead)] == 1  # never tried again


def test_a_500_is_retried_with_backoff_then_given_up_and_recorded(app, make_user, fake_push):
    user = make_user("charity")
    flaky = fake_push.subscription(status=500)
    push.save_subscription(user, flaky)
    inbox.notify([user], "test", "test", texts.test)
    db.session.commit()
    token, start = fake_push.token_of(flaky), utcnow()

    schedule = []
    for minutes in (0, 0.5, 1.1, 3, 6.2, 20, 36.3, 600):
        push.send_pending(now=start + timedelta(minutes=minutes))
        [delivery] = _deliveries()
        schedule.append((minutes, fake_push.hits.get(token, 0), delivery.status))
    assert schedule == [(0, 1, "pending"), (0.5, 1, "pending"), (1.1, 2, "pending"), (3, 2, "pending"),
                        (6.2, 3, "pending"), (20, 3, "pending"), (36.3, 4, "failed"), (600, 4, "failed")]
    [delivery] = _deliveries()
    assert delivery.attempts == 4 and delivery.last_status == 500 and "500" in delivery.last_error
    assert db.session.scalar(select(PushSubscription.id)) is not None  # a 500 says nothing about the device


def test_backoff_follows_the_configured_minutes(app, make_user, fake_push, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_RETRY_MINUTES", "2")
    user = make_user("store")
    push.save_subscription(user, fake_push.subscription(status=503))
    inbox.notify([user], "test", "test", texts.test)
    db.session.commit()
    start = utcnow()
    push.send_pending(now=start)
    [delivery] = _deliveries()
    assert delivery.status == "pending" and delivery.next_attempt_at == start + timedelta(minutes=2)
    push.send_pending(now=start + timedelta(minutes=2))
    db.session.refresh(delivery)
    assert delivery.status == "failed" and delivery.attempts == 2


def test_stale_or_interrupted_rows_are_never_sent(app, make_user, fake_push):
    user = make_user("volunteer")
    push.save_subscription(user, fake_push.subscription())
    now = utcnow()
    stale = inbox.notify([user], "new_donation", "new_donation", texts.test, expires_at=now - timedelta(minutes=1))
    inbox.notify([user], "test", "test", texts.test)
    db.session.commit()
    interrupted = _deliveries()[1]
    interrupted.status, interrupted.claimed_at = "sending", now - timedelta(hours=1)
    db.session.commit()
    assert push.send_pending(now=now + timedelta(seconds=1)) == {"expired": 1, "interrupted": 1}
    assert fake_push.hits == {}
    assert stale[0].deliveries[0].status == "expired"


def test_urgent_notifications_ask_for_high_urgency(app, make_user, fake_push):
    user = make_user("volunteer")
    push.save_subscription(user, fake_push.subscription())
    inbox.notify([user], "urgent", "urgent", texts.test, urgent=True)
    db.session.commit()
    push.send_pending()
    [received] = fake_push.received
    assert received["headers"]["urgency"] == "high" and received["message"]["urgent"] is True


# --- VAPID keys ---------------------------------------------------------------------------

def test_vapid_key_from_the_environment_in_raw_form(app, monkeypatch):
    private = ec.generate_private_key(ec.SECP256R1())
    raw = private.private_numbers().private_value.to_bytes(32, "big")
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", b64url(raw))
    monkeypatch.setitem(app.extensions, "raccolto_vapid", {})
    expected = private.public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)
    assert vapid.public_key() == b64url(expected)


def test_vapid_key_is_generated_once_and_every_process_agrees(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", None)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    real_exists = vapid.os.path.exists
    # Every contender believes the file is missing, so all of them race to create it.
    monkeypatch.setattr(vapid.os.path, "exists", lambda p: False if p.endswith(vapid.KEY_FILE) else real_exists(p))
    barrier, keys = threading.Barrier(6), []

    def contender():
        with app.app_context():
            barrier.wait()
            keys.append(vapid._from_instance_folder().public_key.public_numbers())

    threads = [threading.Thread(target=contender) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(keys) == 6 and len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == [vapid.KEY_FILE]  # no temporary files left
    assert (tmp_path / vapid.KEY_FILE).stat().st_mode & 0o777 == 0o600


def test_the_public_key_is_on_the_settings_page_and_in_json(client, as_role, vapid_key):
    as_role("volunteer")
    key = vapid.public_key()
    assert f'<meta name="vapid-public-key" content="{key}">' in client.get("/notifiche/impostazioni").get_data(
        as_text=True)
    assert client.get("/notifiche/chiave.json").get_json() == {"publicKey": key}
