"""Pickups in a real Chromium at phone size: claim, scan, pickup, deliver, receipt, the board."""
import re
from datetime import timedelta

from app.extensions import db
from app.models import Donation
from app.services.people.tokens import display_token
from tests.pickups_helpers import network, pick_up, post_donation, send, tokens  # noqa: F401


def _status(donation_id):
    db.session.rollback()  # end this session's snapshot: the server committed in another thread
    return db.session.get(Donation, donation_id).status


def test_volunteer_claims_scans_and_delivers_in_the_browser(phone, browser_login, network, screenshot):
    donation = network.post(description="Yogurt e formaggi freschi", category="latticini", storage="chilled",
                            crates=3, kg=18, notes="Chiedere di Paolo al banco")
    network.post(description="Pane del giorno", category="pane_forno", kg=6, crates=1,
                 start_in=timedelta(hours=20))
    codes = tokens(donation)
    browser_login(phone, network.volunteer.email)

    phone.goto("/volontario/")
    screenshot(phone, "pickup_volunteer_open")
    card = phone.locator(f"#offer-{donation.id}")
    card.get_by_role("button", name="Prenota il ritiro").click()
    phone.wait_for_selector(f"#actions-{donation.id} >> text=Ritiro prenotato")
    assert _status(donation.id) == "claimed"

    phone.goto(f"/volontario/ritiri/{donation.id}")
    screenshot(phone, "pickup_volunteer_detail")
    phone.goto(f"/c/{codes[2]}")  # what the phone's own camera app opens from a label
    screenshot(phone, "pickup_crate_page_claimer")
    phone.goto(f"/volontario/ritiri/{donation.id}")
    phone.get_by_role("link", name="Scansiona le cassette").first.click()
    phone.wait_for_selector("#scan-panel")
    for count, code in enumerate((display_token(codes[0]).lower(), codes[1]), start=1):
        phone.fill("#token", code)
        phone.press("#token", "Enter")
        phone.wait_for_selector(f"#scan-panel >> text={count} di 3 cassette scansionate")
    # Both crates are listed as scanned. (The "Cassetta registrata" note is transient: a later
    # refresh of the panel may already have replaced it, so it is not asserted here.)
    assert re.findall(r"(?m)^scansionata$", phone.inner_text("#scan-panel")) == ["scansionata"] * 2
    # Ready for the next code: focus returns to the field once htmx has settled the swap.
    phone.wait_for_function("document.activeElement && document.activeElement.id === 'token'", timeout=5000)
    phone.fill("#temperature_c", "5,5")
    phone.once("dialog", lambda dialog: dialog.accept())
    screenshot(phone, "pickup_volunteer_scan")
    phone.get_by_role("button", name="Conferma il ritiro di 2 cassette").click()
    phone.wait_for_selector("#scan-panel >> text=Ritiro confermato")
    assert _status(donation.id) == "picked_up"
    screenshot(phone, "pickup_volunteer_picked_up")
    phone.get_by_role("button", name="Consegnato all'ente").click()
    phone.wait_for_selector("text=Consegna segnata")
    assert _status(donation.id) == "delivered"
    assert phone.console_errors == []


def test_charity_confirms_receipt_with_a_spoiled_crate(phone, browser_login, network, screenshot):
    donation = network.post(description="Frutta mista", crates=3, kg=15)
    pick_up(network, donation)
    send(network.volunteer, "donation.deliver", donation_id=donation.id)
    codes = tokens(donation)
    browser_login(phone, network.charity_staff.email)
    phone.goto("/ente/")
    screenshot(phone, "pickup_charity_home")
    phone.get_by_role("link", name="Conferma ricezione").first.click()
    phone.wait_for_selector("#receipt-panel")
    phone.fill("#token", codes[0])
    phone.press("#token", "Enter")
    phone.wait_for_selector("#receipt-panel >> text=1 di 3")
    phone.fill("#received_kg", "14,2")
    phone.select_option(f"#problem-{codes[2]}", "spoiled")
    phone.fill(f"input[name=note-{codes[2]}]", "Pesche ammuffite")
    screenshot(phone, "pickup_charity_receipt")
    phone.get_by_role("button", name="Conferma ricezione").click()
    phone.wait_for_selector("#receipt-panel >> text=Ricezione confermata")
    assert _status(donation.id) == "received"
    assert db.session.get(Donation, donation.id).received_kg == 14.2
    screenshot(phone, "pickup_charity_received")
    phone.goto(f"/c/{codes[1]}")
    screenshot(phone, "pickup_crate_page_charity")
    assert phone.console_errors == []


def test_coordinator_board_shows_flagged_first(phone, browser_login, network, screenshot):
    late = network.post(description="Insalate in busta", start_in=timedelta(minutes=45))
    send(network.volunteer, "donation.claim", donation_id=late.id)
    send(network.volunteer, "donation.unclaim", donation_id=late.id, reason="Auto in panne")
    network.post(description="Pasta e legumi")
    warm = network.post(description="Mozzarelle", category="latticini", storage="chilled")
    pick_up(network, warm, temperature_c=19)
    browser_login(phone, network.coordinator.email)
    phone.goto("/coordinamento/ritiri")
    flagged = phone.locator("#flagged-title + ul")
    assert "Insalate in busta" in flagged.inner_text() and "Mozzarelle" in flagged.inner_text()
    assert "Rinuncia all'ultimo momento" in flagged.inner_text()
    screenshot(phone, "pickup_board")
    phone.get_by_role("link", name="Mozzarelle").click()
    phone.wait_for_selector("text=Segnalazioni aperte")
    screenshot(phone, "pickup_board_donation")
    assert phone.console_errors == []


def test_volunteer_waiting_for_approval_sees_why(phone, browser_login, make_user, network, screenshot):
    network.post(description="Verdure miste")
    make_user("volunteer", volunteer_status="pending", email="nuovo@example.org")
    browser_login(phone, "nuovo@example.org")
    phone.goto("/volontario/")
    assert "in attesa di approvazione" in phone.inner_text("main")
    screenshot(phone, "pickup_volunteer_pending")
    assert phone.console_errors == []


def test_expired_window_never_shows_as_open(phone, browser_login, network):
    from app.models.base import utcnow

    post_donation(network.clerk, network.charity, now=utcnow() - timedelta(hours=5), description="Scaduta ieri")
    browser_login(phone, network.volunteer.email)
    phone.goto("/volontario/")
    assert "Scaduta ieri" not in phone.inner_text("main")


def test_board_filtered_by_province_at_phone_size(phone, browser_login, network, make_org, make_user, screenshot,
                                                  monkeypatch):
    from app.services.logistics import pickups

    monkeypatch.setattr(pickups, "BOARD_ROWS", 2)
    modena = make_org("store", name="Conad Modena Est", province="Modena", municipality="Modena")
    for n in range(3):
        network.post(description=f"Pane del mattino {n}", start_in=timedelta(hours=1, minutes=n))
    post_donation(make_user("store", org=modena), network.charity, description="Tigelle e crescentine")
    browser_login(phone, network.coordinator.email)
    phone.goto("/coordinamento/ritiri")
    assert "Mostra tutte le 4" in phone.inner_text("#group-posted + ul + p")  # three here, one in Modena
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(phone, "board_whole_network")
    phone.select_option("#board-province", "Modena")
    phone.get_by_role("button", name="Filtra").click()
    phone.wait_for_url("**provincia=Modena**")
    text = phone.inner_text("#board-live")
    assert "Tigelle e crescentine" in text and "Pane del mattino" not in text
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(phone, "board_one_province")
    assert phone.console_errors == []
