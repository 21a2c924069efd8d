"""Public pages in Chromium at phone size: axe-core finds no serious or critical violation,
the CSP holds, RSVP and the live preview work with htmx. Screenshots go to artifacts/."""
import pytest
from axe_playwright_python.sync_playwright import Axe

from app.extensions import db
from app.services.pages import images
from tests.fixtures.pages import jpeg_with_exif, make_campaign, make_event

BODY = """Durante le feste nei supermercati avanza più cibo del solito.

## Come puoi aiutare

- **Se hai un'auto**: iscriviti come volontario.
- **Se hai un negozio**: [scrivici](https://example.org/contatti).

> Nel dicembre scorso la rete ha salvato oltre 11 tonnellate di cibo.
"""


@pytest.fixture
def site(app):
    """A campaign with a cover, an open event of the campaign and a full one with a waitlist."""
    from app.services.pages import rsvp

    cover = images.store(images.decode(jpeg_with_exif()))
    db.session.commit()
    campaign = make_campaign(title="Natale senza spreco", slug="natale-senza-spreco", body=BODY,
                             summary="Durante le feste il cibo che avanza arriva a chi ne ha bisogno.",
                             cover=cover, cover_alt="Cassette di frutta e verdura")
    event = make_event(title="Cena solidale di Natale", slug="cena-solidale", capacity=40, body=BODY,
                       campaign_id=campaign.id, cover=cover, cover_alt="Una tavola apparecchiata")
    full = make_event(title="Laboratorio: cucinare con gli avanzi", slug="laboratorio", capacity=2)
    for i in range(3):
        rsvp.register(full.id, f"Persona {i}", f"p{i}@example.org", 1)
    return {"campaign": campaign, "event": event, "full": full}


def _fits_the_phone(page):
    """No sideways scrolling at 390 px."""
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def _serious(page):
    results = Axe().run(page)
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("path,name", [
    ("/", "home"),
    ("/campagne", "campaigns"),
    ("/campagne/natale-senza-spreco", "campaign"),
    ("/eventi", "events"),
    ("/eventi/cena-solidale", "event"),
    ("/eventi/laboratorio", "event_full"),
    ("/contatti", "contact"),
])
def test_public_pages_have_no_serious_accessibility_violation(phone, site, screenshot, path, name):
    response = phone.goto(path)
    assert response.status == 200
    phone.wait_for_load_state("networkidle")
    screenshot(phone, f"public_{name}")
    assert _serious(phone) == []
    assert _fits_the_phone(phone)
    assert phone.console_errors == []


def test_rsvp_with_htmx_shows_the_private_link(phone, site, screenshot):
    phone.goto("/eventi/cena-solidale")
    phone.fill("#name", "Giulia Bianchi")
    phone.fill("#email", "giulia@example.org")
    phone.fill("#people", "2")
    phone.get_by_role("button", name="Partecipo").click()
    phone.wait_for_selector("#booking-link")
    assert "Iscrizione confermata per 2 persone." in phone.inner_text("#rsvp")
    assert "/partecipazione/" in phone.input_value("#booking-link")
    phone.locator("#rsvp").scroll_into_view_if_needed()
    screenshot(phone, "public_event_rsvp_done", full_page=False)
    assert _serious(phone) == []
    link = phone.input_value("#booking-link")
    phone.goto(link)
    phone.on("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name="Annulla l'iscrizione").click()
    phone.wait_for_selector("text=Iscrizione annullata")
    screenshot(phone, "public_booking_cancelled")
    assert phone.console_errors == []


def test_full_event_offers_the_waitlist(phone, site):
    phone.goto("/eventi/laboratorio")
    assert phone.get_by_role("button", name="Mettimi in lista d'attesa").is_visible()


def test_live_preview_while_writing(phone, site, make_user, browser_login, screenshot):
    make_user("coordinator", email="coord@example.org")
    browser_login(phone, "coord@example.org")
    phone.goto("/coordinamento/campagne/nuova")
    phone.fill("#title", "Pane di ieri")
    phone.fill("#body", "## Per i forni\n\nIl pane **invenduto** <script>alert(1)</script>")
    phone.wait_for_selector("#preview h3")
    preview = phone.inner_html("#preview")
    assert "<strong>invenduto</strong>" in preview and "<script>" not in preview
    phone.locator("#preview").scroll_into_view_if_needed()
    screenshot(phone, "coordinator_campaign_preview", full_page=False)
    assert _serious(phone) == []
    assert phone.console_errors == []


def test_coordinator_pages_have_no_serious_violation(phone, site, make_user, browser_login, screenshot):
    make_user("coordinator", email="coord@example.org")
    browser_login(phone, "coord@example.org")
    for path, name in [("/coordinamento/campagne", "coordinator_campaigns"),
                       ("/coordinamento/eventi", "coordinator_events"),
                       (f"/coordinamento/eventi/{site['event'].id}", "coordinator_event_form"),
                       (f"/coordinamento/eventi/{site['full'].id}/iscritti", "coordinator_rsvps")]:
        phone.goto(path)
        screenshot(phone, name)
        assert _serious(phone) == [], path
        assert _fits_the_phone(phone), path
    assert phone.console_errors == []
