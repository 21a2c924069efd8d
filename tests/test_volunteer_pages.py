"""The volunteer's pages: open pickups near me, claim and unclaim, scanning at the store, my pickups."""
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.models import Donation
from app.models.base import utcnow
from app.services.ops import new_op_id
from app.services.people.tokens import display_token
from tests.pickups_helpers import network, pick_up, post_donation, reload, send, tokens  # noqa: F401

HTMX = {"HX-Request": "true"}


def _form(**fields):
    return {"op_id": new_op_id(), "occurred_at": utcnow().isoformat(), **fields}


def _text(response):
    return response.get_data(as_text=True)


def test_open_pickups_are_sorted_nearest_first_with_what_a_driver_needs(client, login_as, network, make_org,
                                                                         make_user):
    far_store = make_org("store", name="Forno di Imola", municipality="Imola", lat=44.3537, lon=11.7126,
                         notes="Ritiro dal retro, citofono magazzino")
    far_clerk = make_user("store", org=far_store)
    post_donation(far_clerk, network.charity, description="Pane di ieri", notes="Sacchi di carta")
    network.post(description="Mele del Trentino")
    login_as(network.volunteer)
    html = _text(client.get("/volontario/"))
    assert html.index("Mele del Trentino") < html.index("Pane di ieri")
    assert "Ritiro dal retro, citofono magazzino" in html and "Sacchi di carta" in html
    assert far_store.maps_url.replace("&", "&amp;") in html and network.charity.maps_url.replace("&", "&amp;") in html
    assert "Emporio Solidale" in html and "12 kg" in html and "3 cassette" in html


def test_chilled_and_frozen_are_hidden_without_cold_transport(client, login_as, network, make_user):
    network.post(description="Mozzarelle", category="latticini", storage="chilled")
    network.post(description="Piselli surgelati", category="surgelati", storage="frozen")
    network.post(description="Pasta secca", category="dispensa")
    login_as(make_user("volunteer", cold_transport=False))
    html = _text(client.get("/volontario/"))
    assert "Pasta secca" in html and "Mozzarelle" not in html and "Piselli surgelati" not in html
    assert "Senza trasporto refrigerato" in html


def test_only_today_and_tomorrow_and_never_expired(client, login_as, network):
    now = utcnow()
    post_donation(network.clerk, network.charity, now=now - timedelta(hours=6), description="Finestra chiusa")
    network.post(description="Tra tre giorni", start_in=timedelta(days=3))
    network.post(description="Adesso")
    login_as(network.volunteer)
    html = _text(client.get("/volontario/"))
    assert "Adesso" in html and "Finestra chiusa" not in html and "Tra tre giorni" not in html


@pytest.mark.parametrize("status,fragment", [("pending", "in attesa di approvazione"),
                                             ("suspended", "Profilo non attivo")])
def test_volunteer_not_approved_sees_why_and_cannot_claim(client, login_as, network, make_user, status, fragment):
    donation = network.post()
    login_as(make_user("volunteer", volunteer_status=status))
    html = _text(client.get("/volontario/"))
    assert fragment in html
    response = client.post(f"/volontario/ritiri/{donation.id}/prenota", data=_form(), headers=HTMX)
    assert response.status_code == 409 and "Non puoi prenotarlo" in _text(response)
    assert reload(donation).status == "posted"


def test_expired_training_shows_the_reason_on_a_cold_pickup(client, login_as, network, make_user):
    network.post(description="Ricotta", category="latticini", storage="chilled")
    login_as(make_user("volunteer", hygiene_training_on=date.today() - timedelta(days=4 * 365)))
    html = _text(client.get("/volontario/"))
    assert "Ricotta" in html and "corso di igiene alimentare" in html
    assert "Prenota il ritiro" not in html


def test_claim_with_a_plain_form_redirects_to_the_pickup(client, login_as, network):
    donation = network.post()
    login_as(network.volunteer)
    response = client.post(f"/volontario/ritiri/{donation.id}/prenota", data=_form())
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/volontario/ritiri/{donation.id}")
    page = _text(client.get(response.headers["Location"]))
    assert "Ritiro prenotato" in page and "Scansiona le cassette" in page and 'class="timeline"' in page


