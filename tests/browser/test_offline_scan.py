"""Acceptance 3 and 4: claim and scan crates offline, then send each operation exactly once.

The volunteer opens the open pickups and the donation's scan page online (so the worker keeps
them), goes offline, claims, scans one crate by its typed code and two with the camera (a
fake camera playing a video of the real printed labels), and comes back online.
"""
import pytest
from flask import url_for

from app.extensions import db
from app.models import Crate, Donation, Flag, Operation
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.label_video import screenshot_label, write_y4m
from tests.browser.pwa_helpers import outbox, wait_cached, wait_controlled, wait_outbox
from tests.pickups_helpers import op, post_donation
from app.services import ops

WAITING = "items => items.filter(i => i.state === 'waiting').length === %d"


@pytest.fixture
def pickup(make_user, make_org, app):
    """A volunteer, and a posted donation of 3 crates from a store to a charity."""
    clerk = make_user("store", email="negozio@example.org")
    donation = post_donation(clerk, make_org("charity", name="Emporio Solidale"), description="Pane e focacce")
    volunteer = make_user("volunteer", email="vol@example.org", name="Vera Volontaria")
    tokens = [crate.token for crate in donation.crates]
    with app.test_request_context():
        urls = {"scan": url_for("volunteer.scan_page", donation_id=donation.id),
                "labels": url_for("store.labels_sheet", donation_id=donation.id)}
    return {"donation_id": donation.id, "tokens": tokens, "volunteer": volunteer, "clerk": clerk, **urls}


@pytest.fixture
def camera_phone(playwright_instance, live_server):
    """launch(video) -> a phone page in a Chromium whose camera plays `video` (a flag per launch)."""
    opened = []

    def launch(video):
        browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"])
        opened.append(browser)
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="it-IT", is_mobile=True,
                                      has_touch=True, base_url=live_server, permissions=["camera"])
        page = context.new_page()
        page.console_errors = []
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        return page

    yield launch
    for browser in opened:
        browser.close()


def _label_video(phone, browser_login, pickup, path):
    """A video of crates 2 and 3's printed labels, screenshotted from the store's label sheet."""
    browser_login(phone, "negozio@example.org")
    phone.goto(pickup["labels"])
    labels = [screenshot_label(phone, f'article.label[data-url$="/c/{token}"]') for token in pickup["tokens"][1:]]
    return write_y4m(path, labels, frames_each=8, fps=5)


def _prepare_offline(page, browser_login, pickup):
    """Online: sign in, open the pickups list and the scan page; then the connection drops."""
    browser_login(page, "vol@example.org")
    wait_controlled(page)
    page.goto("/volontario/")
    wait_cached(page, "/volontario/")
    page.goto(pickup["scan"])
    wait_cached(page, pickup["scan"])
    page.context.set_offline(True)


def _claim_and_type_first_crate(page, pickup):
    page.goto("/volontario/")
    page.locator(f"#offer-{pickup['donation_id']} form[data-op-kind='donation.claim'] button").click()
    page.wait_for_selector(f"#offer-{pickup['donation_id']} [data-outbox-queued]")
    page.goto(pickup["scan"])
    # The claim is only saved on the phone, so the cached scan page is the one of a posted
    # donation: it must offer scanning too (a scan is a fact; DESIGN.md).
    assert page.locator("#scan-form").count() == 1, \
        "the scan page of a posted donation the volunteer may claim shows no #scan-form"
    page.fill("#scan-form input[name=token]", pickup["tokens"][0].lower()[:4] + "-" + pickup["tokens"][0][4:])
    page.click("#scan-form button[type=submit]")
    wait_outbox(page, WAITING % 2)


def _ops_of(user):
    db.session.rollback()  # see what the server committed (SQLite WAL snapshot)
    return db.session.query(Operation).filter_by(user_id=user.id).all()


