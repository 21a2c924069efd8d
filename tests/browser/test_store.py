"""The clerk's side in a real Chromium at phone size: post a donation with inline checks, then its page."""
from datetime import timedelta

from tests.donations_support import clock, post, shop  # noqa: F401


def test_clerk_posts_a_donation_on_a_phone(phone, browser_login, shop, clock, screenshot):
    browser_login(phone, shop.clerk.email)
    phone.goto("/negozio/nuova")
    phone.wait_for_load_state("networkidle")
    screenshot(phone, "store_new_donation_empty", full_page=False)

    phone.select_option("#category", "surgelati")
    # The category brings its usual storage, swapped in by htmx.
    phone.wait_for_selector("input[name=storage][value=frozen]:checked")
    phone.fill("#description", "Minestrone surgelato, 24 buste")
    phone.fill("#kg", "0")
    phone.locator("#crates").focus()  # leaving the field fires the check
    phone.wait_for_selector("#err-kg:has-text('più di 0 kg')")
    phone.fill("#kg", "9,6")
    phone.locator("#crates").focus()
    phone.wait_for_selector("#err-kg:empty", state="attached")
    phone.fill("#crates", "2")
    phone.fill("#date", (clock.today - timedelta(days=1)).isoformat())
    phone.locator("#description").focus()
    phone.wait_for_selector("#err-date:has-text('è prima della fine del ritiro')")
    screenshot(phone, "store_new_donation_error", full_page=True)
    phone.fill("#date", (clock.today + timedelta(days=60)).isoformat())
    phone.locator("#description").focus()
    phone.wait_for_selector("#err-date:empty", state="attached")
    phone.locator("details.allergens summary").click()
    phone.check("input[name=allergens][value=sedano]")
    phone.wait_for_selector("#recipient_id option", state="attached")
    phone.wait_for_load_state("networkidle")  # the last inline check has answered
    screenshot(phone, "store_new_donation", full_page=True)

    phone.get_by_role("button", name="Pubblica donazione").click()
    phone.wait_for_url("**/negozio/donazioni/*")
    phone.wait_for_load_state("networkidle")
    assert "Donazione pubblicata" in phone.inner_text("#flashes")
    assert phone.locator(".timeline-title").first.inner_text() == "Donazione pubblicata"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "store_donation", full_page=False)
    screenshot(phone, "store_donation_full", full_page=True)
    assert phone.console_errors == []


def test_today_page_on_a_phone(phone, browser_login, shop, clock, screenshot):
    post(shop.clerk, clock, description="Pane e focacce del giorno", category="pane_forno", storage="ambient",
         date_kind="none", date="", crates=2, kg=8)
    post(shop.clerk, clock)
    browser_login(phone, shop.clerk.email)
    phone.goto("/negozio/")
    phone.wait_for_load_state("networkidle")
    assert phone.locator(".donation-card").count() == 2
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "store_today", full_page=False)
    assert phone.console_errors == []
