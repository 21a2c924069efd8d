"""The coordinator's live board: today's donations by state, flagged ones on top, actions on one."""
from datetime import timedelta

from app.extensions import db
from app.models import Flag
from app.models.base import utcnow
from app.services.ops import new_op_id
from tests.pickups_helpers import network, pick_up, post_donation, reload, send, tokens  # noqa: F401


def _text(response):
    return response.get_data(as_text=True)


def test_flagged_donations_are_on_top(client, login_as, network):
    network.post(description="Tranquilla")
    late = network.post(description="Rinuncia tardiva", start_in=timedelta(minutes=30))
    send(network.volunteer, "donation.claim", donation_id=late.id)
    send(network.volunteer, "donation.unclaim", donation_id=late.id, reason="Febbre")
    conflict = network.post(description="Presa da un altro")
    send(network.volunteer2, "donation.claim", donation_id=conflict.id)
    send(network.volunteer, "crate.scan", token=tokens(conflict)[0], stage="pickup")
    warm = network.post(description="Pollo caldo", category="pollame", storage="chilled")
    pick_up(network, warm, temperature_c=12)
    login_as(network.coordinator)
    html = _text(client.get("/coordinamento/ritiri"))
    top = html[html.index("Da guardare subito"):html.index('id="group-posted"')]
    for text in ("Rinuncia tardiva", "Presa da un altro", "Pollo caldo", "Rinuncia all'ultimo momento",
                 "Conflitto di custodia", "Troppo caldo al ritiro"):
        assert text in top
    assert "Tranquilla" not in top and "Tranquilla" in html


def test_htmx_refresh_gets_only_the_live_part(client, login_as, network):
    network.post(description="Pane")
    login_as(network.coordinator)
    response = client.get("/coordinamento/ritiri", headers={"HX-Request": "true"})
    html = _text(response)
    assert 'id="board-live"' in html and "<html" not in html and 'hx-trigger="every 30s"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_a_claimed_pickup_past_its_window_is_flagged_as_not_done(client, login_as, network):
    donation = post_donation(network.clerk, network.charity, now=utcnow() - timedelta(hours=3),
                             start_in=timedelta(minutes=10), length=timedelta(hours=2))
    send(network.volunteer, "donation.claim", donation_id=donation.id, now=utcnow() - timedelta(hours=3))
    login_as(network.coordinator)
    html = _text(client.get("/coordinamento/ritiri"))
    assert "Ritiro non fatto" in html


def test_resolving_a_flag_takes_it_off_the_top(client, login_as, network):
    late = network.post(description="Rinuncia tardiva", start_in=timedelta(minutes=30))
    send(network.volunteer, "donation.claim", donation_id=late.id)
    send(network.volunteer, "donation.unclaim", donation_id=late.id, reason="Febbre")
    flag = db.session.scalars(db.select(Flag)).one()
    login_as(network.coordinator)
    response = client.post(f"/coordinamento/segnalazioni/{flag.id}/gestita", data={"next": "/coordinamento/ritiri"})
    assert response.status_code == 302 and response.headers["Location"] == "/coordinamento/ritiri"
    db.session.expire_all()
    assert db.session.get(Flag, flag.id).resolved_by_id == network.coordinator.id
    assert "Da guardare subito" not in _text(client.get("/coordinamento/ritiri"))


def test_reassign_from_the_board(client, login_as, network, make_org):
    other = make_org("charity", name="Mensa dei Poveri")
    donation = network.post()
    login_as(network.coordinator)
    page = _text(client.get(f"/coordinamento/ritiri/{donation.id}"))
    assert "Mensa dei Poveri" in page and 'class="timeline"' in page
    response = client.post(f"/coordinamento/ritiri/{donation.id}/ente",
                           data={"op_id": new_op_id(), "recipient_id": str(other.id)}, follow_redirects=True)
    assert "Ente beneficiario cambiato" in _text(response)
    assert reload(donation).recipient_id == other.id


