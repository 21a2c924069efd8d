"""Crate labels: every required item on each label, two print layouts, single-crate reprint."""
import re
from datetime import date as date_type

import pytest

from app.extensions import db
from app.models import Donation
from app.services.food.labels import crate_url, labels
from tests.donations_support import clock, payload, post, shop, unescape  # noqa: F401


@pytest.fixture
def posted(shop, clock):
    """A chilled donation with three crates, a use-by date and two allergens."""
    return post(shop.clerk, clock, crates=3, allergens=["latte", "frutta_guscio"])


def test_a4_sheet_has_every_label_with_its_items(client, login_as, shop, posted, clock):
    login_as(shop.clerk)
    response = client.get(f"/negozio/donazioni/{posted['donation_id']}/etichette?formato=a4")
    body = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    labels_html = re.findall(r'<article class="label.*?</article>', body, re.S)
    assert len(labels_html) == 3
    date = date_type.fromisoformat(payload(clock)["date"])
    for n, (label, crate) in enumerate(zip(labels_html, posted["crates"]), start=1):
        assert shop.store.name in label
        assert f'<span class="label-n">{n}/3</span>' in label
        assert "Latticini e formaggi freschi" in label and "Refrigerato" in label
        assert "Da consumare entro" in label and date.strftime("%d/%m/%Y") in label
        assert "latte, frutta a guscio" in label
        token = crate["token"]
        assert f"{token[:4]}-{token[4:8]}-{token[8:]}" in label
        assert f'data-url="{crate["url"]}"' in label and "<svg" in label
    assert "labels-a4.css" in body and "labels-rotolo.css" not in body


def test_roll_layout_uses_its_own_page_size(client, login_as, shop, posted):
    login_as(shop.clerk)
    body = client.get(f"/negozio/donazioni/{posted['donation_id']}/etichette?formato=rotolo").get_data(as_text=True)
    assert "labels-rotolo.css" in body and body.count('<article class="label') == 3
    css = client.get("/static/css/labels-rotolo.css").get_data(as_text=True)
    assert "@page { size: 62mm" in css
    assert "@page { size: A4" in client.get("/static/css/labels-a4.css").get_data(as_text=True)


def test_reprint_of_one_crate(client, login_as, shop, posted):
    login_as(shop.clerk)
    body = client.get(f"/negozio/donazioni/{posted['donation_id']}/etichette/2").get_data(as_text=True)
    assert body.count('<article class="label') == 1
    assert posted["crates"][1]["url"] in body and posted["crates"][0]["url"] not in body
    assert client.get(f"/negozio/donazioni/{posted['donation_id']}/etichette/9").status_code == 404


def test_eight_labels_per_a4_sheet(client, login_as, shop, clock):
    login_as(shop.clerk)
    result = post(shop.clerk, clock, crates=11)
    body = client.get(f"/negozio/donazioni/{result['donation_id']}/etichette").get_data(as_text=True)
    sheets = re.findall(r'<section class="sheet".*?</section>', body, re.S)
    assert [s.count('<article class="label') for s in sheets] == [8, 3]


def test_qr_encodes_the_public_crate_url(app, shop, posted):
    donation = db.session.get(Donation, posted["donation_id"])
    items = labels(donation)
    assert [item.url for item in items] == [c["url"] for c in posted["crates"]]
    assert items[0].url == app.config["PUBLIC_BASE_URL"] + "/c/" + items[0].token == crate_url(items[0].token)
