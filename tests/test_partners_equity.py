"""Equity on the dashboard: kg per person served per charity, a population-weighted Gini computed by hand, the Lorenz SVG."""
import re
from datetime import timedelta

import pytest

from app.services.impact import equity, periods
from app.services.impact.scope import Scope
from tests.impact_helpers import make_donation, rome


@pytest.fixture
def fixed(make_org, make_user):
    """March 2025: A (100 people) gets 100 kg, B (100 people) 300 kg (40 declared + 260 weighed), C (200) nothing.

    By hand, sorted by kg per person C (0), A (1), B (3); people shares .5, .25, .25; kg shares 0, .25, .75.
    Lorenz: (0,0) (.5,0) (.75,.25) (1,1). Area term: .5*0 + .25*(.25+0) + .25*(1+.25) = .375, so G = 1 - .375 = .625.
    Check by the mean difference: sum p_i p_j |x_i - x_j| / (2 mean) = 1.25 / 2 = .625.
    In April only B gets food (10 kg): one charity out of three has everything, G = 1 - .25*(1+0) = .75.
    """
    store = make_org("store", name="Coop")
    a = make_org("charity", name="Ente A", people_served_week=100)
    b = make_org("charity", name="Ente B", people_served_week=100)
    c = make_org("charity", name="Ente C", people_served_week=200)
    make_org("charity", name="Ente senza persone dichiarate", people_served_week=0)
    volunteer = make_user("volunteer")

    def give(charity, kg, day, month=3, received_kg=None, status="received"):
        at = rome(2025, month, day, 10)
        make_donation(store, charity, status=status, category="dispensa", kg=kg, posted=at - timedelta(hours=2),
                      window=(at - timedelta(hours=1), at + timedelta(hours=1)), claimed=at - timedelta(hours=1),
                      claimer=volunteer, picked=at, received=at + timedelta(hours=1) if status == "received" else None,
                      received_kg=received_kg)

    give(a, 60, 3)
    give(a, 40, 20, status="picked_up")
    give(b, 40, 5)
    give(b, 999, 7, received_kg=260)  # weighed kg count over declared
    give(c, 50, 8, status="cancelled")  # never rescued: does not count
    give(b, 10, 2, month=4)
    return {"a": a, "b": b, "c": c}


def test_the_gini_equals_the_value_computed_by_hand(app, fixed):
    result = equity.equity(Scope(period=periods.month_period(2025, 3)))
    assert result["period"].gini == pytest.approx(0.625)
    assert [(s.name, s.kg_per_person) for s in result["period"].shares] == [("Ente C", 0), ("Ente A", 1), ("Ente B", 3)]
    flat = [value for point in result["period"].lorenz for value in point]
    assert flat == pytest.approx([0, 0, 0.5, 0, 0.75, 0.25, 1, 1])


def test_the_gini_by_month(app, fixed):
    result = equity.equity(Scope(period=periods.months_period((2025, 3), 3, "test", "mar-mag 2025")))
    assert [m["gini"] for m in result["by_month"]][:2] == pytest.approx([0.625, 0.75])
    assert result["by_month"][2]["gini"] is None and result["by_month"][2]["kg"] == 0


def test_equal_kg_per_person_gives_zero():
    shares = [equity.Share(1, "a", 100, 50), equity.Share(2, "b", 300, 150)]
    assert equity.measure(shares).gini == pytest.approx(0.0)


def test_the_dashboard_shows_the_gini_and_a_lorenz_svg(client, login_as, make_user, fixed):
    login_as(make_user("coordinator"))
    body = client.get("/coordinamento/impatto?periodo=2025-03").get_data(as_text=True)
    assert re.search(r'<strong id="gini-value">0,625</strong>', body)
    svg = re.search(r'<svg class="chart chart-square" id="chart-lorenz".*?</svg>', body, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="chart-lorenz-title chart-lorenz-desc"' in svg
    assert 'viewBox="0 0 240 240"' in svg and "<polyline" in svg and "<title" in svg and "style=" not in svg and "<script" not in body.split("<main")[1]
    assert "Ente B" in body and "Kg per persona servita" in body


def test_the_open_data_has_the_aggregated_figure_only(client, fixed):
    data = client.get("/open-data/equita.json").get_json()
    march = next(row for row in data["dati"] if row["mese"] == "2025-03")
    assert march["gini"] == pytest.approx(0.625, abs=0.001) and march["enti"] == 3
    assert "Ente A" not in client.get("/open-data/equita.json").get_data(as_text=True)
