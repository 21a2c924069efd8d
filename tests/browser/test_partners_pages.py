"""Partners pages in a real Chromium at phone size: agreements, the charity's capacity and needs, equity. CSP-clean."""
from datetime import timedelta

from app.extensions import db
from app.models.partners import Agreement, CharityCapacity
from app.services.partners.agreements import today
from tests.impact_helpers import dataset  # noqa: F401


def test_the_coordinator_prepares_and_signs_an_agreement(phone, browser_login, make_user, make_org, screenshot):
    store = make_org("store", name="Coop Porta Nuova", vat_number="IT01234567890")
    lapsing = make_org("charity", name="Mensa San Donato")
    db.session.add(Agreement(organisation_id=lapsing.id, kind="charity_reception", status="signed",
                             starts_on=today() - timedelta(days=300), ends_on=today() + timedelta(days=12),
                             signatory_name="Don Paolo"))
    db.session.commit()
    make_user("coordinator", email="coord@example.org")
    browser_login(phone, "coord@example.org")
    assert "scade tra 12 giorni" in phone.inner_text("main")
    screenshot(phone, "partners_coordinator_home")
    phone.goto("/coordinamento/convenzioni")
    screenshot(phone, "partners_agreements")
    phone.click(f"a[href='/coordinamento/convenzioni/nuova/{store.id}']")
    phone.fill("#signatory_name", "Giulia Verdi")
    phone.fill("#signatory_role", "Direttrice")
    phone.click("main button[type=submit]")
    phone.wait_for_selector("h1:has-text('Convenzione di donazione')")
    assert "Convenzione creata come bozza." in phone.inner_text("main")
    phone.click("button:has-text('Segna come firmata')")
    phone.wait_for_selector(".flash-success")
    assert "firmata" in phone.inner_text("main")
    screenshot(phone, "partners_agreement_signed")
    phone.click("text=Testo da stampare")
    phone.wait_for_selector("article.prose")
    assert "Coop Porta Nuova" in phone.inner_text("article") and "IT01234567890" in phone.inner_text("article")
    screenshot(phone, "partners_agreement_text")
    assert phone.console_errors == []


def test_charity_staff_set_capacity_and_needs_and_volunteers_see_them(phone, browser_login, make_user, make_org,
                                                                      screenshot):
    charity = make_org("charity", name="Emporio Solidale Navile")
    make_user("charity", org=charity, email="ente@example.org")
    browser_login(phone, "ente@example.org")
    phone.goto("/ente/capacita")
    phone.fill("#kg_day", "80")
    phone.fill("#kg_week", "300")
    phone.fill("#closure-0-from", (today() + timedelta(days=40)).isoformat())
    phone.fill("#closure-0-to", (today() + timedelta(days=60)).isoformat())
    phone.fill("#closure-0-reason", "Chiusura estiva")
    phone.click("button:has-text('Salva la capacità')")
    phone.wait_for_selector(".flash-success")
    phone.select_option("#need-frutta_verdura", "more")
    phone.select_option("#need-pane_forno", "less")
    phone.fill("#needs_note", "Ci manca la verdura fresca")
    phone.click("button:has-text('Aggiorna i bisogni')")
    phone.wait_for_selector(".flash-success")
    row = db.session.get(CharityCapacity, charity.id)
    db.session.refresh(row)
    assert row.kg_day == 80 and row.needs_more == ["frutta_verdura"] and len(row.closures) == 1
    screenshot(phone, "partners_capacity")
    phone.goto("/ente/")
    assert "Ci manca la verdura fresca" in phone.inner_text("main")
    screenshot(phone, "partners_charity_home")
    assert phone.console_errors == []


def test_the_dashboard_shows_equity_with_a_lorenz_curve(phone, browser_login, make_user, dataset, screenshot):
    make_user("coordinator", email="coord@example.org")
    browser_login(phone, "coord@example.org")
    phone.goto("/coordinamento/impatto?periodo=2025")
    phone.wait_for_selector("#chart-lorenz")
    phone.locator("#h-equity").scroll_into_view_if_needed()
    assert phone.locator("#gini-value").inner_text()
    screenshot(phone, "partners_equity", full_page=False)
    assert phone.console_errors == []
