"""The foundation's pages in a real Chromium at phone size: no CSP errors, htmx works."""
import pytest


@pytest.mark.parametrize("path", ["/", "/login", "/registrati"])
def test_public_pages_load_without_console_errors(phone, screenshot, path):
    response = phone.goto(path)
    assert response.status == 200
    phone.wait_for_load_state("networkidle")
    assert phone.evaluate("typeof htmx") == "object"  # vendored htmx loaded under the CSP
    screenshot(phone, "public" + path.replace("/", "_"))
    assert phone.console_errors == []


def test_coordinator_approves_with_htmx_in_the_browser(phone, browser_login, make_user, screenshot):
    make_user("coordinator", email="coord@example.org")
    pending = make_user("volunteer", volunteer_status="pending", name="Pietro Pendente")
    browser_login(phone, "coord@example.org")
    phone.goto("/coordinamento/volontari")
    row = phone.locator(f"#volunteer-{pending.id}")
    row.get_by_role("button", name="Approva").click()
    phone.wait_for_selector(f"#volunteer-{pending.id} >> text=è stato approvato")
    screenshot(phone, "coordinator_volunteers")
    assert phone.console_errors == []


def test_wrong_password_five_times_shows_lock_message(phone, make_user):
    make_user("store", email="clerk@example.org")
    for _ in range(5):
        phone.goto("/login")
        phone.fill("input[name=email]", "clerk@example.org")
        phone.fill("input[name=password]", "sbagliata")
        phone.click("main button[type=submit]")
    assert "Troppi tentativi di accesso" in phone.inner_text("#login-error")
