"""The outbox page, the badge, and an expired session: nothing queued is dropped silently."""
import secrets

from app.extensions import db
from app.models import Operation
from tests.browser.pwa_helpers import outbox, replay, wait_cached, wait_controlled, wait_outbox
from tests.pickups_helpers import post_donation, reload

# Records as the worker stores them (RaccoltoOutbox.record), in three states.
SEED = """([user, donationId]) => {
  const make = (id, label, state, message, op) => Object.assign(RaccoltoOutbox.record(
      {url: '/x', method: 'POST', headers: {}, body: ''},
      {op_id: id, kind: op.kind, label: label, user: user, op: Object.assign({op_id: id}, op)}),
      {state: state, message: message || '', sent_at: state === 'waiting' ? null : new Date().toISOString()});
  return Promise.all([
    make('seed-claim-0001', 'Prenota: Mele e pere', 'waiting', '',
         {kind: 'donation.claim', donation_id: donationId, occurred_at: new Date().toISOString()}),
    make('seed-scan-00002', 'Cassetta scansionata al ritiro', 'refused',
         'Codice cassetta non riconosciuto: controlla le lettere o inquadra di nuovo il QR.',
         {kind: 'crate.scan', stage: 'pickup', token: 'ZZZZZZZZZZZZ'}),
    make('seed-deliv-0003', "Consegnato all'ente", 'sent', '', {kind: 'donation.deliver', donation_id: 1}),
    make('seed-other-0004', 'Prenota', 'waiting', '', {kind: 'donation.claim', donation_id: 1}),
  ].map((item, i) => RaccoltoOutbox.put(i === 3 ? Object.assign(item, {user: 'U-ALTRO'}) : item)));
}"""


def test_outbox_page_lists_waiting_refused_and_sent_and_refused_ones_stay_until_dismissed(
        phone, browser_login, make_user, make_org, screenshot):
    user = make_user("volunteer", email="vol@example.org")
    donation = post_donation(make_user("store"), make_org("charity"))
    browser_login(phone, "vol@example.org")
    wait_controlled(phone)
    wait_cached(phone, "/coda")  # every signed-in page keeps the outbox page for offline use
    phone.context.set_offline(True)  # keep the waiting one waiting while we look
    phone.evaluate(SEED, [user.pseudonym, donation.id])
    phone.goto("/coda")
    phone.wait_for_selector("#outbox[data-ready]")
    waiting = phone.locator('[data-outbox-list="waiting"] li')
    refused = phone.locator('[data-outbox-list="refused"] li')
    assert waiting.count() == 1 and "Prenota: Mele e pere" in waiting.inner_text()
    assert "In attesa di connessione" in waiting.inner_text()
    assert refused.count() == 1 and "Codice cassetta non riconosciuto" in refused.inner_text()
    assert phone.locator('[data-outbox-list="sent"] li').count() == 1
    assert phone.locator("[data-outbox-others]").is_visible()  # another account's, not listed
    assert phone.locator(".tabbar [data-outbox-count]").inner_text() == "1"
    assert waiting.locator("[data-outbox-dismiss]").count() == 0  # a waiting action cannot be dropped
    screenshot(phone, "outbox_page_offline")
    refused.locator("[data-outbox-dismiss]").click()
    phone.wait_for_function("() => document.querySelectorAll('[data-outbox-list=\"refused\"] li').length === 0")
    assert [i["op_id"] for i in outbox(phone) if i["state"] == "refused"] == []
    # Back online: "Invia ora" sends the waiting claim; the list and badge follow.
    phone.context.set_offline(False)
    phone.click("[data-outbox-send]")
    phone.wait_for_function("() => document.querySelectorAll('[data-outbox-list=\"waiting\"] li').length === 0")
    phone.wait_for_selector(".tabbar [data-outbox-count][hidden]", state="attached")
    db.session.rollback()  # see what the server committed (SQLite WAL snapshot)
    assert reload(donation).claimed_by_id == user.id
    screenshot(phone, "outbox_page_sent")
    assert phone.console_errors == []


def test_expired_session_keeps_the_queue_and_asks_to_sign_in(phone, browser_login, make_user, make_org):
    user = make_user("volunteer", email="vol@example.org")
    donation = post_donation(make_user("store"), make_org("charity"))
    browser_login(phone, "vol@example.org")
    wait_controlled(phone)
    phone.context.set_offline(True)
    phone.evaluate(SEED, [user.pseudonym, donation.id])
    # The session ends on the server (as after a password reset) while the phone is offline.
    db.session.rollback()  # a fresh transaction: the server wrote since this one began (SQLite WAL)
    user.session_token = secrets.token_hex(16)
    db.session.commit()
    phone.context.set_offline(False)
    replay(phone)
    phone.goto("/volontario/")  # redirected to the login form
    phone.wait_for_selector("[data-outbox-login]:not([hidden])")
    assert "Accedi per inviare le azioni salvate" in phone.inner_text("[data-outbox-login]")
    assert [i["state"] for i in outbox(phone) if i["op_id"] == "seed-claim-0001"] == ["waiting"]
    # Signing in again resumes the queue.
    phone.fill("input[name=email]", "vol@example.org")
    phone.fill("input[name=password]", "password-di-prova")
    phone.click("main button[type=submit]")
    wait_outbox(phone, "items => items.find(i => i.op_id === 'seed-claim-0001').state === 'sent'")
    db.session.rollback()
    assert db.session.query(Operation).filter_by(op_id="seed-claim-0001").one().user_id == user.id
    assert phone.locator("[data-outbox-login]").is_hidden()
