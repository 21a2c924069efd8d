"""The charity's pages: incoming deliveries, receipt by scan or confirmation, problems per crate."""
import pytest

from app.models.base import utcnow
from app.services.ops import new_op_id
from tests.pickups_helpers import network, pick_up, reload, send, tokens  # noqa: F401

HTMX = {"HX-Request": "true"}


def _form(**fields):
    return {"op_id": new_op_id(), "occurred_at": utcnow().isoformat(), **fields}


def _text(response):
    return response.get_data(as_text=True)


def test_home_lists_deliveries_on_the_way_scheduled_and_received(client, login_as, network):
    on_the_way, scheduled, done = (network.post(description=d) for d in ("Arance", "Latte", "Biscotti"))
    pick_up(network, on_the_way)
    pick_up(network, done)
    send(network.charity_staff, "donation.receive", donation_id=done.id, received_kg=9)
    login_as(network.charity_staff)
    html = _text(client.get("/ente/"))
    assert html.index("In arrivo") < html.index("Arance") < html.index("Programmate") < html.index("Latte")
    assert html.index("Ricevute negli ultimi 7 giorni") < html.index("Biscotti")
    assert "porta Giulia Autista" in html


def test_deliveries_of_another_charity_are_not_listed_or_opened(client, login_as, network):
    donation = network.post(description="Per un altro ente")
    pick_up(network, donation)
    login_as(network.other_charity_staff)
    assert "Per un altro ente" not in _text(client.get("/ente/"))
    assert client.get(f"/ente/consegne/{donation.id}").status_code == 403
    response = client.post(f"/ente/consegne/{donation.id}/ricevuta", data=_form(received_kg="5"))
    assert response.status_code == 403 and reload(donation).status == "picked_up"


def test_scan_on_arrival_then_confirm_with_a_missing_crate(client, login_as, network):
    donation = network.post()
    pick_up(network, donation)
    first, second, third = tokens(donation)
    login_as(network.charity_staff)
    for token in (first, second):
        response = client.post(f"/ente/consegne/{donation.id}/scansione", data=_form(token=token), headers=HTMX)
        assert response.status_code == 200
    assert "2 di 3 cassette scansionate" in _text(response) and "non scansionata" in _text(response)
    response = client.post(f"/ente/consegne/{donation.id}/ricevuta", headers=HTMX, data=_form(**{
        "received_kg": "8", f"problem-{third}": "missing", f"note-{third}": "Non c'era nel furgone"}))
    assert response.status_code == 200 and "Ricezione confermata" in _text(response)
    assert [c.status for c in reload(donation).crates] == ["received", "received", "missing"]


def test_all_arrived_without_scanning(client, login_as, network):
    donation = network.post()
    pick_up(network, donation)
    login_as(network.charity_staff)
    response = client.post(f"/ente/consegne/{donation.id}/ricevuta", data=_form(received_kg=""))
    assert response.status_code == 302
    donation = reload(donation)
    assert donation.status == "received" and donation.received_kg is None and donation.kg_best == 12


@pytest.mark.parametrize("kg,message", [("-2", "non possono essere negativi"), ("dodici", "non sono un numero")])
def test_bad_weight_is_explained_and_nothing_changes(client, login_as, network, kg, message):
    donation = network.post()
    pick_up(network, donation)
    login_as(network.charity_staff)
    response = client.post(f"/ente/consegne/{donation.id}/ricevuta", data=_form(received_kg=kg), headers=HTMX)
    assert response.status_code == 409 and message in _text(response)
    assert reload(donation).status == "picked_up"


def test_report_a_problem_after_receipt(client, login_as, network):
    donation = network.post()
    pick_up(network, donation)
    send(network.charity_staff, "donation.receive", donation_id=donation.id, received_kg=11)
    login_as(network.charity_staff)
    page = _text(client.get(f"/ente/consegne/{donation.id}"))
    assert "Segnala un problema con una cassetta" in page and 'class="timeline"' in page
    response = client.post(f"/ente/consegne/{donation.id}/problema", headers=HTMX,
                           data=_form(token=tokens(donation)[0], problem="too_warm", note="Latte tiepido"))
    assert response.status_code == 200 and "Problema segnalato" in _text(response)
    crate = reload(donation).crates[0]
    assert (crate.status, crate.problem_kind, crate.problem_note) == ("problem", "too_warm", "Latte tiepido")


def test_receipt_before_pickup_is_refused(client, login_as, network):
    donation = network.post()
    login_as(network.charity_staff)
    response = client.post(f"/ente/consegne/{donation.id}/ricevuta", data=_form(), headers=HTMX)
    assert response.status_code == 409 and "pubblicata" in _text(response)


def test_volunteers_cannot_open_the_charity_area(client, login_as, network):
    login_as(network.volunteer)
    assert client.get("/ente/").status_code == 403


def test_crate_page_lets_the_charity_check_in_a_crate(client, login_as, network):
    donation = network.post()
    pick_up(network, donation)
    login_as(network.charity_staff)
    token = tokens(donation)[2]
    html = _text(client.get(f"/c/{token}"))
    assert "Cassetta arrivata" in html and f'/ente/consegne/{donation.id}/scansione' in html
    response = client.post(f"/ente/consegne/{donation.id}/scansione", data=_form(token=token), headers=HTMX)
    assert "1 di 3 cassette scansionate" in _text(response)


def test_coordinator_may_look_at_any_delivery(client, login_as, network):
    donation = network.post()
    pick_up(network, donation)
    login_as(network.coordinator)
    assert client.get("/ente/").status_code == 200
    assert "Conferma di ricezione" in _text(client.get(f"/ente/consegne/{donation.id}"))
