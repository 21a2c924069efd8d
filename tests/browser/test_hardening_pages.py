"""What people see of issue 16 in a real browser: the status page, a refused scan, the Italian 400."""
import pytest

from app.extensions import db
from tests.pickups_helpers import network, send, tokens  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_pending_volunteer_sees_their_status_not_the_pickups(phone, browser_login, network, make_user,
                                                               screenshot):
    network.post(notes="Citofono 3, chiave sotto il vaso")
    person = make_user("volunteer", volunteer_status="pending", name="Paola Attesa", email="paola@example.org")
    db.session.commit()
    browser_login(phone, person.email)
    phone.goto("/volontario/")
    body = phone.inner_text("main")
    screenshot(phone, "hardening-pending-volunteer")
    assert "Iscrizione in attesa di approvazione" in body
    assert "SuperFresco" not in body and "Citofono" not in body
    assert "Iscrizione" in phone.inner_text("nav")
    assert phone.console_errors == []


def test_the_coordinator_sees_the_flag_of_an_unapproved_scan(phone, browser_login, network, make_user,
                                                             screenshot):
    donation = network.post()
    person = make_user("volunteer", volunteer_status="suspended", name="Sandro Sospeso")
    result = send(person, "crate.scan", token=tokens(donation)[0], stage="pickup")
    assert result["code"] == "not_approved"
    db.session.commit()
    browser_login(phone, network.coordinator.email)
    phone.goto(f"/coordinamento/ritiri/{donation.id}")
    body = phone.inner_text("main")
    screenshot(phone, "hardening-unapproved-scan-flag")
    assert "Scansione di un volontario non approvato" in body and "Sandro Sospeso" in body
    assert phone.console_errors == []


def test_a_hostile_address_gets_the_italian_error_page(phone, screenshot):
    response = phone.goto("/eventi/%00.ics")
    assert response.status == 400
    screenshot(phone, "hardening-400")
    assert "La richiesta non è valida" in phone.inner_text("main")