def test_claim_already_taken_answers_htmx_with_the_reason(client, login_as, network):
    donation = network.post()
    send(network.volunteer2, "donation.claim", donation_id=donation.id)
    login_as(network.volunteer)
    response = client.post(f"/volontario/ritiri/{donation.id}/prenota", data=_form(), headers=HTMX)
    assert response.status_code == 409
    assert "Un altro volontario ha già prenotato" in _text(response) and "<html" not in _text(response)


def test_the_same_form_submitted_twice_claims_once(client, login_as, network):
    donation = network.post()
    login_as(network.volunteer)
    form = _form()
    client.post(f"/volontario/ritiri/{donation.id}/prenota", data=form, headers=HTMX)
    again = client.post(f"/volontario/ritiri/{donation.id}/prenota", data=form, headers=HTMX)
    assert again.status_code == 200 and "Già registrato" in _text(again)


def test_unclaim_needs_a_reason(client, login_as, network):
    donation = network.post(start_in=timedelta(hours=5))
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    login_as(network.volunteer)
    empty = client.post(f"/volontario/ritiri/{donation.id}/lascia", data=_form(reason=" "), headers=HTMX)
    assert empty.status_code == 409 and "Scrivi perché lasci il ritiro" in _text(empty)
    done = client.post(f"/volontario/ritiri/{donation.id}/lascia", data=_form(reason="Auto dal meccanico"))
    assert done.status_code == 302 and reload(donation).status == "posted"


def test_another_volunteers_pickup_is_not_shown(client, login_as, network):
    donation = network.post()
    send(network.volunteer2, "donation.claim", donation_id=donation.id)
    login_as(network.volunteer)
    assert client.get(f"/volontario/ritiri/{donation.id}").status_code == 403


@pytest.mark.parametrize("role", ["store", "charity"])
def test_other_roles_cannot_open_the_volunteer_area(client, as_role, role):
    as_role(role)
    assert client.get("/volontario/").status_code == 403


def test_actions_need_the_csrf_token(client, login_as, network):
    donation = network.post()
    login_as(network.volunteer)
    response = client.post(f"/volontario/ritiri/{donation.id}/prenota", data=_form(), csrf=False)
    assert response.status_code == 400 and reload(donation).status == "posted"


def test_action_forms_carry_op_id_and_occurred_at(client, login_as, network):
    donation = network.post()
    login_as(network.volunteer)
    html = _text(client.get("/volontario/"))
    assert 'name="op_id"' in html and 'name="occurred_at"' in html and "data-offline" in html
    assert f'hx-post="/volontario/ritiri/{donation.id}/prenota"' in html
    assert 'action="/volontario/ritiri/' in html  # a plain POST without JavaScript too


def test_scanning_by_typed_code_with_dashes_and_lower_case(client, login_as, network):
    donation = network.post()
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    login_as(network.volunteer)
    typed = display_token(tokens(donation)[0]).lower().replace("1", "l")
    response = client.post(f"/volontario/ritiri/{donation.id}/scansione", data=_form(token=typed), headers=HTMX)
    assert response.status_code == 200 and "1 di 3 cassette scansionate" in _text(response)


def test_scanning_an_unknown_code_says_so(client, login_as, network):
    donation = network.post()
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    login_as(network.volunteer)
    response = client.post(f"/volontario/ritiri/{donation.id}/scansione", data=_form(token="QQQQ-QQQQ-QQQQ"),
                           headers=HTMX)
    assert response.status_code == 409 and "Codice cassetta non riconosciuto" in _text(response)


def test_a_crate_of_another_donation_is_not_taken_by_mistake(client, login_as, network):
    donation, other = network.post(), network.post()
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    login_as(network.volunteer)
    response = client.post(f"/volontario/ritiri/{donation.id}/scansione", data=_form(token=tokens(other)[0]),
                           headers=HTMX)
    assert response.status_code == 409 and f"n. {other.id}" in _text(response)
    assert reload(other).status == "posted"


