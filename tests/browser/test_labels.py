"""Labels in a real Chromium: every QR code on the A4 sheets decodes, by an independent decoder (zxing-cpp)."""
import io

import pytest
import zxingcpp
from PIL import Image

from tests.donations_support import clock, post, shop  # noqa: F401


def _decode(png):
    """Every QR code text found in a PNG screenshot."""
    image = Image.open(io.BytesIO(png)).convert("L")
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


@pytest.mark.parametrize("crates", [3, 11])
def test_every_crate_qr_on_the_a4_sheets_decodes_exactly_once(browser, live_server, browser_login, shop, clock,
                                                              crates):
    result = post(shop.clerk, clock, crates=crates, allergens=["latte", "glutine", "soia"])
    urls = [c["url"] for c in result["crates"]]
    assert all(url.startswith(live_server + "/c/") for url in urls)
    context = browser.new_context(viewport={"width": 900, "height": 1300}, device_scale_factor=2, locale="it-IT",
                                  base_url=live_server)
    page = context.new_page()
    try:
        browser_login(page, shop.clerk.email)
        page.goto(f"/negozio/donazioni/{result['donation_id']}/etichette?formato=a4")
        page.emulate_media(media="print")  # the layout that goes on paper: 2 x 4 labels per A4 sheet
        sheets = page.locator("section.sheet")
        assert sheets.count() == (crates + 7) // 8
        found = []
        for i in range(sheets.count()):
            found += _decode(sheets.nth(i).screenshot())
        assert sorted(found) == sorted(urls)  # each crate's URL, exactly once, nothing else
    finally:
        context.close()


def test_label_sheet_on_a_phone(phone, browser_login, shop, clock, screenshot):
    result = post(shop.clerk, clock, crates=2, allergens=["latte"])
    browser_login(phone, shop.clerk.email)
    phone.goto(f"/negozio/donazioni/{result['donation_id']}/etichette")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("article.label").count() == 2
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing overflows sideways at phone width
    screenshot(phone, "store_labels_a4", full_page=False)
    found = _decode(phone.locator("article.label").first.screenshot())
    assert found == [result["crates"][0]["url"]]
    phone.goto(f"/negozio/donazioni/{result['donation_id']}/etichette/2?formato=rotolo")
    assert phone.locator("article.label").count() == 1
    screenshot(phone, "store_labels_roll", full_page=False)
    assert phone.console_errors == []
