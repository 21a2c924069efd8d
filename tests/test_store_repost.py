"""The store offers again, from its donation page, the crates a partial pickup left behind."""
from app.extensions import db
from app.models import Donation
from tests.pickups_helpers import network, pick_up  # noqa: F401  (fixture)


def test_store_reposts_left_crates_from_the_donation_page(client, login_as, network):
    donation = network.post(crates=4, kg=20)
    pick_up(network, donation, scan=3)
    login_as(network.clerk)
    page = client.get(f"/negozio/donazioni/{donation.id}").get_data(as_text=True)
    assert "Ripubblica le cassette rimaste" in page and "1 cassetta" in page
    response = client.post(f"/negozio/donazioni/{donation.id}/ripubblica", data={"op_id": "repost-0001-test"})
    new = db.session.scalar(db.select(Donation).where(Donation.reposted_from_id == donation.id))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/negozio/donazioni/{new.id}")
    assert new.crates_count == 1 and new.status == "posted"
    again = client.get(f"/negozio/donazioni/{donation.id}").get_data(as_text=True)
    assert "Ripubblica le cassette rimaste" not in again and f"donazione n. {new.id}" in again


def test_other_store_cannot_repost(client, as_role, network):
    donation = network.post(crates=2)
    pick_up(network, donation, scan=1)
    as_role("store")
    assert client.post(f"/negozio/donazioni/{donation.id}/ripubblica").status_code == 404
    assert db.session.scalar(db.select(Donation).where(Donation.reposted_from_id == donation.id)) is None
