"""Open pickups are a bounded read: the volunteer's radius (an indexed bounding box), then pages."""
import pytest

from app.extensions import db
from app.services.logistics import pickups
from tests.pickups_helpers import network, post_donation  # noqa: F401  (fixture)


def _text(response):
    return response.get_data(as_text=True)


@pytest.fixture
def far_and_near(network, make_org, make_user):  # noqa: F811
    """A store 80 km from the volunteer's base (Bologna), one 10 km away, one without coordinates."""
    far = make_org("store", name="Negozio di Rimini", lat=44.0678, lon=12.5695)  # ~105 km
    near = make_org("store", name="Negozio di Castenaso", lat=44.5096, lon=11.4700)  # ~10 km
    unknown = make_org("store", name="Negozio senza mappa", lat=None, lon=None)
    for store, what in ((far, "Lontano"), (near, "Vicino"), (unknown, "Senza coordinate")):
        post_donation(make_user("store", org=store), network.charity, description=what)
    return network


def test_pickups_beyond_the_radius_are_not_listed(client, login_as, far_and_near):
    login_as(far_and_near.volunteer)
    html = _text(client.get("/volontario/"))
    assert "Vicino" in html and "Senza coordinate" in html and "Lontano" not in html
    assert "Entro 50 km dalla tua base." in html
    assert html.index("Vicino") < html.index("Senza coordinate")  # unknown distance comes last


def test_the_radius_comes_from_the_configuration(app, client, login_as, far_and_near, monkeypatch):
    monkeypatch.setitem(app.config, "PICKUP_RADIUS_KM", 150)
    login_as(far_and_near.volunteer)
    assert "Lontano" in _text(client.get("/volontario/"))


def test_open_pickups_come_in_pages_nearest_first(app, client, login_as, far_and_near, monkeypatch):
    monkeypatch.setitem(app.config, "PICKUP_PAGE_SIZE", 1)
    login_as(far_and_near.volunteer)
    first = _text(client.get("/volontario/"))
    assert "Vicino" in first and "Senza coordinate" not in first and "Più lontani" in first
    second = _text(client.get("/volontario/?pagina=2"))
    assert "Senza coordinate" in second and "Vicino" not in second and "Più vicini" in second
    assert "Pagina 2" in second and "Più lontani" not in second


@pytest.mark.parametrize("page", ["abc", "-3", "0", ""])
def test_a_bad_page_number_shows_the_first_page(client, login_as, far_and_near, page):
    login_as(far_and_near.volunteer)
    response = client.get(f"/volontario/?pagina={page}")
    assert response.status_code == 200 and "Vicino" in _text(response)


@pytest.mark.parametrize("base", [True, False])
def test_a_page_far_beyond_the_end_is_empty_not_an_error(client, login_as, far_and_near, base):
    volunteer = far_and_near.volunteer
    if not base:
        volunteer.volunteer.base_lat = volunteer.volunteer.base_lon = None
        db.session.commit()
    login_as(volunteer)
    response = client.get("/volontario/?pagina=2000000000")
    assert response.status_code == 200 and "Nessun ritiro aperto per ora." in _text(response)
    # Beyond the database's integers the request guard answers first, in Italian (issue 16).
    assert client.get("/volontario/?pagina=99999999999999999999").status_code == 400


def test_a_volunteer_without_a_base_gets_the_network_by_time_in_pages(app, far_and_near, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "PICKUP_PAGE_SIZE", 2)
    nowhere = make_user("volunteer")
    nowhere.volunteer.base_lat = nowhere.volunteer.base_lon = None
    db.session.commit()
    listing = pickups.open_pickups(nowhere)
    assert listing.radius_km is None and len(listing.offers) == 2 and listing.has_next
    rest = pickups.open_pickups(nowhere, page=2)
    assert len(rest.offers) == 1 and not rest.has_next  # the network's 3 open pickups, Rimini included
    assert {o.donation.description for o in listing.offers + rest.offers} == {"Lontano", "Vicino", "Senza coordinate"}


def test_bounding_box_encloses_the_radius():
    lat_min, lat_max, lon_min, lon_max = pickups.bounding_box((45.0, 9.0), 50)
    from app.geo import distance_km

    assert distance_km((45.0, 9.0), (lat_max, 9.0)) >= 49.9 and distance_km((45.0, 9.0), (45.0, lon_max)) >= 49.9
    assert lat_min < 45.0 < lat_max and lon_min < 9.0 < lon_max


def test_store_staff_cannot_open_the_volunteer_list(client, login_as, far_and_near):
    login_as(far_and_near.clerk)
    assert client.get("/volontario/").status_code == 403