def test_offline_claim_and_three_scans_are_sent_exactly_once(camera_phone, phone, browser_login, pickup,
                                                            tmp_path, screenshot):
    video = _label_video(phone, browser_login, pickup, tmp_path / "labels.y4m")
    page = camera_phone(video)
    _prepare_offline(page, browser_login, pickup)
    _claim_and_type_first_crate(page, pickup)
    page.click("[data-scanner-start]")
    wait_outbox(page, WAITING % 4, timeout=20000)
    page.click("[data-scanner-stop]")
    screenshot(page, "offline_scan_queued", full_page=False)
    page.goto("/coda")
    page.wait_for_selector("#outbox[data-ready]")
    assert page.locator('[data-outbox-list="waiting"] li').count() == 4
    assert page.locator(".tabbar [data-outbox-count]").inner_text() == "4"
    screenshot(page, "offline_outbox_four_waiting")
    queued = {i["op_id"] for i in outbox(page)}
    page.goto(pickup["scan"])
    page.context.set_offline(False)  # the page hears `online` and asks the worker to send
    wait_outbox(page, WAITING % 0, timeout=20000)
    # Each operation reached the server exactly once, in order, and applied.
    logged = _ops_of(pickup["volunteer"])
    assert sorted(o.op_id for o in logged) == sorted(queued)
    assert [o.kind for o in sorted(logged, key=lambda o: o.id)] == ["donation.claim"] + ["crate.scan"] * 3
    assert all(o.status == "applied" for o in logged)
    donation = db.session.get(Donation, pickup["donation_id"])
    assert donation.claimed_by_id == pickup["volunteer"].id
    assert {c.picked_up_by_id for c in donation.crates} == {pickup["volunteer"].id}
    # The page reloads itself with the new state; the outbox lists them as sent.
    page.wait_for_selector("#scan-panel >> text=3 di 3 cassette scansionate")
    page.goto("/coda")
    page.wait_for_selector("#outbox[data-ready]")
    assert page.locator('[data-outbox-list="waiting"] li').count() == 0
    assert page.locator('[data-outbox-list="sent"] li').count() == 4
    assert page.console_errors == []


def test_offline_claim_beaten_online_is_refused_and_the_scans_still_count(phone, browser_login, make_user,
                                                                          pickup, screenshot):
    other = make_user("volunteer", email="altro@example.org", name="Otto Altro")
    _prepare_offline(phone, browser_login, pickup)
    _claim_and_type_first_crate(phone, pickup)
    for token in pickup["tokens"][1:]:
        phone.fill("#scan-form input[name=token]", token)
        phone.click("#scan-form button[type=submit]")
    wait_outbox(phone, WAITING % 4)
    # Meanwhile another volunteer, with signal, claims the same donation first.
    assert ops.apply(op("donation.claim", donation_id=pickup["donation_id"]), other)["status"] == "applied"
    db.session.commit()
    phone.goto("/coda")
    phone.context.set_offline(False)
    wait_outbox(phone, WAITING % 0, timeout=20000)
    refused = phone.locator('[data-outbox-list="refused"] li')
    refused.first.wait_for()
    assert refused.count() == 1 and "Prenota" in refused.inner_text()
    assert "prenotato" in refused.inner_text().lower() or "«" in refused.inner_text()  # the server's reason
    screenshot(phone, "offline_claim_refused")
    # The scans are facts: custody moved to the volunteer who scanned, and the conflict is flagged.
    logged = {o.kind: o for o in _ops_of(pickup["volunteer"])}
    assert logged["donation.claim"].status == "refused"
    scans = [o for o in _ops_of(pickup["volunteer"]) if o.kind == "crate.scan"]
    assert len(scans) == 3 and all(o.status == "applied" for o in scans)
    donation = db.session.get(Donation, pickup["donation_id"])
    assert donation.holder_id == pickup["volunteer"].id
    assert db.session.query(Flag).filter_by(donation_id=donation.id).count() >= 1
    assert {c.picked_up_by_id for c in db.session.query(Crate).filter_by(donation_id=donation.id)} == \
        {pickup["volunteer"].id}
