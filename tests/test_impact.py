"""The impact pages: figures equal the hand computation, filters (htmx), CSV, roles, accessible SVG."""
import re
from datetime import timedelta

import pytest

from tests.impact_helpers import EXPECTED, dataset, it_number, read_csv, tables  # noqa: F401

COLUMNS = ("lots", "kg", "kg_weighed", "meals", "co2e_kg", "value_eur")
DECIMALS = {"lots": 0, "kg": 1, "kg_weighed": 1, "meals": 0, "co2e_kg": 0, "value_eur": 2}


def _check_table(rows, expected, label):
    """A breakdown table's body rows against hand figures, at the precision the page shows."""
    found = {row[0]: row[1:] for row in rows[1:]}
    assert set(found) == set(expected), label
    for key, figures in expected.items():
        for cell, column in zip(found[key], COLUMNS):
            assert it_number(cell) == pytest.approx(round(figures[column], DECIMALS[column]), abs=0.051), \
                (label, key, column, cell)


def test_dashboard_shows_the_hand_computed_figures(client, as_role, dataset):
    as_role("coordinator")
    response = client.get("/coordinamento/impatto?periodo=2025")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "42,5 kg" in html and "180,60 €" in html and ">69<" in html.replace(" ", "")
    assert "17,5 kg pesati alla ricezione, 25 kg dichiarati" in html
    found = tables(html)
    months = {"marzo 2025": EXPECTED["month"]["2025-03"], "aprile 2025": EXPECTED["month"]["2025-04"]}
    month_rows = [r for r in found["table-month"] if r[0] in months or r[0] == found["table-month"][0][0]]
    _check_table(month_rows, months, "month")
    labels = {"frutta_verdura": "Frutta e verdura", "dispensa": "Dispensa (pasta, conserve, secco)",
              "non_umano": "Non per consumo umano (mangimi, compost)", "carne": "Carne"}
    _check_table(found["table-category"], {labels[k]: v for k, v in EXPECTED["category"].items()}, "category")
    _check_table(found["table-store"], EXPECTED["store"], "store")
    _check_table(found["table-charity"], EXPECTED["charity"], "charity")
    _check_table(found["table-municipality"], EXPECTED["municipality"], "municipality")
    health = re.sub(r"\s+", " ", html[html.index('id="health"'):html.index("</dl>", html.index('id="health"'))])
    assert "62,5 %" in health and "(5 / 8)" in health and "20 min" in health
    assert "15 kg" in health and "(3 donazioni)" in health and "10,6 kg" in health


def test_csv_export_has_the_hand_computed_figures(client, as_role, dataset):
    as_role("coordinator")
    response = client.get("/coordinamento/impatto.csv?periodo=2025&tabella=impatto")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = read_csv(response.get_data(as_text=True))
    number = lambda v: float(v.replace(",", "."))  # noqa: E731
    names = {"lots": "donazioni", "kg": "kg", "kg_weighed": "kg_pesati", "kg_declared": "kg_dichiarati",
             "meals": "pasti_equivalenti", "co2e_kg": "co2e_kg", "value_eur": "valore_eur"}

    def check(row, figures):
        for key, column in names.items():
            assert number(row[column]) == pytest.approx(figures[key], abs=0.005), (row, key)

    check(next(r for r in rows if r["sezione"] == "totale"), EXPECTED["total"])
    for section, name, field in (("mese", "month", "chiave"), ("categoria", "category", "chiave"),
                                 ("punto_vendita", "store", "etichetta"), ("ente", "charity", "etichetta"),
                                 ("comune", "municipality", "chiave")):
        got = {r[field]: r for r in rows if r["sezione"] == section}
        for key, figures in EXPECTED[name].items():
            check(got[key], figures)
    health = {r["indicatore"]: r["valore"] for r in read_csv(client.get(
        "/coordinamento/impatto.csv?periodo=2025&tabella=salute").get_data(as_text=True))}
    for key, value in EXPECTED["health"].items():
        assert number(health[key]) == pytest.approx(value, abs=0.0051), key  # shown to the cent


