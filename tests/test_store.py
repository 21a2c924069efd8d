"""Store pages: today, history, a donation with its timeline, edit, cancel; one store never sees another's."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Donation, Operation
from app.services import ops
from tests.donations_support import clock, form_data, op, payload, post, shop, unescape  # noqa: F401


@pytest.fixture
def rival(make_org, make_user):
    """Another store with its own clerk."""
    store = make_org("store", name="Discount Periferia")
    return type("Rival", (), {"store": store, "clerk": make_user("store", org=store, name="Rino Rivale")})


def test_store_nav_has_today_new_and_history(client, login_as, shop):
    login_as(shop.clerk)
    body = client.get("/negozio/").get_data(as_text=True)
    for label, href in (("Oggi", "/negozio/"), ("Nuova", "/negozio/nuova"), ("Storico", "/negozio/storico")):
        assert f'href="{href}"' in body and f"<span>{label}</span>" in body


def test_today_lists_the_store_donations_with_their_state(client, login_as, shop, clock, make_user):
    login_as(shop.clerk)
    first = post(shop.clerk, clock, description="Pane del giorno", category="pane_forno", storage="ambient",
                 date_kind="none", date="")
    post(shop.clerk, clock, description="Mozzarelle")
    donation = db.session.get(Donation, first["donation_id"])
    donation.status, donation.claimed_by_id = "claimed", make_user("volunteer", name="Vito Volontario").id
    db.session.commit()
    body = unescape(client.get("/negozio/").get_data(as_text=True))
    assert "Pane del giorno" in body and "Mozzarelle" in body
    assert "Viene Vito Volontario" in body and "In attesa di un volontario" in body
    assert 'hx-trigger="every 20s"' in body


def test_today_polling_gets_only_the_fragment(client, login_as, shop, clock):
    login_as(shop.clerk)
    post(shop.clerk, clock)
    response = client.get("/negozio/", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<section id="today"')
    assert "HX-Request" in response.headers["Vary"]


def test_history_filters_by_period_status_and_category(client, login_as, shop, clock):
    login_as(shop.clerk)
    kept = post(shop.clerk, clock, description="Formaggi freschi")
    post(shop.clerk, clock, description="Mele e pere", category="frutta_verdura", storage="ambient")
    ops.apply(op("donation.cancel", donation_id=kept["donation_id"], reason="Venduti"), shop.clerk)
    old = db.session.get(Donation, post(shop.clerk, clock, description="Merce vecchia")["donation_id"])
    old.posted_at = clock.now - timedelta(days=60)
    db.session.commit()

    def listed(**args):
        return unescape(client.get("/negozio/storico", query_string=args).get_data(as_text=True))

    body = listed(periodo="30")
    assert "Formaggi freschi" in body and "Mele e pere" in body and "Merce vecchia" not in body
    assert "Merce vecchia" in listed(periodo="90")
    only_cancelled = listed(stato="cancelled")
    assert "Formaggi freschi" in only_cancelled and "Mele e pere" not in only_cancelled
    fruit = listed(categoria="frutta_verdura")
    assert "Mele e pere" in fruit and "Formaggi freschi" not in fruit
    fragment = client.get("/negozio/storico?stato=posted", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="history-list"')


def test_donation_page_shows_contents_crates_actions_and_timeline(client, login_as, shop, clock):
    login_as(shop.clerk)
    result = post(shop.clerk, clock, allergens=["latte", "uova"])
    body = unescape(client.get(f"/negozio/donazioni/{result['donation_id']}").get_data(as_text=True))
    assert "Yogurt alla frutta" in body and "Latte e lattosio" in body and "Uova" in body
    for crate in result["crates"]:
        assert crate["token"][:4] + "-" in body
    assert "Stampa su A4" in body and "Modifica" in body and "Annulla la donazione" in body
    assert "Donazione pubblicata" in body and "Carla Cassiera" in body  # the timeline
    assert shop.charity.name in body


def test_new_donation_form_has_defaults_and_a_fresh_op_id(client, login_as, shop):
    login_as(shop.clerk)
    first = client.get("/negozio/nuova").get_data(as_text=True)
    second = client.get("/negozio/nuova").get_data(as_text=True)
    import re

    ids = [re.search(r'name="op_id" value="([^"]+)"', page).group(1) for page in (first, second)]
    assert ids[0] != ids[1]
    assert 'name="window_from" type="time" value="' in first and 'name="crates" type="number"' in first
    assert first.count('name="allergens"') == 14
    assert 'hx-post="/negozio/nuova/controlla"' in first


def test_posting_through_the_form_redirects_to_the_donation(client, login_as, shop, clock):
    login_as(shop.clerk)
    response = client.post("/negozio/nuova", data=form_data(payload(clock, value_eur=None, kg=10)))
    assert response.status_code == 302
    donation = db.session.scalar(select(Donation))
    assert response.headers["Location"].endswith(f"/negozio/donazioni/{donation.id}")
    assert donation.value_estimated and donation.value_eur == pytest.approx(37.0)
    logged = db.session.scalar(select(Operation))
    assert (logged.kind, logged.source) == ("donation.post", "form")


def test_a_refused_form_gets_a_new_op_id(client, login_as, shop, clock):
    import re

    login_as(shop.clerk)
    fields = form_data(payload(clock, kg=0))
    body = client.post("/negozio/nuova", data=fields).get_data(as_text=True)
    assert re.search(r'name="op_id" value="([^"]+)"', body).group(1) != fields["op_id"]
    fields.update(kg="4", op_id=re.search(r'name="op_id" value="([^"]+)"', body).group(1))
    assert client.post("/negozio/nuova", data=fields).status_code == 302


def test_edit_through_the_form(client, login_as, shop, clock):
    login_as(shop.clerk)
    result = post(shop.clerk, clock)
    page = client.get(f"/negozio/donazioni/{result['donation_id']}/modifica")
    assert page.status_code == 200 and "Salva le modifiche" in page.get_data(as_text=True)
    fields = form_data(payload(clock, kg=30, crates=4))
    response = client.post(f"/negozio/donazioni/{result['donation_id']}/modifica", data=fields)
    assert response.status_code == 302
    donation = db.session.get(Donation, result["donation_id"])
    assert donation.kg_declared == 30 and len(donation.crates) == 4


def test_cancel_with_a_reason_through_the_page(client, login_as, shop, clock):
    login_as(shop.clerk)
    result = post(shop.clerk, clock)
    url = f"/negozio/donazioni/{result['donation_id']}/annulla"
    client.post(url, data={"reason": ""})
    assert db.session.get(Donation, result["donation_id"]).status == "posted"
    client.post(url, data={"reason": "Cella frigo guasta"})
    donation = db.session.get(Donation, result["donation_id"])
    assert donation.status == "cancelled" and donation.cancel_reason == "Cella frigo guasta"
    body = unescape(client.get(f"/negozio/donazioni/{donation.id}").get_data(as_text=True))
    assert "Motivo: Cella frigo guasta" in body and "Annulla la donazione" not in body


def test_coordinator_may_open_any_store_donation_but_not_post(client, login_as, shop, clock, make_user):
    result = post(shop.clerk, clock)
    login_as(make_user("coordinator"))
    assert client.get(f"/negozio/donazioni/{result['donation_id']}").status_code == 200
    assert client.get("/negozio/nuova").status_code == 403


@pytest.mark.parametrize("role", ["volunteer", "charity", None])
def test_other_roles_stay_out_of_the_store_area(client, as_role, role):
    as_role(role)
    assert client.get("/negozio/").status_code == 403
    assert client.get("/negozio/nuova").status_code == 403


# --- one store never sees or touches another's donations (pages and API) ---------------------
@pytest.mark.parametrize("method,path", [
    ("get", "/negozio/donazioni/{id}"),
    ("get", "/negozio/donazioni/{id}/modifica"),
    ("post", "/negozio/donazioni/{id}/modifica"),
    ("post", "/negozio/donazioni/{id}/annulla"),
    ("post", "/negozio/donazioni/{id}/controlla"),
    ("get", "/negozio/donazioni/{id}/etichette"),
    ("get", "/negozio/donazioni/{id}/etichette?formato=rotolo"),
    ("get", "/negozio/donazioni/{id}/etichette/1"),
])
def test_another_store_gets_404_on_every_page(client, login_as, shop, rival, clock, method, path):
    result = post(shop.clerk, clock)
    login_as(rival.clerk)
    url = path.format(id=result["donation_id"])
    data = {"reason": "sabotaggio"} if method == "post" else None
    response = getattr(client, method)(url, data=data)
    assert response.status_code == 404
    assert "Yogurt" not in response.get_data(as_text=True)
    donation = db.session.get(Donation, result["donation_id"])
    assert donation.status == "posted" and donation.kg_declared == 12.5


def test_another_store_sees_nothing_in_its_lists(client, login_as, shop, rival, clock):
    post(shop.clerk, clock, description="Ricotta di bufala")
    login_as(rival.clerk)
    assert "Ricotta di bufala" not in client.get("/negozio/").get_data(as_text=True)
    assert "Ricotta di bufala" not in client.get("/negozio/storico?periodo=365").get_data(as_text=True)


@pytest.mark.parametrize("kind,fields", [
    ("donation.edit", {"kg": 1}),
    ("donation.cancel", {"reason": "sabotaggio"}),
])
def test_another_store_is_refused_by_the_api(client, login_as, shop, rival, clock, kind, fields):
    result = post(shop.clerk, clock)
    login_as(rival.clerk)
    response = client.post("/api/ops", json={"ops": [op(kind, donation_id=result["donation_id"], **fields)]})
    answer = response.get_json()["results"][0]
    assert answer["status"] == "refused" and answer["code"] == "not_allowed"
    assert "Yogurt" not in str(answer)
    donation = db.session.get(Donation, result["donation_id"])
    assert donation.status == "posted" and donation.kg_declared == 12.5


def test_a_store_cannot_post_for_another_store(client, login_as, shop, rival, clock):
    login_as(rival.clerk)
    response = client.post("/api/ops", json={"ops": [op("donation.post", store_id=shop.store.id,
                                                        **payload(clock))]})
    assert response.get_json()["results"][0]["code"] == "not_allowed"
    assert db.session.scalar(select(Donation)) is None


def test_another_stores_op_id_replay_learns_nothing(client, login_as, shop, rival, clock):
    op_id = ops.new_op_id()
    post(shop.clerk, clock, op_id=op_id)
    login_as(rival.clerk)
    answer = client.post("/api/ops", json={"ops": [{"op_id": op_id, "kind": "donation.post",
                                                    **payload(clock)}]}).get_json()["results"][0]
    assert answer["code"] == "not_allowed" and "crates" not in answer

