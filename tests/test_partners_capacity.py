"""Charities' capacity and needs: only their own staff (and coordinators) edit them, strictly validated, through the engine."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Operation
from app.models.partners import CharityCapacity
from tests.partners_support import apply


@pytest.fixture
def ente(make_org, make_user):
    """A charity with one staff member, another charity with its own, and a store clerk."""
    mine = make_org("charity", name="Emporio Solidale Navile")
    theirs = make_org("charity", name="Mensa della Fraternità")
    return type("Ente", (), {"org": mine, "other": theirs, "staff": make_user("charity", org=mine),
                             "other_staff": make_user("charity", org=theirs), "clerk": make_user("store"),
                             "volunteer": make_user("volunteer"), "coordinator": make_user("coordinator")})


def test_charity_staff_edit_their_own_capacity_through_the_form(client, login_as, ente):
    login_as(ente.staff)
    assert "Emporio Solidale Navile" in client.get("/ente/capacita").get_data(as_text=True)
    response = client.post("/ente/capacita", data={
        "kg_day": "80,5", "kg_week": "400", "cold_litres": "600", "cold_crates": "10", "closure_rows": "2",
        "closure-0-from": "2027-08-08", "closure-0-to": "2027-08-22", "closure-0-reason": "Chiusura estiva",
        "closure-1-from": "", "closure-1-to": ""})
    assert response.status_code == 302
    row = db.session.get(CharityCapacity, ente.org.id)
    assert (row.kg_day, row.kg_week, row.cold_litres, row.cold_crates) == (80.5, 400, 600, 10)
    assert row.closures == [{"from": "2027-08-08", "to": "2027-08-22", "reason": "Chiusura estiva"}]
    assert db.session.scalar(select(func.count()).select_from(Operation).where(
        Operation.kind == "charity.capacity", Operation.user_id == ente.staff.id)) == 1


def test_charity_staff_update_their_needs_board(client, login_as, ente):
    login_as(ente.staff)
    response = client.post("/ente/bisogni", data={"need-frutta_verdura": "more", "need-latticini": "more",
                                                  "need-pane_forno": "less", "need-carne": "",
                                                  "needs_note": "Niente pane lunedì",
                                                  "full_until": "2027-03-10"})
    assert response.status_code == 302
    row = db.session.get(CharityCapacity, ente.org.id)
    assert row.needs_more == ["frutta_verdura", "latticini"] and row.needs_less == ["pane_forno"]
    assert row.full_until.isoformat() == "2027-03-10"


@pytest.mark.parametrize("url", ["/ente/capacita", "/ente/bisogni"])
def test_charity_staff_cannot_edit_another_charity(client, login_as, ente, url):
    login_as(ente.staff)
    assert client.get(f"/ente/capacita?ente={ente.other.id}").status_code == 403
    assert client.post(f"{url}?ente={ente.other.id}", data={"kg_day": "5"}).status_code == 403
    assert db.session.get(CharityCapacity, ente.other.id) is None


def test_the_engine_refuses_another_charitys_capacity_too(ente):
    """The same rule holds through /api/ops: the engine checks the organisation, not only the view."""
    result = apply(ente.staff, "charity.capacity", organisation_id=ente.other.id, kg_day=5)
    assert result["status"] == "refused" and result["code"] == "not_allowed"
    result = apply(ente.staff, "charity.needs", organisation_id=ente.other.id, full_until="2027-01-01")
    assert result["code"] == "not_allowed"
    assert db.session.get(CharityCapacity, ente.other.id) is None


@pytest.mark.parametrize("who", ["clerk", "volunteer"])
def test_other_roles_cannot_edit_capacity(client, login_as, ente, who):
    login_as(getattr(ente, who))
    assert client.get("/ente/capacita").status_code == 403
    assert client.post("/ente/capacita", data={"kg_day": "5"}).status_code == 403
    assert apply(getattr(ente, who), "charity.capacity", organisation_id=ente.org.id, kg_day=5)["code"] == "not_allowed"


def test_a_coordinator_edits_any_charity(client, login_as, ente):
    login_as(ente.coordinator)
    assert client.get(f"/ente/capacita?ente={ente.other.id}").status_code == 200
    assert client.post(f"/ente/capacita?ente={ente.other.id}", data={"kg_day": "30"}).status_code == 302
    assert db.session.get(CharityCapacity, ente.other.id).kg_day == 30


@pytest.mark.parametrize("fields,field", [
    ({"kg_day": "-3"}, "kg_day"),
    ({"kg_day": "tanti"}, "kg_day"),
    ({"kg_day": "50", "kg_week": "20"}, "kg_week"),
    ({"cold_crates": "2.5"}, "cold_crates"),
    ({"closures": [{"from": "2027-08-20", "to": "2027-08-01"}]}, "closures"),
    ({"closures": [{"from": "agosto", "to": "2027-08-01"}]}, "closures"),
    ({"closures": "agosto"}, "closures"),
    ({"colour": "red"}, "colour"),
])
def test_bad_capacity_is_refused_with_an_italian_message(ente, fields, field):
    result = apply(ente.staff, "charity.capacity", organisation_id=ente.org.id, **fields)
    assert result["status"] == "refused" and result["code"] == "invalid" and result["field"] == field
    assert result["message"] and db.session.get(CharityCapacity, ente.org.id) is None


@pytest.mark.parametrize("fields,field", [
    ({"needs_more": ["caviale"]}, "needs_more"),
    ({"needs_more": ["pesce"], "needs_less": ["pesce"]}, "needs_less"),
    ({"full_until": "domani"}, "full_until"),
    ({"needs_note": "x" * 400}, "needs_note"),
])
def test_bad_needs_are_refused(ente, fields, field):
    result = apply(ente.staff, "charity.needs", organisation_id=ente.org.id, **fields)
    assert result["code"] == "invalid" and result["field"] == field


def test_a_bad_form_shows_the_message_and_keeps_the_old_values(client, login_as, ente):
    login_as(ente.staff)
    client.post("/ente/capacita", data={"kg_day": "40"})
    body = client.post("/ente/capacita", data={"kg_day": "-1"}, follow_redirects=True).get_data(as_text=True)
    assert "Scrivi un numero tra 0" in body
    assert db.session.get(CharityCapacity, ente.org.id).kg_day == 40


def test_volunteers_see_the_needs_of_the_charity_they_deliver_to(client, login_as, ente, make_org, make_user):
    from datetime import datetime, timedelta, timezone

    from app.models import Donation

    apply(ente.staff, "charity.needs", organisation_id=ente.org.id, needs_more=["frutta_verdura"],
          needs_note="Portate pure la frutta matura")
    store = make_org("store")
    now = datetime.now(timezone.utc)
    donation = Donation(store_id=store.id, recipient_id=ente.org.id, status="claimed", category="dispensa",
                        storage="ambient", description="Pasta", kg_declared=10, crates_count=1,
                        window_start=now, window_end=now + timedelta(hours=2), posted_at=now,
                        claimed_by_id=ente.volunteer.id, claimed_at=now)
    db.session.add(donation)
    db.session.commit()
    login_as(ente.volunteer)
    body = client.get(f"/volontario/ritiri/{donation.id}").get_data(as_text=True)
    assert "Bisogni di Emporio Solidale Navile" in body and "Portate pure la frutta matura" in body
