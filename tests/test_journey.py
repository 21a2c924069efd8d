"""The whole journey: post, claim, scan 3 crates, pickup, deliver, receive with one crate spoiled.

Once through the pages (each person with their own phone and forms), once through
POST /api/ops; both end with the same custody timeline on the donation pages.
"""
from app.extensions import db
from app.models import Donation, Operation
from app.models.base import utcnow
from app.services.food.donations import default_window
from app.services.ops import new_op_id
from tests.pickups_helpers import network, tokens  # noqa: F401

STEPS = ("Donazione pubblicata", "Ritiro prenotato", "Cassetta 1 scansionata al ritiro",
         "Cassetta 3 scansionata al ritiro", "Ritirata: la merce passa al volontario",
         "Consegnata all&#39;ente", "Ricezione confermata dall&#39;ente")


def _form(**fields):
    return {"op_id": new_op_id(), "occurred_at": utcnow().isoformat(), **fields}


def _assert_journey_done(donation_id, spoiled_token):
    db.session.expire_all()
    donation = db.session.get(Donation, donation_id)
    assert donation.status == "received" and donation.received_kg == 17.5 and donation.holder_id is None
    assert [c.status for c in donation.crates] == ["received", "received", "problem"]
    assert donation.crates[2].token == spoiled_token and donation.crates[2].problem_kind == "spoiled"
    applied = db.session.scalars(db.select(Operation.kind).where(
        Operation.donation_id == donation_id, Operation.status == "applied").order_by(Operation.id)).all()
    assert applied == ["donation.post", "donation.claim"] + ["crate.scan"] * 3 + [
        "donation.pickup", "donation.deliver"] + ["crate.scan"] * 2 + ["donation.receive"]


def _assert_timelines(app, clients, net, donation_id):
    """The store's donation page, the volunteer's and the charity's all show the custody timeline."""
    pages = {"store": f"/negozio/donazioni/{donation_id}", "volunteer": f"/volontario/ritiri/{donation_id}",
             "charity": f"/ente/consegne/{donation_id}"}
    for who, url in pages.items():
        html = clients[who].get(url).get_data(as_text=True)
        assert 'class="timeline"' in html, who
        positions = [html.index(step) for step in STEPS]
        assert positions == sorted(positions), who
        assert "Problemi segnalati: 1" in html, who


def _clients(app, login_as, net):
    clients = {}
    for who, user in (("store", net.clerk), ("volunteer", net.volunteer), ("charity", net.charity_staff)):
        clients[who] = app.test_client()
        login_as(user, on=clients[who])
    return clients


def test_journey_through_the_pages(app, login_as, network):
    clients = _clients(app, login_as, network)
    start, end = default_window(utcnow())
    posted = clients["store"].post("/negozio/nuova", data=_form(
        category="frutta_verdura", storage="ambient", description="Pesche e albicocche", kg="18,5",
        crates="3", date_kind="none", window_day=start.date().isoformat(),
        window_from=start.strftime("%H:%M"), window_to=end.strftime("%H:%M"),
        recipient_id=str(network.charity.id)))
    assert posted.status_code == 302, posted.get_data(as_text=True)
    donation_id = int(posted.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    codes = tokens(db.session.get(Donation, donation_id))

    volunteer = clients["volunteer"]
    assert "Pesche e albicocche" in volunteer.get("/volontario/").get_data(as_text=True)
    claimed = volunteer.post(f"/volontario/ritiri/{donation_id}/prenota", data=_form(),
                             headers={"HX-Request": "true"})
    assert claimed.status_code == 200 and "Ritiro prenotato" in claimed.get_data(as_text=True)
    for code in codes:
        scanned = volunteer.post(f"/volontario/ritiri/{donation_id}/scansione", data=_form(token=code))
        assert scanned.status_code == 302
    page = volunteer.get(f"/volontario/ritiri/{donation_id}/scansione").get_data(as_text=True)
    assert "3 di 3 cassette scansionate" in page
    picked = volunteer.post(f"/volontario/ritiri/{donation_id}/ritirato", data=_form(),
                            headers={"HX-Request": "true"})
    assert "Ritiro confermato" in picked.get_data(as_text=True)
    delivered = volunteer.post(f"/volontario/ritiri/{donation_id}/consegnato", data=_form(), follow_redirects=True)
    assert "Consegna segnata" in delivered.get_data(as_text=True)

    charity = clients["charity"]
    assert "Pesche e albicocche" in charity.get("/ente/").get_data(as_text=True)
    for code in codes[:2]:
        charity.post(f"/ente/consegne/{donation_id}/scansione", data=_form(token=code),
                     headers={"HX-Request": "true"})
    received = charity.post(f"/ente/consegne/{donation_id}/ricevuta", data=_form(**{
        "received_kg": "17,5", f"problem-{codes[2]}": "spoiled", f"note-{codes[2]}": "Pesche ammuffite"}),
        headers={"HX-Request": "true"})
    assert received.status_code == 200 and "Ricezione confermata" in received.get_data(as_text=True)

    _assert_journey_done(donation_id, codes[2])
    _assert_timelines(app, clients, network, donation_id)


def test_journey_through_the_operations_api(app, login_as, network):
    clients = _clients(app, login_as, network)
    start, end = default_window(utcnow())

    def call(who, *ops):
        response = clients[who].post("/api/ops", json={"ops": [
            {"op_id": new_op_id(), "occurred_at": utcnow().isoformat(), **op} for op in ops]})
        assert response.status_code == 200, response.get_data(as_text=True)
        results = response.get_json()["results"]
        assert all(r["status"] == "applied" for r in results), results
        return results

    [posted] = call("store", {"kind": "donation.post", "category": "frutta_verdura", "storage": "ambient",
                              "description": "Pesche e albicocche", "kg": 18.5, "crates": 3, "date_kind": "none",
                              "window_start": start.isoformat(), "window_end": end.isoformat(),
                              "recipient_id": network.charity.id})
    donation_id, codes = posted["donation_id"], [c["token"] for c in posted["crates"]]
    call("volunteer", {"kind": "donation.claim", "donation_id": donation_id})
    scans = call("volunteer", *({"kind": "crate.scan", "token": code, "stage": "pickup"} for code in codes))
    assert [(s["donation_id"], s["n"]) for s in scans] == [(donation_id, 1), (donation_id, 2), (donation_id, 3)]
    [pickup] = call("volunteer", {"kind": "donation.pickup", "donation_id": donation_id})
    assert (pickup["crates_taken"], pickup["crates_left"]) == (3, 0)
    call("volunteer", {"kind": "donation.deliver", "donation_id": donation_id})
    call("charity", *({"kind": "crate.scan", "token": code, "stage": "receipt"} for code in codes[:2]))
    call("charity", {"kind": "donation.receive", "donation_id": donation_id, "received_kg": 17.5,
                     "problems": [{"token": codes[2], "kind": "spoiled", "note": "Pesche ammuffite"}]})

    _assert_journey_done(donation_id, codes[2])
    _assert_timelines(app, clients, network, donation_id)


def test_a_refusal_through_the_api_has_its_code_and_italian_message(app, login_as, network, client):
    donation = network.post()
    login_as(network.clerk)
    response = client.post("/api/ops", json={"ops": [{"op_id": new_op_id(), "kind": "donation.claim",
                                                      "donation_id": donation.id}]})
    [result] = response.get_json()["results"]
    assert result["status"] == "refused" and result["code"] == "not_allowed"
    assert result["message"] == "Il tuo ruolo non permette questa operazione."
