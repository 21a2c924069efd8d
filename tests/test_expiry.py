"""donation.expire: applied by the system when a window ends unclaimed (the worker's job)."""
from datetime import timedelta

from app import worker
from app.extensions import db
from app.models import Operation
from app.models.base import utcnow
from app.services import ops
from app.services.ops.pickups import expire_due
from tests.pickups_helpers import network, post_donation, reload, send  # noqa: F401


def _past(net, **fields):
    return post_donation(net.clerk, net.charity, now=utcnow() - timedelta(hours=6), **fields)


def test_unclaimed_donation_expires_when_its_window_ends(network):
    gone, open_, claimed = _past(network), network.post(), _past(network)
    send(network.volunteer, "donation.claim", donation_id=claimed.id, now=utcnow() - timedelta(hours=5))
    assert expire_due() == 1
    assert reload(gone).status == "expired" and reload(gone).expired_at is not None
    assert reload(open_).status == "posted" and reload(claimed).status == "claimed"


def test_expiry_is_logged_as_the_system(network):
    donation = _past(network)
    expire_due()
    op = db.session.scalars(db.select(Operation).where(Operation.kind == "donation.expire")).one()
    assert (op.user_id, op.source, op.status, op.donation_id) == (None, "system", "applied", donation.id)


def test_two_workers_in_the_same_minute_expire_once(network):
    _past(network)
    now = utcnow()
    assert expire_due(now=now) == 1
    result = ops.apply_system("donation.expire", {"donation_id": 1}, now=now,
                              op_id=f"expire-1-{now:%Y%m%d%H%M}")
    assert result["status"] == "duplicate"
    assert db.session.scalar(db.select(db.func.count()).select_from(Operation)
                             .where(Operation.kind == "donation.expire")) == 1


def test_users_cannot_expire(network):
    donation = _past(network)
    result = send(network.coordinator, "donation.expire", donation_id=donation.id)
    assert result["code"] == "not_allowed" and "solo il sistema" in result["message"]


def test_expire_before_the_window_ends_is_refused(network):
    donation = network.post()
    result = ops.apply_system("donation.expire", {"donation_id": donation.id})
    assert result["code"] == "wrong_state" and reload(donation).status == "posted"


def test_the_worker_runs_the_expiry_job(app, network):
    _past(network)
    assert "expire_donations" in [name for name, _every, _func in worker.JOBS]
    assert worker.run_once()["expire_donations"] == 1


def test_expired_donation_is_never_listed_as_open(client, login_as, network):
    _past(network, description="Finita")
    login_as(network.volunteer)
    assert "Finita" not in client.get("/volontario/").get_data(as_text=True)
    expire_due()
    assert "Finita" not in client.get("/volontario/").get_data(as_text=True)


def test_backfill_keeps_old_times_only_for_trusted_callers(network):
    week_ago = utcnow() - timedelta(days=7)
    donation = post_donation(network.clerk, network.charity, now=week_ago)
    result = send(network.volunteer, "donation.claim", donation_id=donation.id, now=week_ago + timedelta(hours=1))
    assert result["status"] == "applied"
    op = db.session.scalars(db.select(Operation).where(Operation.kind == "donation.claim")).one()
    assert op.received_at < utcnow() - timedelta(days=6) and op.occurred_at <= op.received_at
    # The same old operation from a phone is refused as too old.
    stale = ops.apply({"op_id": ops.new_op_id(), "kind": "donation.unclaim", "donation_id": donation.id,
                       "reason": "x", "occurred_at": (week_ago + timedelta(hours=2)).isoformat()},
                      network.volunteer)
    assert stale["code"] == "implausible_time"