def test_htmx_filter_returns_only_the_results_fragment(client, as_role, dataset):
    as_role("coordinator")
    response = client.get(f"/coordinamento/impatto?periodo=2025&negozio={dataset.s2.id}",
                          headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="impact-results"' in html
    assert "13 kg" in html and "Super Uno" not in html
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("query,message", [
    ("periodo=ieri", "Periodo non riconosciuto"), ("negozio=abc", "Punto vendita non trovato"),
    ("negozio=99999", "Punto vendita non trovato"), ("ente=12x", "Ente beneficiario non trovato"),
    ("categoria=caviale", "Categoria sconosciuta"),
])
def test_bad_filters_get_an_italian_message(client, as_role, dataset, query, message):
    as_role("coordinator")
    response = client.get("/coordinamento/impatto?" + query, headers={"HX-Request": "true"})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert client.get("/coordinamento/impatto.csv?" + query).status_code == 400


def test_charts_are_accessible_svg_without_inline_style(client, as_role, dataset):
    as_role("coordinator")
    html = client.get("/coordinamento/impatto?periodo=2025").get_data(as_text=True)
    svgs = re.findall(r"<svg class=\"chart[^\"]*\"[^>]*>", html)  # five charts and the Lorenz curve (issue 15)
    assert len(svgs) == 6 and all('role="img"' in s and "aria-labelledby" in s for s in svgs)
    assert html.count('<title id="chart-') == 6 and "<desc id=" in html
    assert "style=" not in html and "<script>" not in html
    assert "Dati in tabella" in html


@pytest.mark.parametrize("path,allowed", [
    ("/coordinamento/impatto", {"coordinator"}), ("/coordinamento/impatto.csv", {"coordinator"}),
    ("/negozio/impatto", {"store"}), ("/ente/impatto", {"charity"}), ("/volontario/impatto", {"volunteer"}),
])
@pytest.mark.parametrize("role", ["coordinator", "store", "charity", "volunteer", None])
def test_each_page_is_for_its_role_only(client, as_role, path, allowed, role):
    if role is None:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        return
    as_role(role)
    assert client.get(path).status_code == (200 if role in allowed else 403)


def test_a_store_sees_only_its_own_numbers(client, login_as, make_user, dataset):
    login_as(make_user("store", org=dataset.s2))
    html = client.get("/negozio/impatto?periodo=2025&negozio=%d" % dataset.s1.id).get_data(as_text=True)
    assert "13 kg" in html and "Super Uno" not in html
    found = tables(html)
    _check_table(found["table-charity"], {"Caritas Prova": EXPECTED["category"]["non_umano"],
                                          "Emporio Prova": EXPECTED["category"]["carne"]}, "charity")
    assert 'id="health"' in html


def test_a_charity_sees_what_it_received(client, dataset, login_as):
    login_as(dataset.staff)
    html = client.get("/ente/impatto?periodo=2025").get_data(as_text=True)
    assert "17,5 kg" in html and "Emporio Prova" not in html
    _check_table(tables(html)["table-store"], {"Super Uno": EXPECTED["category"]["frutta_verdura"],
                                               "Super Due": EXPECTED["category"]["non_umano"]}, "store")


def test_a_volunteer_sees_kg_pickups_meals_and_co2e(client, dataset, login_as):
    login_as(dataset.v1)
    html = client.get("/volontario/impatto?periodo=2025").get_data(as_text=True)
    flat = re.sub(r"\s+", " ", html)
    assert "17,5 kg" in flat and ">2</span><span class=\"stat-label\">ritiri" in flat.replace("> ", ">").replace(" <", "<")
    assert "19</span>" in flat.replace(" <", "<") and "43,8 kg" not in flat and "44 kg" in flat
    assert "DDT n. 1/2025" in flat and "Marco Verdi" not in flat


def test_bad_period_on_own_pages_is_explained(client, as_role):
    as_role("volunteer")
    response = client.get("/volontario/impatto?periodo=domani")
    assert response.status_code == 400 and "Periodo non riconosciuto" in response.get_data(as_text=True)


def test_navigation_has_an_impact_tab_per_role(client, as_role):
    for role, path in (("coordinator", "/coordinamento/impatto"), ("volunteer", "/volontario/impatto")):
        as_role(role)
        html = client.get(path).get_data(as_text=True)
        assert f'href="{path}" aria-current="page"' in html and "#chart" in html


def test_dashboard_filters_search_organisations_instead_of_listing_them_all(client, as_role, make_org, dataset):
    """No select of every store and charity: search fields, and the chosen one named with a link to drop it."""
    as_role("coordinator")
    for n in range(30):
        make_org("store", name=f"Market {n:02d}", municipality="Ferrara")
    html = client.get(f"/coordinamento/impatto?periodo=2025&negozio={dataset.s2.id}").get_data(as_text=True)
    assert "Market 07" not in html and 'id="f-negozio"' not in html
    assert 'id="f-cerca_negozio"' in html and 'id="f-cerca_ente"' in html
    picked = html[html.index('id="picked-negozio"'):]
    picked = picked[:picked.index("</p>")]
    assert "Super Due" in picked and "Imola" in picked and "Togli il filtro" in picked
    assert f'name="negozio" value="{dataset.s2.id}"' in html
    assert 'href="/coordinamento/impatto?periodo=2025"' in picked  # dropping the filter keeps the period


def test_organisation_search_suggests_a_few_matches_that_keep_the_other_filters(client, as_role, make_org,
                                                                                 dataset):
    as_role("coordinator")
    for n in range(15):
        make_org("store", name=f"Market {n:02d}", municipality="Ferrara")
    url = "/coordinamento/impatto/organizzazioni"
    response = client.get(url + f"?filtro=negozio&cerca_negozio=market&periodo=2025&ente={dataset.c1.id}",
                          headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    links = re.findall(r'href="([^"]+)"', html)
    assert len(links) == 10 and "Market 00" in html and "Market 10" not in html and "Sono i primi 10" in html
    assert all("periodo=2025" in link and f"ente={dataset.c1.id}" in link and "negozio=" in link for link in links)
    by_town = client.get(url + "?filtro=negozio&cerca_negozio=imola").get_data(as_text=True)
    assert "Super Due" in by_town and "Super Uno" not in by_town
    charities = client.get(url + "?filtro=ente&cerca_ente=prova").get_data(as_text=True)
    assert "Caritas Prova" in charities and "Emporio Prova" in charities and "Super" not in charities
    assert "Scrivi almeno 2 lettere" in client.get(url + "?filtro=ente&cerca_ente=c").get_data(as_text=True)
    assert "Nessun risultato per «%%»" in client.get(url + "?filtro=ente&cerca_ente=%25%25").get_data(as_text=True)
    assert client.get(url + "?filtro=volontario&cerca_volontario=ab").status_code == 400
    assert client.get(url + "?filtro=negozio&cerca_negozio=99999999999").status_code == 200  # text, not an id


def test_organisation_search_is_for_coordinators(client, as_role):
    as_role("store")
    assert client.get("/coordinamento/impatto/organizzazioni?filtro=negozio&cerca_negozio=super").status_code == 403


def test_search_without_script_shows_the_matches_in_the_page(client, as_role, dataset):
    """A plain submit of the form (no htmx) sends the search text: the page lists the matches."""
    as_role("coordinator")
    html = client.get("/coordinamento/impatto?periodo=2025&negozio=&cerca_negozio=due&cerca_ente=")\
        .get_data(as_text=True)
    box = html[html.index('id="suggest-negozio"'):]
    box = box[:box.index("</div>")]
    assert "Super Due" in box and f"negozio={dataset.s2.id}" in box and "Super Uno" not in box
    assert f'value="due"' in html



def test_dashboard_names_the_first_ten_stores_and_sums_the_others_in_one_row(client, as_role, make_org, make_user):
    """A national network has 30,000 stores: the page lists the ten with most kg, the rest in one exact row."""
    from tests.impact_helpers import issue_ddt, make_donation, rome

    as_role("coordinator")
    charity, volunteer = make_org("charity", name="Mensa Unica"), make_user("volunteer")
    for n in range(13):
        store = make_org("store", name=f"Market {n:02d}", municipality=f"Comune {n % 12:02d}")
        picked = rome(2025, 5, 10, 11)
        donation = make_donation(store, charity, status="picked_up", category="dispensa", kg=10.0 + n,
                                 posted=picked - timedelta(hours=3), window=(picked - timedelta(hours=1),
                                                                             picked + timedelta(hours=1)),
                                 claimed=picked - timedelta(hours=2), claimer=volunteer, picked=picked)
        issue_ddt(donation, volunteer)
    html = client.get("/coordinamento/impatto?periodo=2025").get_data(as_text=True)
    rows = tables(html)["table-store"][1:]
    assert [r[0] for r in rows[:10]] == [f"Market {n:02d}" for n in range(12, 2, -1)]
    assert rows[10][0] == "Altri 3 punti vendita" and it_number(rows[10][2]) == pytest.approx(10 + 11 + 12)
    assert sum(it_number(r[2]) for r in rows) == pytest.approx(sum(10.0 + n for n in range(13)))
    towns = tables(html)["table-municipality"][1:]
    assert len(towns) == 11 and towns[-1][0] == "Altri 2 comuni"
    assert len(tables(html)["table-charity"]) == 2 and "Altri" not in html.split('id="table-charity"')[1][:2000]
    assert "I 10 con più kg" in html
    csv_rows = read_csv(client.get("/coordinamento/impatto.csv?periodo=2025&tabella=impatto").get_data(as_text=True))
    assert len([r for r in csv_rows if r["sezione"] == "punto_vendita"]) == 13  # the CSV lists every store
