"""The driver's run in a real Chromium at 390x844 (issue 14): the DDT offline, a photo queued offline, the run."""
import io
from datetime import timedelta

from PIL import Image

from app.extensions import db
from app.models import Donation, DonationPhoto, Operation, TransportDocument
from app.services.logistics import photos
from tests.browser.pwa_helpers import outbox, replay, wait_cached, wait_controlled, wait_outbox
from tests.fixtures.pages import jpeg_with_exif
from tests.pickups_helpers import network, pick_up, send, tokens  # noqa: F401


def _fresh():
    db.session.rollback()  # end this session's snapshot: the server committed in another thread


def test_ddt_opens_offline_from_the_pickup_page(phone, browser_login, network, screenshot):
    donation = network.post(description="Mele e pere della Valsamoggia", crates=2, kg=14)
    codes = tokens(donation)
    browser_login(phone, network.volunteer.email)
    wait_controlled(phone)
    phone.goto("/volontario/")
    phone.locator(f"#offer-{donation.id}").get_by_role("button", name="Prenota il ritiro").click()
    phone.wait_for_selector(f"#actions-{donation.id} >> text=Ritiro prenotato")
    phone.goto(f"/volontario/ritiri/{donation.id}/scansione")
    for count, code in enumerate(codes, start=1):
        phone.fill("#token", code)
        phone.press("#token", "Enter")
        phone.wait_for_selector(f"#scan-panel >> text={count} di 2 cassette scansionate")
    phone.get_by_role("button", name="Conferma il ritiro di 2 cassette").click()
    phone.wait_for_selector("#scan-panel >> text=Ritiro confermato")
    phone.wait_for_selector("#scan-panel >> text=Mostra il DDT")  # right after the pickup
    _fresh()
    document = db.session.scalar(db.select(TransportDocument).where(TransportDocument.donation_id == donation.id))
    ddt_path = f"/documenti/ddt/{document.id}"
    # Opening the pickup page online keeps it and its DDT on the phone.
    phone.goto(f"/volontario/ritiri/{donation.id}")
    wait_cached(phone, f"/volontario/ritiri/{donation.id}")
    wait_cached(phone, ddt_path)

    phone.context.set_offline(True)  # stopped on the road, no signal
    phone.goto(f"/volontario/ritiri/{donation.id}")
    phone.get_by_role("link", name="Mostra il DDT").click()
    phone.wait_for_url(f"**{ddt_path}")
    text = phone.inner_text("main")
    assert f"n. {document.code}" in text
    assert "SuperFresco Mazzini" in text and "Emporio Solidale" in text and "Giulia Autista" in text
    assert "Mele e pere della Valsamoggia" in text and "Cessione gratuita L. 166/2016" in text
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, width  # a clean view at phone size, nothing to scroll sideways
    screenshot(phone, "run_ddt_offline")
    assert phone.console_errors == []


def test_photo_taken_offline_reaches_the_server_once(phone, browser_login, network, screenshot, tmp_path):
    donation = network.post(description="Insalate in busta")
    pick_up(network, donation)
    picture = tmp_path / "IMG_2041.jpg"
    picture.write_bytes(jpeg_with_exif(size=(3000, 2000)))
    browser_login(phone, network.volunteer.email)
    wait_controlled(phone)
    phone.goto(f"/volontario/ritiri/{donation.id}")
    wait_cached(phone, f"/volontario/ritiri/{donation.id}")

    phone.context.set_offline(True)
    phone.goto(f"/volontario/ritiri/{donation.id}")
    phone.set_input_files(f"#photo-pickup-{donation.id}", str(picture))
    phone.wait_for_selector(f"#photos-pickup-{donation.id} form[data-photo-ready]", state="attached")
    size = phone.evaluate(f"() => document.querySelector('#photo-pickup-{donation.id}').files[0].size")
    assert size < len(picture.read_bytes())  # resized on the phone before upload
    phone.get_by_role("button", name="Invia la foto").click()
    phone.wait_for_selector("[data-outbox-queued]")
    wait_outbox(phone, "items => items.some(i => i.state === 'waiting' && i.url.indexOf('/foto/') !== -1)")
    screenshot(phone, "run_photo_queued_offline")
    _fresh()
    assert db.session.scalar(db.select(db.func.count()).select_from(DonationPhoto)) == 0

    phone.context.set_offline(False)
    replay(phone)
    wait_outbox(phone, "items => items.length && items.every(i => i.state === 'sent')")
    replay(phone)  # a second replay sends nothing
    _fresh()
    rows = db.session.scalars(db.select(DonationPhoto)).all()
    assert len(rows) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Operation).where(
        Operation.kind == "donation.photo")) == 1
    with open(photos.path_of(rows[0].key), "rb") as handle:
        stored = Image.open(io.BytesIO(handle.read()))
    assert not stored.getexif() and max(stored.size) <= 1600
    phone.goto(f"/volontario/ritiri/{donation.id}")
    phone.wait_for_selector(f"#photos-pickup-{donation.id} img")
    screenshot(phone, "run_photo_sent")
    assert [i for i in outbox(phone) if i["state"] == "waiting"] == []
    assert phone.console_errors == []