def test_release_a_claim_from_the_board(client, login_as, network):
    donation = network.post(start_in=timedelta(hours=6))
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    login_as(network.coordinator)
    response = client.post(f"/coordinamento/ritiri/{donation.id}/libera",
                           data={"op_id": new_op_id(), "reason": "Non risponde al telefono"}, follow_redirects=True)
    assert "Hai lasciato il ritiro" in _text(response) or "altri volontari" in _text(response)
    assert reload(donation).status == "posted"


def test_board_is_for_coordinators_only(client, login_as, network):
    login_as(network.volunteer)
    assert client.get("/coordinamento/ritiri").status_code == 403


def test_board_is_in_the_coordinator_navigation(client, login_as, network):
    login_as(network.coordinator)
    assert 'href="/coordinamento/ritiri"' in _text(client.get("/coordinamento/"))


def test_another_day_can_be_looked_at(client, login_as, network):
    network.post(description="Domani mattina", start_in=timedelta(days=1))
    login_as(network.coordinator)
    tomorrow = (utcnow() + timedelta(days=1)).astimezone(__import__("zoneinfo").ZoneInfo("Europe/Rome")).date()
    assert "Domani mattina" in _text(client.get(f"/coordinamento/ritiri?giorno={tomorrow.isoformat()}"))
    assert client.get("/coordinamento/ritiri?giorno=ieri").status_code == 200


# --- bounded at any network size (issue 17) ------------------------------------------------------

def test_each_state_shows_its_first_rows_and_links_to_the_rest(client, login_as, network, monkeypatch):
    from app.services.logistics import pickups

    monkeypatch.setattr(pickups, "BOARD_ROWS", 2)
    for n in range(3):
        network.post(description=f"Cassetta {n}", start_in=timedelta(hours=1, minutes=n))
    login_as(network.coordinator)
    html = _text(client.get("/coordinamento/ritiri"))
    assert "Cassetta 0" in html and "Cassetta 1" in html and "Cassetta 2" not in html
    assert "Da prenotare <span class=\"muted\">(3)</span>" in html
    assert "Mostra tutte le 3" in html and "stato=posted" in html
    first = _text(client.get("/coordinamento/ritiri?stato=posted"))
    assert "Cassetta 1" in first and "Cassetta 2" not in first and "pagina=2" in first
    second = _text(client.get("/coordinamento/ritiri?stato=posted&pagina=2"))
    assert "Cassetta 2" in second and "Cassetta 0" not in second and "Pagina precedente" in second


def test_the_board_narrows_to_one_province(client, login_as, network, make_org, make_user):
    modena = make_org("store", name="Conad Modena", province="Modena", municipality="Modena")
    network.post(description="Pane di Bologna")
    post_donation(make_user("store", org=modena), network.charity, description="Tigelle di Modena")
    login_as(network.coordinator)
    everything = _text(client.get("/coordinamento/ritiri"))
    assert "Pane di Bologna" in everything and "Tigelle di Modena" in everything
    assert '<option value="Modena"' in everything
    only = _text(client.get("/coordinamento/ritiri?provincia=Modena"))
    assert "Tigelle di Modena" in only and "Pane di Bologna" not in only
    assert "provincia=Modena" in only  # the day links and the live refresh keep the filter


def test_unknown_province_or_state_is_refused_in_italian(client, login_as, network):
    login_as(network.coordinator)
    response = client.get("/coordinamento/ritiri?provincia=Atlantide")
    assert response.status_code == 400 and "Provincia sconosciuta" in _text(response)
    response = client.get("/coordinamento/ritiri?stato=smarrite")
    assert response.status_code == 400 and "Stato sconosciuto" in _text(response)


def test_a_week_long_window_that_began_days_ago_is_on_today(client, login_as, network):
    six_days_ago = utcnow() - timedelta(days=6)
    post_donation(network.clerk, network.charity, now=six_days_ago, start_in=timedelta(minutes=10),
                  length=timedelta(days=7) - timedelta(minutes=20), description="Scatolame della settimana")
    login_as(network.coordinator)
    assert "Scatolame della settimana" in _text(client.get("/coordinamento/ritiri"))
