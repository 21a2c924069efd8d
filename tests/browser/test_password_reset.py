"""Password reset in a real Chromium at 390x844: the mail in the local mailbox page, a new password, signed in."""
import pytest

from app.services.notify import mail
from app.services.people import accounts

pytestmark = pytest.mark.browser


def test_forgotten_password_through_the_local_mailbox(app, browser, phone, live_server, browser_login, make_user,
                                                      screenshot, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)  # the embedded default: no mail server
    make_user("volunteer", email="volontario@example.org", name="Vera Volontaria", password="dimenticata-123")
    make_user("coordinator", email="coord@example.org")

    phone.goto("/login")
    phone.get_by_role("link", name="Password dimenticata?").click()
    phone.wait_for_url("**/password-dimenticata")
    phone.fill("input[name=email]", "volontario@example.org")
    screenshot(phone, "reset_1_form")
    phone.get_by_role("button", name="Mandami il link").click()
    phone.wait_for_selector("#reset-sent")
    screenshot(phone, "reset_2_sent")
    assert mail.send_pending() == {"kept": 1}  # what `flask worker` does with no MAIL_SERVER

    # The coordinator (a newcomer running `make run`) reads the local mailbox on another phone.
    office = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="it-IT",
                                 is_mobile=True, has_touch=True, base_url=live_server)
    desk = office.new_page()
    desk.console_errors = []
    desk.on("console", lambda m: m.type == "error" and desk.console_errors.append(m.text))
    browser_login(desk, "coord@example.org")
    desk.goto("/email/posta")
    screenshot(desk, "reset_3_mailbox")
    desk.get_by_role("link", name="Reimposta la tua password di Raccolto").click()
    desk.wait_for_selector("#mail-text")
    desk.frame_locator("iframe.mail-frame").get_by_text("Scegli una nuova password").wait_for()
    screenshot(desk, "reset_4_mail")
    link = desk.locator("#mail-text a[href*='/password/']").get_attribute("href")
    assert link.startswith(live_server + "/password/")
    assert desk.console_errors == []
    office.close()

    phone.goto(link)
    phone.fill("input[name=password]", "nuova-password-42")
    phone.fill("input[name=confirm]", "nuova-password-42")
    screenshot(phone, "reset_5_new_password")
    phone.get_by_role("button", name="Salva la nuova password").click()
    phone.wait_for_url("**/volontario/**")
    assert "Password cambiata" in phone.inner_text("main")
    screenshot(phone, "reset_6_signed_in")
    assert phone.console_errors == []
    user = accounts.find_user_by_email("volontario@example.org")
    assert accounts.check_password(user, "nuova-password-42")


def test_the_email_settings_page_at_phone_size(phone, browser_login, make_user, screenshot):
    make_user("coordinator", email="coord@example.org")
    browser_login(phone, "coord@example.org")
    phone.goto("/email/")
    phone.get_by_role("button", name="Mandami il link di conferma").wait_for()
    screenshot(phone, "mail_settings")
    assert phone.console_errors == []
