"""Acceptance 1: Chromium's own installability check finds nothing missing."""
import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.pwa_helpers import wait_controlled


@pytest.fixture
def persistent_phone(playwright_instance, live_server, tmp_path):
    """A phone-sized page in a persistent profile (installability is not checked in incognito)."""
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport=PHONE,
        locale="it-IT", base_url=live_server)
    page = context.pages[0] if context.pages else context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    yield page
    context.close()


def installability_errors(page):
    """Page.getInstallabilityErrors over the DevTools protocol."""
    cdp = page.context.new_cdp_session(page)
    try:
        return cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    finally:
        cdp.detach()


def test_chromium_reports_no_installability_errors(persistent_phone):
    page = persistent_phone
    page.goto("/")
    wait_controlled(page)
    assert installability_errors(page) == []
    cdp = page.context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []
    assert manifest["url"].endswith("/manifest.webmanifest")
    assert page.console_errors == []


def test_installable_for_a_signed_in_volunteer_with_start_url_home(persistent_phone, make_user, browser_login):
    page = persistent_phone
    make_user("volunteer", email="vol@example.org")
    browser_login(page, "vol@example.org")
    wait_controlled(page)
    assert installability_errors(page) == []
    manifest = page.evaluate("fetch('/manifest.webmanifest', {credentials: 'include'}).then(r => r.json())")
    assert manifest["start_url"] == "/volontario/"