def test_run_page_at_phone_size_and_a_reorder(phone, browser_login, network, make_org, make_user, screenshot):
    other_store = make_org("store", name="Forno Santo Stefano", lat=44.4870, lon=11.3560, phone="051 998877",
                           notes="Citofonare Forno, cortile interno")
    first = network.post(description="Yogurt", category="latticini", storage="chilled", crates=2, kg=8,
                         notes="Ingresso merci sul retro")
    second = send(make_user("store", org=other_store), "donation.post", category="pane_forno",
                  description="Pane del giorno", kg=5, crates=1, date_kind="none", recipient_id=network.charity.id,
                  window_start=(first.window_start + timedelta(minutes=30)).isoformat(),
                  window_end=(first.window_end + timedelta(hours=1)).isoformat())
    assert second["status"] == "applied", second
    for donation_id in (first.id, second["donation_id"]):
        assert send(network.volunteer, "donation.claim", donation_id=donation_id)["status"] == "applied"
    browser_login(phone, network.volunteer.email)
    phone.goto("/volontario/")
    phone.get_by_role("link", name="Il mio giro").click()
    phone.wait_for_selector("#run-stops li")
    assert phone.locator("#run-stops li.run-stop").count() == 4
    assert "Ingresso merci sul retro" in phone.inner_text("#run-stops")
    screenshot(phone, "run_page")
    # The last stop that may go up: the suggested order depends on the hour (the charity's receiving
    # hours), and a delivery right after its own pickup offers no "up".
    stops = phone.locator("#run-stops li.run-stop")
    place = max(i for i in range(1, 4) if stops.nth(i).get_by_role("button", name="Sposta su").is_enabled())
    moved = stops.nth(place)
    name, key = moved.locator("h3").inner_text(), moved.get_attribute("id")
    moved.get_by_role("button", name="Sposta su").click()
    phone.wait_for_selector("#run-stops >> text=Ordine scelto da te")
    phone.reload()
    assert stops.nth(place - 1).get_attribute("id") == key
    assert stops.nth(place - 1).locator("h3").inner_text() == name
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    # Once opened, the run works offline (the order as last seen).
    wait_controlled(phone)
    phone.reload()
    wait_cached(phone, "/volontario/giro")
    phone.context.set_offline(True)
    phone.reload()
    assert phone.locator("#run-stops li.run-stop").count() == 4
    assert stops.nth(place - 1).get_attribute("id") == key
    phone.context.set_offline(False)
    assert phone.console_errors == []
    _fresh()
    assert db.session.get(Donation, first.id).status == "claimed"


def test_store_and_coordinator_pages_at_phone_size(phone, browser_login, network, screenshot):
    donation = network.post(description="Yogurt alla frutta", category="latticini", storage="chilled")
    pick_up(network, donation, temperature_c=4)
    first = tokens(donation)[0]
    send(network.charity_staff, "donation.receive", donation_id=donation.id, received_kg="11,5", temperature_c="5",
         problems=[{"token": first, "kind": "damaged", "note": "Confezioni schiacciate"}])
    browser_login(phone, network.clerk.email)
    phone.goto(f"/negozio/donazioni/{donation.id}")
    text = phone.inner_text("main")
    assert "DDT n." in text and "11,5 kg" in text and "Confezioni schiacciate" in text and "Stampa su A4" in text
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(phone, "run_store_donation_received")
    phone.context.clear_cookies()
    browser_login(phone, network.coordinator.email)
    phone.goto("/coordinamento/ritiri")
    phone.get_by_role("link", name="Registra un ritiro fatto senza app").click()
    phone.wait_for_selector("#donation_id")
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(phone, "run_backfill_form")
    assert phone.console_errors == []


def test_charity_adds_a_receipt_photo_online(phone, browser_login, network, screenshot, tmp_path):
    donation = network.post(description="Frutta mista")
    pick_up(network, donation)
    picture = tmp_path / "arrivo.jpg"
    picture.write_bytes(jpeg_with_exif(size=(1600, 1200)))
    browser_login(phone, network.charity_staff.email)
    phone.goto(f"/ente/consegne/{donation.id}")
    phone.set_input_files(f"#photo-receipt-{donation.id}", str(picture))
    phone.wait_for_selector(f"#photos-receipt-{donation.id} form[data-photo-ready]", state="attached")
    phone.locator(f"#photos-receipt-{donation.id}").get_by_role("button", name="Invia la foto").click()
    phone.wait_for_selector(f"#photos-receipt-{donation.id} >> text=Foto salvata")
    phone.wait_for_selector(f"#photos-receipt-{donation.id} img")
    _fresh()
    assert [p.stage for p in db.session.scalars(db.select(DonationPhoto))] == ["receipt"]
    screenshot(phone, "run_charity_receipt_photo")
    assert phone.console_errors == []
