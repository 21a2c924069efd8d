"""The DDT where the goods are (issue 14): the driver's pickup page, the store's donation page, the receipt."""
from app.extensions import db
from app.models import TransportDocument
from tests.pickups_helpers import network, pick_up, send, tokens  # noqa: F401


def _ddt(donation):
    return db.session.scalar(db.select(TransportDocument).where(TransportDocument.donation_id == donation.id))


def test_store_page_links_labels_before_and_the_ddt_after_pickup(client, login_as, network):
    donation = network.post()
    login_as(network.clerk)
    html = client.get(f"/negozio/donazioni/{donation.id}").get_data(as_text=True)
    assert f"/negozio/donazioni/{donation.id}/etichette" in html and "/documenti/ddt/" not in html
    pick_up(network, donation)
    document = _ddt(donation)
    html = client.get(f"/negozio/donazioni/{donation.id}").get_data(as_text=True)
    assert f"/documenti/ddt/{document.id}" in html and f"/documenti/ddt/{document.id}.pdf" in html
    assert f"DDT n. {document.code}" in html
    # Labels stay reachable after the pickup (a crate to relabel at the charity).
    assert f"/negozio/donazioni/{donation.id}/etichette" in html


def test_store_page_after_receipt_shows_received_weight_and_problems(client, login_as, network):
    donation = network.post()
    pick_up(network, donation)
    first = tokens(donation)[0]
    send(network.charity_staff, "donation.receive", donation_id=donation.id, received_kg="11,2",
         problems=[{"token": first, "kind": "damaged", "note": "cassetta rotta"}])
    login_as(network.clerk)
    html = client.get(f"/negozio/donazioni/{donation.id}").get_data(as_text=True)
    assert "Peso ricevuto" in html and "11,2 kg" in html
    assert "Cassetta 1" in html and "danneggiata" in html and "cassetta rotta" in html
    assert "Ricevuto" in html


def test_driver_pickup_page_shows_the_ddt_right_after_pickup(client, login_as, network):
    donation = network.post()
    login_as(network.volunteer)
    assert "/documenti/ddt/" not in client.get(f"/volontario/ritiri/{donation.id}").get_data(as_text=True)
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    for token in tokens(donation):
        send(network.volunteer, "crate.scan", token=token, stage="pickup")
    response = client.post(f"/volontario/ritiri/{donation.id}/ritirato", headers={"HX-Request": "true"})
    document = _ddt(donation)
    assert f"/documenti/ddt/{document.id}" in response.get_data(as_text=True)  # the htmx answer
    html = client.get(f"/volontario/ritiri/{donation.id}").get_data(as_text=True)
    assert f"/documenti/ddt/{document.id}" in html and f"DDT n. {document.code}" in html
    # Kept for offline use: the pickup page lists the DDT to prefetch, and the worker caches /documenti/ddt/.
    assert f'content="/documenti/ddt/{document.id}' in html or f"/documenti/ddt/{document.id}," in html
    assert '"/documenti/ddt/"' in client.get("/sw.js").get_data(as_text=True)


def test_received_ddt_shows_the_receipt(client, login_as, network):
    donation = network.post()
    pick_up(network, donation)
    send(network.charity_staff, "donation.receive", donation_id=donation.id, received_kg="10")
    login_as(network.volunteer)
    html = client.get(f"/documenti/ddt/{_ddt(donation).id}").get_data(as_text=True)
    assert "Ricevuto il" in html and "Don Matteo" in html and "Cessione gratuita L. 166/2016" in html


def test_charity_receipt_panel_links_the_ddt(client, login_as, network):
    donation = network.post()
    pick_up(network, donation)
    login_as(network.charity_staff)
    html = client.get(f"/ente/consegne/{donation.id}").get_data(as_text=True)
    assert f"/documenti/ddt/{_ddt(donation).id}" in html and "Foto alla ricezione" in html


def test_other_volunteers_and_stores_cannot_open_the_ddt(client, login_as, make_user, network):
    donation = network.post()
    pick_up(network, donation)
    url = f"/documenti/ddt/{_ddt(donation).id}"
    for user in (network.volunteer2, network.other_charity_staff, make_user("store")):
        login_as(user)
        assert client.get(url).status_code == 403
    for user in (network.volunteer, network.clerk, network.charity_staff, network.coordinator):
        login_as(user)
        assert client.get(url).status_code == 200
