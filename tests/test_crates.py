"""/c/<token>: each viewer sees what their relation to the crate allows; strangers only the network."""
import pytest
from jinja2 import ChoiceLoader, DictLoader

from app.extensions import db
from app.models import Donation
from app.services.food.labels import relation
from tests.donations_support import clock, post, shop, unescape  # noqa: F401


@pytest.fixture
def crate(shop, clock):
    """The first crate of a fresh donation: (token, donation)."""
    result = post(shop.clerk, clock, description="Mozzarelle di bufala")
    return result["crates"][0]["token"], db.session.get(Donation, result["donation_id"])


@pytest.fixture
def actions_fragment(app):
    """Stand in for pickups/_crate_actions.html, recording the context it receives."""
    original = app.jinja_loader
    app.jinja_env.loader = ChoiceLoader([DictLoader({
        "pickups/_crate_actions.html": "<p id='crate-actions'>AZIONI {{ relation }} {{ crate.n }} {{ donation.id }}</p>"}),
        original])
    app.jinja_env.cache.clear()
    yield
    app.jinja_env.loader = original
    app.jinja_env.cache.clear()


def test_anonymous_visitor_sees_only_that_the_crate_is_ours(client, shop, crate):
    token, _donation = crate
    body = unescape(client.get(f"/c/{token}").get_data(as_text=True))
    assert "Cassetta della rete Raccolto" in body
    assert shop.store.name not in body and "Mozzarelle" not in body and shop.charity.name not in body
    assert "Accedi" in body and 'name="robots" content="noindex"' in body


@pytest.mark.parametrize("role", ["charity", "store", None])
def test_unrelated_users_see_no_contents(client, as_role, shop, crate, role):
    token, _donation = crate
    as_role(role)
    body = unescape(client.get(f"/c/{token}").get_data(as_text=True))
    assert "Cassetta della rete Raccolto" in body
    assert shop.store.name not in body and "Mozzarelle" not in body


def test_pending_volunteer_is_a_stranger(client, as_role, crate):
    token, donation = crate
    user = as_role("volunteer", volunteer_status="pending")
    assert relation(user, donation) == "other"
    assert "Mozzarelle" not in client.get(f"/c/{token}").get_data(as_text=True)


def test_relations(app, shop, crate, make_user, make_org):
    _token, donation = crate
    claimer = make_user("volunteer")
    donation.claimed_by_id = claimer.id
    db.session.commit()
    assert relation(shop.clerk, donation) == "store_staff"
    assert relation(claimer, donation) == "claimer"
    assert relation(make_user("volunteer"), donation) == "volunteer"
    assert relation(make_user("charity", org=shop.charity), donation) == "recipient_charity"
    assert relation(make_user("charity"), donation) == "other"
    assert relation(make_user("coordinator"), donation) == "coordinator"
    assert relation(make_user("store"), donation) == "other"
    assert relation(None, donation) == "other"


@pytest.mark.parametrize("who", ["claimer", "volunteer", "recipient_charity"])
def test_volunteers_and_the_recipient_get_the_pickup_actions(client, login_as, shop, crate, make_user,
                                                             actions_fragment, who):
    token, donation = crate
    user = {"claimer": lambda: make_user("volunteer"), "volunteer": lambda: make_user("volunteer"),
            "recipient_charity": lambda: make_user("charity", org=shop.charity)}[who]()
    if who == "claimer":
        donation.claimed_by_id = user.id
        donation.status = "claimed"
        db.session.commit()
    login_as(user)
    body = unescape(client.get(f"/c/{token}").get_data(as_text=True))
    assert "Mozzarelle di bufala" in body and shop.store.name in body
    assert f"AZIONI {who} 1 {donation.id}" in body


@pytest.mark.parametrize("role", ["store", "coordinator"])
def test_store_staff_and_coordinators_get_the_donation_link_not_the_scan(client, login_as, shop, crate,
                                                                       make_user, actions_fragment, role):
    token, donation = crate
    login_as(shop.clerk if role == "store" else make_user("coordinator"))
    body = unescape(client.get(f"/c/{token}").get_data(as_text=True))
    assert "Mozzarelle di bufala" in body and "AZIONI" not in body
    assert f"/negozio/donazioni/{donation.id}" in body


def test_the_page_works_without_the_pickup_fragment(client, login_as, make_user, crate):
    token, _donation = crate
    login_as(make_user("volunteer"))
    assert client.get(f"/c/{token}").status_code == 200


def test_unknown_token_is_a_helpful_italian_404(client):
    response = client.get("/c/ZZZZZZZZZZZZ")
    body = unescape(response.get_data(as_text=True))
    assert response.status_code == 404
    assert "Cassetta non trovata" in body and "ZZZZ-ZZZZ-ZZZZ" in body
    assert "Controlla il codice" in body and 'name="codice"' in body


def test_garbage_token_is_a_404_too(client):
    response = client.get("/c/not-a-crate")
    assert response.status_code == 404 and "Cassetta non trovata" in response.get_data(as_text=True)


def test_typed_code_finds_the_crate(client, crate):
    token, _donation = crate
    typed = f"{token[:4].lower()}-{token[4:8]} {token[8:]}"
    response = client.get("/c/", query_string={"codice": typed})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/c/{token}")
    assert client.get("/c/").status_code == 200


def test_non_canonical_url_redirects_to_the_canonical_one(client, crate):
    token, _donation = crate
    response = client.get(f"/c/{token.lower()}")
    assert response.status_code == 301 and response.headers["Location"].endswith(f"/c/{token}")
