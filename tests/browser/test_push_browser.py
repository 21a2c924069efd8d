"""The service worker's push handler in a real Chromium: a push delivered through the DevTools protocol."""
import json
import time

from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from app.extensions import db
from app.models import Notification
from app.models.base import utcnow
from app.services import ops
from app.services.notify import push
from tests.browser.pwa_helpers import wait_controlled
from tests.fake_push_service import vapid_key  # noqa: F401  (fixture)
from tests.test_push_sending import donation_of  # noqa: F401  (fixture)


def _registration_id(page, scope, timeout=15):
    """The DevTools id of the service worker registration for `scope` (ServiceWorker.enable events)."""
    cdp = page.context.new_cdp_session(page)
    found = {}

    def updated(event):
        for registration in event["registrations"]:
            if registration["scopeURL"] == scope and not registration.get("isDeleted"):
                found["id"] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", updated)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + timeout
    while "id" not in found and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets Playwright dispatch the protocol events
    assert "id" in found, "no service worker registration reported for " + scope
    return cdp, found["id"]


def _serious_violations(page):
    """axe-core's serious and critical findings on the page."""
    results = Axe().run(page)
    return [(v["id"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _shown(page):
    return page.evaluate("""async () => {
        const registration = await navigator.serviceWorker.ready;
        return (await registration.getNotifications()).map(n => ({
            title: n.title, body: n.body, tag: n.tag, data: n.data, icon: n.icon, badge: n.badge}));
    }""")


def test_a_push_is_shown_by_the_service_worker(phone, live_server, browser_login, make_user, make_org,
                                               donation_of, vapid_key, screenshot):
    store = make_org("store", name="Conad Mazzini")
    make_user("store", org=store, email="negozio@example.org")
    volunteer = make_user("volunteer", name="Marco Rossi")
    phone.context.grant_permissions(["notifications"], origin=live_server)
    browser_login(phone, "negozio@example.org")
    phone.goto("/notifiche/impostazioni")
    wait_controlled(phone)

    donation = donation_of(store)
    ops.apply({"op_id": ops.new_op_id(), "kind": "donation.claim", "donation_id": donation.id,
               "occurred_at": utcnow().isoformat()}, volunteer)
    row = db.session.scalar(select(Notification).where(Notification.kind == "claimed"))
    cdp, registration = _registration_id(phone, live_server + "/")
    cdp.send("ServiceWorker.deliverPushMessage",
             {"origin": live_server, "registrationId": registration, "data": push.payload(row)})

    deadline, shown = time.monotonic() + 15, []
    while not shown and time.monotonic() < deadline:
        phone.wait_for_timeout(100)
        shown = _shown(phone)
    [shown] = shown
    expected = json.loads(push.payload(row))
    assert shown["title"] == "Donazione prenotata"
    assert shown["body"].startswith("Marco Rossi passerà a ritirare Dispensa")
    assert shown["data"]["url"] == f"/notifiche/{row.id}"
    assert shown["tag"] == expected["tag"] and shown["icon"].endswith(expected["icon"])
    assert shown["badge"].endswith(expected["badge"])
    screenshot(phone, "notifications_settings")
    assert phone.console_errors == []


def test_the_inbox_and_settings_at_phone_size(phone, browser_login, make_user, make_org, donation_of, vapid_key,
                                              screenshot):
    store = make_org("store", name="Conad Mazzini")
    make_user("store", org=store, email="negozio@example.org")
    for name in ("Marco Rossi", "Giulia Bianchi"):
        donation = donation_of(store)
        ops.apply({"op_id": ops.new_op_id(), "kind": "donation.claim", "donation_id": donation.id,
                   "occurred_at": utcnow().isoformat()}, make_user("volunteer", name=name))
    browser_login(phone, "negozio@example.org")
    badge = phone.locator(".tabbar a[href='/notifiche/'] .badge")
    assert badge.inner_text().startswith("2")
    phone.click(".tabbar a[href='/notifiche/']")
    phone.wait_for_selector("text=Donazione prenotata")
    assert phone.locator(".notif-new").count() == 2
    assert phone.locator(".tabbar a[href='/notifiche/'] .badge").count() == 0
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert _serious_violations(phone) == []
    screenshot(phone, "notifications_inbox")
    phone.click("text=Impostazioni")
    phone.wait_for_selector("[data-push-status]")
    # Without a reachable push service the page still explains where things stand.
    phone.wait_for_function("() => !document.querySelector('[data-push-status]').textContent.includes('Controllo')",
                            timeout=15000)
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert _serious_violations(phone) == []
    screenshot(phone, "notifications_settings_store")
    assert phone.console_errors == []


def test_an_iphone_is_told_to_add_the_app_to_the_home_screen_first(browser, live_server, browser_login, make_user,
                                                                  vapid_key, screenshot):
    from tests.browser.conftest import PHONE

    make_user("volunteer", email="volontaria@example.org")
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="it-IT", is_mobile=True,
                                  has_touch=True, base_url=live_server, user_agent=(
                                      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                                      "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"))
    page = context.new_page()
    try:
        browser_login(page, "volontaria@example.org")
        page.goto("/notifiche/impostazioni")
        page.wait_for_function("() => document.querySelector('[data-push-status]').textContent.includes('Home')",
                               timeout=15000)
        assert page.locator("details.ios-help").get_attribute("open") is not None
        assert page.locator("text=Aggiungi alla schermata Home").is_visible()
        screenshot(page, "notifications_settings_iphone")
    finally:
        context.close()