def test_too_warm_pickup_is_refused_on_the_page(client, login_as, network):
    donation = network.post(category="pollame", storage="chilled")
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    send(network.volunteer, "crate.scan", token=tokens(donation)[0], stage="pickup")
    login_as(network.volunteer)
    page = _text(client.get(f"/volontario/ritiri/{donation.id}/scansione"))
    assert 'name="temperature_c"' in page and "Sopra 8 °C" in page
    response = client.post(f"/volontario/ritiri/{donation.id}/ritirato", data=_form(temperature_c="11"),
                           headers=HTMX)
    assert response.status_code == 409 and "Troppo caldo: 11 °C" in _text(response)
    assert reload(donation).status == "claimed"


def test_past_best_before_asks_for_confirmation(client, login_as, network):
    donation = network.post(date_kind="best_before", date=(date.today() - timedelta(days=3)).isoformat(),
                            best_before_confirmed=True)
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    send(network.volunteer, "crate.scan", token=tokens(donation)[0], stage="pickup")
    login_as(network.volunteer)
    assert 'name="best_before_confirmed"' in _text(client.get(f"/volontario/ritiri/{donation.id}/scansione"))
    refused = client.post(f"/volontario/ritiri/{donation.id}/ritirato", data=_form(), follow_redirects=True)
    assert "confezioni sono integre" in _text(refused)
    done = client.post(f"/volontario/ritiri/{donation.id}/ritirato", data=_form(best_before_confirmed="1"))
    assert done.status_code == 302 and reload(donation).status == "picked_up"


def test_my_pickups_show_what_to_do_next(client, login_as, network):
    claimed, carried = network.post(description="Da ritirare"), network.post(description="In viaggio")
    send(network.volunteer, "donation.claim", donation_id=claimed.id)
    pick_up(network, carried)
    login_as(network.volunteer)
    html = _text(client.get("/volontario/miei"))
    assert "Da ritirare" in html and "Scansiona le cassette" in html
    assert "In viaggio" in html and "Consegnato all'ente" in html and "Ente in Mappe" in html


def test_deliver_from_my_pickups(client, login_as, network):
    donation = network.post()
    pick_up(network, donation)
    login_as(network.volunteer)
    response = client.post(f"/volontario/ritiri/{donation.id}/consegnato", data=_form(), headers=HTMX)
    assert response.status_code == 200 and "Consegna segnata" in _text(response)
    assert db.session.get(Donation, donation.id).status == "delivered"


def test_crate_page_offers_the_claimer_the_pickup_scan(client, login_as, network):
    donation = network.post()
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    login_as(network.volunteer)
    token = tokens(donation)[1]
    html = _text(client.get(f"/c/{token}"))
    assert "Prendo questa cassetta" in html and f'value="{token}"' in html
    response = client.post(f"/volontario/ritiri/{donation.id}/scansione", data=_form(token=token, stage="pickup"),
                           headers=HTMX)
    assert "1 di 3 cassette scansionate" in _text(response)
    assert "già registrata come presa da te" in _text(client.get(f"/c/{token}"))


def test_crate_page_warns_a_volunteer_about_someone_elses_claim(client, login_as, network):
    donation = network.post()
    send(network.volunteer2, "donation.claim", donation_id=donation.id)
    login_as(network.volunteer)
    html = _text(client.get(f"/c/{tokens(donation)[0]}"))
    assert "prenotato da un altro volontario" in html and "hx-confirm" in html


def test_coordinator_may_look_at_the_volunteer_pages(client, login_as, network):
    donation = network.post()
    login_as(network.coordinator)
    assert "come coordinatore" in _text(client.get("/volontario/"))
    assert client.get(f"/volontario/ritiri/{donation.id}").status_code == 200
    assert client.get("/volontario/miei").status_code == 200
