"""Public campaign and event pages are readable offline once visited (issue 7)."""
from tests.browser.pwa_helpers import wait_cached, wait_controlled
from tests.fixtures.pages import make_campaign, make_event


def test_visited_event_and_campaign_pages_open_offline(phone):
    event = make_event(title="Raccolta in piazza")
    campaign = make_campaign(title="Natale senza spreco")
    phone.goto("/")
    wait_controlled(phone)
    for path in (f"/eventi/{event.slug}", f"/campagne/{campaign.slug}", "/"):
        phone.goto(path)
        wait_cached(phone, path)
    phone.context.set_offline(True)
    try:
        phone.goto(f"/eventi/{event.slug}")
        assert "Raccolta in piazza" in phone.locator("h1").inner_text()
        phone.goto(f"/campagne/{campaign.slug}")
        assert "Natale senza spreco" in phone.locator("h1").inner_text()
        phone.goto("/")
        assert phone.locator("h1").count() == 1 and "Sei offline" not in phone.locator("h1").inner_text()
    finally:
        phone.context.set_offline(False)
