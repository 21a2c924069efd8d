"""Acceptance 6: the first load of the volunteer's pickups page transfers at most 100 KB compressed."""
from benchmarks.page_weight import LIMIT_BYTES, PATH, measure, report
from tests.browser.conftest import PHONE


def test_first_load_of_the_pickups_page_is_under_100_kb(browser, phone, browser_login, make_user, make_org,
                                                         live_server):
    from tests.pickups_helpers import post_donation

    make_user("volunteer", email="vol@example.org")
    store, charity = make_user("store"), make_org("charity")
    for _ in range(6):  # a realistic list of open pickups
        post_donation(store, charity)
    browser_login(phone, "vol@example.org")
    # A fresh profile (empty HTTP cache, no service worker) with the same session.
    context = browser.new_context(viewport=PHONE, locale="it-IT", base_url=live_server)
    context.add_cookies(phone.context.cookies())
    try:
        page = context.new_page()
        rows = measure(page, live_server + PATH)
        assert page.url.endswith(PATH)  # the page itself, not the login form
    finally:
        context.close()
    total = report(rows, f"first load of {PATH}")
    kinds = {row[1] for row in rows}
    assert "text/html" in kinds and "text/css" in kinds and "text/javascript" in kinds
    assert not any("jsQR" in row[0] for row in rows)  # the 256 KB decoder is for the scan page only
    assert total <= LIMIT_BYTES, f"{total} bytes"
