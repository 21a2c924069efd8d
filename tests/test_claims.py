"""donation.claim and donation.unclaim: who may claim, the first claim wins, late unclaims are flagged."""
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.models import Flag, Operation
from app.models.base import utcnow
from tests.pickups_helpers import network, post_donation, reload, send  # noqa: F401


def test_first_claim_wins_and_the_second_is_refused_already_claimed(network):
    donation = network.post()
    first = send(network.volunteer, "donation.claim", donation_id=donation.id)
    second = send(network.volunteer2, "donation.claim", donation_id=donation.id)
    assert first["status"] == "applied"
    assert (second["status"], second["code"]) == ("refused", "already_claimed")
    assert "già prenotato" in second["message"]
    donation = reload(donation)
    assert donation.status == "claimed" and donation.claimed_by_id == network.volunteer.id


def test_claiming_twice_yourself_says_you_already_did(network):
    donation = network.post()
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    again = send(network.volunteer, "donation.claim", donation_id=donation.id)
    assert again["code"] == "already_claimed" and "I miei ritiri" in again["message"]


@pytest.mark.parametrize("status,fragment", [
    ("pending", "in attesa di approvazione"),
    ("suspended", "sospeso o non approvato"),
    ("rejected", "sospeso o non approvato"),
])
def test_volunteer_not_approved_cannot_claim(network, make_user, status, fragment):
    donation = network.post()
    result = send(make_user("volunteer", volunteer_status=status), "donation.claim", donation_id=donation.id)
    assert (result["code"], result["status"]) == ("not_approved", "refused")
    assert fragment in result["message"]
    assert reload(donation).status == "posted"


@pytest.mark.parametrize("role", ["store", "charity", "coordinator", None])
def test_only_volunteers_claim(network, make_user, role):
    donation = network.post()
    result = send(make_user(role), "donation.claim", donation_id=donation.id)
    assert result["code"] == "not_allowed" and "ruolo" in result["message"]


@pytest.mark.parametrize("trained_on", [None, "old"])
def test_cold_lot_needs_recent_hygiene_training(network, make_user, trained_on):
    if trained_on == "old":
        trained_on = date.today() - timedelta(days=365 * 3 + 5)
    volunteer = make_user("volunteer", hygiene_training_on=trained_on)
    donation = network.post(category="latticini", storage="chilled")
    result = send(volunteer, "donation.claim", donation_id=donation.id)
    assert result["code"] == "training_expired" and "corso di igiene" in result["message"]


def test_training_validity_years_are_configurable(app, network, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "HYGIENE_TRAINING_VALID_YEARS", 5)
    volunteer = make_user("volunteer", hygiene_training_on=date.today() - timedelta(days=365 * 4))
    donation = network.post(category="latticini", storage="chilled")
    assert send(volunteer, "donation.claim", donation_id=donation.id)["status"] == "applied"


def test_ambient_lot_needs_no_training(network, make_user):
    volunteer = make_user("volunteer", hygiene_training_on=None, cold_transport=False)
    donation = network.post()
    assert send(volunteer, "donation.claim", donation_id=donation.id)["status"] == "applied"


def test_cold_lot_needs_cold_transport(network, make_user):
    volunteer = make_user("volunteer", cold_transport=False)
    donation = network.post(category="surgelati", storage="frozen")
    result = send(volunteer, "donation.claim", donation_id=donation.id)
    assert result["code"] == "no_cold_transport" and "isotermici" in result["message"]


def test_open_claims_are_limited(app, network, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_OPEN_CLAIMS", 2)
    donations = [network.post() for _ in range(3)]
    results = [send(network.volunteer, "donation.claim", donation_id=d.id) for d in donations]
    assert [r["status"] for r in results] == ["applied", "applied", "refused"]
    assert results[2]["code"] == "too_many_claims" and "2 ritiri prenotati" in results[2]["message"]


def test_claim_after_the_window_is_refused(network):
    now = utcnow()
    donation = post_donation(network.clerk, network.charity, now=now - timedelta(hours=6))
    result = send(network.volunteer, "donation.claim", donation_id=donation.id)
    assert result["code"] == "window_over" and "finestra" in result["message"]


def test_cancelled_donation_cannot_be_claimed(network):
    donation = network.post()
    send(network.clerk, "donation.cancel", donation_id=donation.id, reason="Merce venduta")
    result = send(network.volunteer, "donation.claim", donation_id=donation.id)
    assert result["code"] == "wrong_state" and "annullata" in result["message"]


def test_unknown_donation_is_refused(network):
    result = send(network.volunteer, "donation.claim", donation_id=999999)
    assert result["code"] == "unknown_donation" and "non esiste" in result["message"]


def test_unclaim_needs_a_reason_and_frees_the_pickup(network):
    donation = network.post(start_in=timedelta(hours=5))
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    missing = send(network.volunteer, "donation.unclaim", donation_id=donation.id, reason="  ")
    assert missing["code"] == "invalid" and "perché" in missing["message"]
    done = send(network.volunteer, "donation.unclaim", donation_id=donation.id, reason="Auto dal meccanico")
    assert done["status"] == "applied"
    donation = reload(donation)
    assert donation.status == "posted" and donation.claimed_by_id is None
    assert db.session.scalar(db.select(db.func.count()).select_from(Flag)) == 0  # not late
    assert send(network.volunteer2, "donation.claim", donation_id=donation.id)["status"] == "applied"


def test_only_the_claimer_unclaims(network):
    donation = network.post()
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    result = send(network.volunteer2, "donation.unclaim", donation_id=donation.id, reason="Non posso")
    assert result["code"] == "not_claimer" and "Solo chi ha prenotato" in result["message"]


def test_coordinator_may_release_a_claim(network):
    donation = network.post(start_in=timedelta(hours=5))
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    result = send(network.coordinator, "donation.unclaim", donation_id=donation.id, reason="Volontario malato")
    assert result["status"] == "applied" and reload(donation).status == "posted"


def test_unclaim_less_than_two_hours_before_flags_the_coordinator(network):
    donation = network.post(start_in=timedelta(minutes=90))
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    send(network.volunteer, "donation.unclaim", donation_id=donation.id, reason="Imprevisto")
    flag = db.session.scalars(db.select(Flag)).one()
    assert flag.kind == "late_unclaim" and "Imprevisto" in flag.message
    assert flag.operation_id == db.session.scalars(
        db.select(Operation.id).where(Operation.kind == "donation.unclaim")).one()


def test_unclaim_of_a_posted_donation_is_wrong_state(network):
    donation = network.post()
    result = send(network.volunteer, "donation.unclaim", donation_id=donation.id, reason="x")
    assert result["code"] == "wrong_state" and "pubblicata" in result["message"]


def test_claim_events_are_emitted_for_notifications(network):
    from app.services.ops.core import SUBSCRIBERS

    seen = []
    SUBSCRIBERS.append(lambda ctx: seen.extend(name for name, _data in ctx.events))
    try:
        donation = network.post(start_in=timedelta(minutes=30))
        send(network.volunteer, "donation.claim", donation_id=donation.id)
        send(network.volunteer, "donation.unclaim", donation_id=donation.id, reason="Imprevisto")
    finally:
        SUBSCRIBERS.pop()
    assert seen == ["donation.posted", "donation.claimed", "donation.unclaimed", "donation.late_unclaim"]
