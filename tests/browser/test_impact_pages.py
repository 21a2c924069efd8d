"""Impact dashboard and documents in a real Chromium at phone size: CSP-clean, htmx filters, print button."""
from tests.impact_helpers import dataset  # noqa: F401


def test_dashboard_filters_with_htmx_and_shows_charts(phone, browser_login, make_user, dataset, screenshot):
    make_user("coordinator", email="coord@example.org")
    browser_login(phone, "coord@example.org")
    phone.goto("/coordinamento/impatto?periodo=2025")
    assert phone.locator("svg.chart").count() == 6  # five charts and the Lorenz curve (issue 15)
    assert "42,5 kg" in phone.inner_text(".impact-stats")
    screenshot(phone, "impact_dashboard")
    # Stores are searched, not listed: htmx asks for a few matches as the coordinator types.
    phone.fill("#f-cerca_negozio", "due")
    phone.wait_for_selector("#suggest-negozio a:has-text('Super Due')")
    assert phone.locator("#suggest-negozio a").count() == 1
    screenshot(phone, "impact_dashboard_search")
    phone.click("#suggest-negozio a:has-text('Super Due')")
    phone.wait_for_selector(".impact-stats >> text=13 kg")
    assert f"negozio={dataset.s2.id}" in phone.url  # the filtered view has its own address
    assert "Super Due" in phone.inner_text("#picked-negozio")
    phone.select_option("#f-categoria", value="non_umano")
    phone.wait_for_selector(".impact-stats >> text=8 kg")  # swapped in by htmx, the store kept
    assert f"negozio={dataset.s2.id}" in phone.url and "categoria=non_umano" in phone.url
    assert "cerca_negozio" not in phone.url
    phone.locator("#h-category ~ figure summary").click()
    screenshot(phone, "impact_dashboard_filtered")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the filters overflow the phone's width ({width}px)"
    assert phone.console_errors == []


def test_volunteer_impact_and_ddt_page(phone, browser_login, dataset, screenshot):
    browser_login(phone, dataset.v1.email)
    phone.goto("/volontario/impatto?periodo=2025")
    assert "17,5 kg" in phone.inner_text(".impact-stats")
    screenshot(phone, "impact_volunteer")
    phone.click("text=DDT n. 1/2025")
    phone.wait_for_selector("h1:has-text('Documento di trasporto')")
    assert "Cessione gratuita L. 166/2016" in phone.inner_text("main")
    screenshot(phone, "ddt_page")
    phone.emulate_media(media="print")
    screenshot(phone, "ddt_page_print")
    assert phone.console_errors == []


def test_store_documents_and_open_data_pages(phone, browser_login, make_user, dataset, screenshot):
    make_user("store", org=dataset.s1, email="clerk@example.org")
    browser_login(phone, "clerk@example.org")
    phone.goto(f"/documenti/riepilogo/{dataset.s1.id}/2025/3")
    screenshot(phone, "monthly_summary")
    phone.goto("/negozio/impatto?periodo=2025")
    screenshot(phone, "impact_store")
    phone.goto("/open-data")
    screenshot(phone, "open_data")
    assert phone.console_errors == []
