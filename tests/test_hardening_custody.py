"""Only approved volunteers take custody of food (issue 16); runs on SQLite and PostgreSQL."""
import pytest

from app.extensions import db
from app.models import Crate, Flag, Operation
from app.permissions import home_endpoint
from tests.pickups_helpers import network, op, reload, send, tokens  # noqa: F401

UNAPPROVED = ("pending", "suspended", "rejected")


def _crates(donation):
    db.session.expire_all()
    return [(c.status, c.picked_up_by_id) for c in db.session.scalars(
        db.select(Crate).where(Crate.donation_id == donation.id).order_by(Crate.n))]


def _unapproved_flags(donation):
    return db.session.scalars(db.select(Flag).where(Flag.donation_id == donation.id,
                                                    Flag.kind == "unapproved_scan")).all()


@pytest.mark.parametrize("status", UNAPPROVED)
def test_roles_grant_the_volunteer_role_only_once_approved(make_user, status):
    assert "volunteer" in make_user("volunteer").roles
    user = make_user("volunteer", volunteer_status=status)
    assert "volunteer" not in user.roles and not user.has_role("volunteer")
    assert home_endpoint(user) == "volunteer.home"  # lands on the status page


@pytest.mark.parametrize("status", UNAPPROVED)
def test_scan_of_a_posted_donation_by_an_unapproved_volunteer_is_refused_and_flagged(
        network, make_user, status):
    donation = network.post()
    person = make_user("volunteer", volunteer_status=status, name="Piero Nonapprovato")
    before = _crates(donation)
    result = send(person, "crate.scan", token=tokens(donation)[0], stage="pickup")
    assert (result["status"], result["code"]) == ("refused", "not_approved")
    donation = reload(donation)
    assert (donation.status, donation.claimed_by_id, donation.holder_id) == ("posted", None, None)
    assert _crates(donation) == before
    flags = _unapproved_flags(donation)
    assert len(flags) == 1 and "Piero Nonapprovato" in flags[0].message
    logged = db.session.scalar(db.select(Operation).where(Operation.op_id == result["op_id"]))
    assert (logged.status, logged.code, logged.donation_id) == ("refused", "not_approved", donation.id)


@pytest.mark.parametrize("status", ("pending", "suspended"))
def test_an_unapproved_scan_of_someone_elses_claim_moves_nothing(network, make_user, status):
    donation = network.post()
    assert send(network.volunteer, "donation.claim", donation_id=donation.id)["status"] == "applied"
    person = make_user("volunteer", volunteer_status=status)
    for token in tokens(donation):
        result = send(person, "crate.scan", token=token, stage="pickup")
        assert (result["status"], result["code"]) == ("refused", "not_approved")
    for kind in ("donation.pickup", "donation.deliver"):
        result = send(person, kind, donation_id=donation.id)
        assert (result["status"], result["code"]) == ("refused", "not_approved")
    donation = reload(donation)
    assert (donation.status, donation.claimed_by_id, donation.holder_id) == (
        "claimed", network.volunteer.id, None)
    assert {status for status, _by in _crates(donation)} == {"at_store"}
    assert len(_unapproved_flags(donation)) == 3


def test_a_volunteer_suspended_after_claiming_cannot_take_the_crates(network):
    donation = network.post()
    volunteer = network.volunteer
    assert send(volunteer, "donation.claim", donation_id=donation.id)["status"] == "applied"
    volunteer.volunteer.status = "suspended"
    db.session.commit()
    result = send(volunteer, "crate.scan", token=tokens(donation)[0], stage="pickup")
    assert (result["status"], result["code"]) == ("refused", "not_approved")
    assert _crates(donation)[0] == ("at_store", None)
    result = send(volunteer, "donation.pickup", donation_id=donation.id)
    assert (result["status"], result["code"]) == ("refused", "not_approved")
    assert reload(donation).status == "claimed"


def test_a_replayed_unapproved_scan_answers_the_same_and_flags_once(client, login_as, network, make_user):
    donation = network.post()
    person = make_user("volunteer", volunteer_status="pending")
    login_as(person)
    body = {"ops": [op("crate.scan", token=tokens(donation)[0], stage="pickup")]}
    first = client.post("/api/ops", json=body).get_json()["results"][0]
    again = client.post("/api/ops", json=body).get_json()["results"][0]
    assert (first["status"], first["code"]) == ("refused", "not_approved")
    assert (again["status"], again["original_status"], again["code"]) == ("duplicate", "refused", "not_approved")
    assert len(_unapproved_flags(donation)) == 1


def test_unknown_crate_from_an_unapproved_volunteer_is_just_unknown(network, make_user):
    result = send(make_user("volunteer", volunteer_status="pending"), "crate.scan", token="ZZZZZZZZZZZZ",
                  stage="pickup")
    assert (result["status"], result["code"]) == ("refused", "unknown_crate")


def test_an_approved_volunteer_still_takes_custody_by_scanning(network):
    donation = network.post()
    result = send(network.volunteer, "crate.scan", token=tokens(donation)[0], stage="pickup")
    assert result["status"] == "applied" and result["custody_moved"] is True
    assert reload(donation).holder_id == network.volunteer.id


@pytest.mark.parametrize("status", UNAPPROVED)
def test_pending_volunteers_see_their_status_not_the_open_pickups(client, login_as, network, make_user, status):
    donation = network.post(notes="Citofono 3, chiave sotto il vaso")
    login_as(make_user("volunteer", volunteer_status=status))
    response = client.get("/volontario/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "SuperFresco" not in html and "Citofono" not in html and "Mele e pere" not in html
    assert ("in attesa di approvazione" in html) if status == "pending" else ("Profilo non attivo" in html)
    for path in (f"/volontario/ritiri/{donation.id}", f"/volontario/ritiri/{donation.id}/scansione",
                 "/volontario/miei"):
        assert client.get(path).status_code == 403, path


def test_approved_volunteer_and_coordinator_still_see_the_open_pickups(client, login_as, network):
    network.post()
    for person in (network.volunteer, network.coordinator):
        login_as(person)
        assert client.get("/volontario/").status_code == 200
    login_as(network.volunteer)
    assert "Mele e pere" in client.get("/volontario/").get_data(as_text=True)
