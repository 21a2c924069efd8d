"""Acceptance 2 and 5: pages seen online open offline; logout drops them, never the outbox."""
from app.extensions import db
from app.models import Operation
from tests.pickups_helpers import post_donation, reload
from tests.browser.pwa_helpers import cached_pages, outbox, wait_cached, wait_controlled, wait_outbox


def _online_volunteer(phone, browser_login, make_user, email="vol@example.org", name="Vera Volontaria"):
    """A volunteer signed in on `phone`, the worker in control, the home page cached."""
    user = make_user("volunteer", email=email, name=name)
    browser_login(phone, email)
    wait_controlled(phone)
    phone.goto("/volontario/")
    wait_cached(phone, "/volontario/")
    return user


def test_pickups_page_reloads_from_the_cache_offline(phone, browser_login, make_user, screenshot):
    _online_volunteer(phone, browser_login, make_user)
    phone.context.set_offline(True)
    phone.reload()
    assert phone.locator("h1").inner_text() == "Ciao Vera"
    phone.wait_for_selector("[data-offline-bar]:not([hidden])")
    screenshot(phone, "offline_volunteer_home", full_page=False)
    # A page never opened online gets the offline page, not the browser's error.
    phone.goto("/profilo")
    assert "Sei offline" in phone.locator("h1").inner_text()
    screenshot(phone, "offline_page", full_page=False)
    phone.context.set_offline(False)


def test_htmx_fragments_are_never_cached_under_a_page_url(phone, browser_login, make_user):
    _online_volunteer(phone, browser_login, make_user)
    status = phone.evaluate("""() => fetch('/volontario/', {headers: {'HX-Request': 'true'}}).then(r => r.status)""")
    assert status == 200
    phone.context.set_offline(True)
    # Offline, an htmx request gets no page from the cache (htmx shows nothing rather than a page in a box).
    assert phone.evaluate("""() => fetch('/volontario/', {headers: {'HX-Request': 'true'}})
                                   .then(r => r.status, () => 'error')""") in (503, "error")
    phone.context.set_offline(False)


def test_logout_deletes_the_users_cached_pages(phone, browser_login, make_user):
    _online_volunteer(phone, browser_login, make_user)
    assert "/volontario/" in cached_pages(phone)
    phone.click(".logout-form button")
    phone.wait_for_url(lambda url: url.rstrip("/").endswith(str(phone.url).split("/")[2]) or url.endswith("/"))
    phone.wait_for_selector("text=Sei uscito da Raccolto")
    assert not [p for p in cached_pages(phone) if p.startswith(("/volontario", "/ente", "/c/", "/coda"))]
    phone.context.set_offline(True)
    phone.goto("/volontario/")
    assert "Sei offline" in phone.locator("h1").inner_text()
    phone.context.set_offline(False)


def test_logout_asks_before_leaving_unsent_actions_and_they_resume_for_the_same_user_only(
        phone, browser_login, make_user, make_org):
    user = _online_volunteer(phone, browser_login, make_user)
    make_user("volunteer", email="altro@example.org")
    pseudonym = user.pseudonym
    donation = post_donation(make_user("store"), make_org("charity"))
    # A claim saved offline earlier, waiting on the phone.
    phone.evaluate("""([user, id]) => RaccoltoOutbox.put(
        RaccoltoOutbox.record({url: '/x', method: 'POST', headers: {}, body: ''},
          {op_id: 'test-op-000001', kind: 'donation.claim', label: 'Prenota ritiro', user: user,
           op: {op_id: 'test-op-000001', kind: 'donation.claim', donation_id: id,
                occurred_at: new Date().toISOString()}}))""", [pseudonym, donation.id])
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss() if len(dialogs) == 1 else dialog.accept()

    phone.on("dialog", answer)
    with phone.expect_event("dialog"):
        phone.click(".logout-form button")
    assert "non ancora inviate: 1" in dialogs[0]
    assert phone.locator(".logout-form").count() == 1  # still signed in
    phone.click(".logout-form button")
    phone.wait_for_selector("text=Sei uscito da Raccolto")
    assert len(dialogs) == 2
    assert [i["state"] for i in outbox(phone)] == ["waiting"]  # kept on the phone
    # Another account signs in: the record is not sent under its session.
    browser_login(phone, "altro@example.org")
    phone.goto("/coda")
    phone.wait_for_selector("#outbox[data-ready]")
    assert phone.locator("[data-outbox-others]").is_visible()
    assert outbox(phone)[0]["state"] == "waiting"
    assert db.session.query(Operation).filter_by(op_id="test-op-000001").count() == 0
    phone.click(".logout-form button")
    phone.wait_for_selector("text=Sei uscito da Raccolto")
    # The same volunteer again: the queue resumes under their own session.
    browser_login(phone, "vol@example.org")
    wait_outbox(phone, "items => items[0].state === 'sent'")
    db.session.rollback()  # end the test's read transaction: see what the server committed
    assert db.session.query(Operation).filter_by(op_id="test-op-000001").one().user_id == user.id
    assert reload(donation).claimed_by_id == user.id
