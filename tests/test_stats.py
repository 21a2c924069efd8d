"""The stats service: every figure of the fixed dataset equals the hand computation (impact_helpers.EXPECTED)."""
import pytest

from app.services import ServiceError
from app.services.impact import periods, stats
from tests.impact_helpers import EXPECTED, approx_figures, dataset, rome  # noqa: F401

YEAR = periods.parse_period("2025")


def test_totals_and_every_breakdown_match_the_hand_computation(app, dataset):
    data = stats.impact(stats.Scope(period=YEAR))
    assert approx_figures(data["total"], EXPECTED["total"])
    months = {m["key"]: m for m in data["by_month"]}
    assert len(months) == 12 and months["2025-01"]["lots"] == 0
    for key, figures in EXPECTED["month"].items():
        assert approx_figures(months[key], figures), key
    for name, key in (("category", "by_category"), ("store", "by_store"), ("charity", "by_charity"),
                      ("municipality", "by_municipality")):
        rows = {r["key"] if name in ("category", "municipality") else r["label"]: r for r in data[key]}
        assert set(rows) == set(EXPECTED[name]), name
        for label, figures in EXPECTED[name].items():
            assert approx_figures(rows[label], figures), (name, label)


def test_a_pickup_after_midnight_in_rome_counts_in_the_rome_month(app, dataset):
    march = stats.impact(stats.Scope(period=periods.parse_period("2025-03")))
    april = stats.impact(stats.Scope(period=periods.parse_period("2025-04")))
    assert march["total"]["kg"] == pytest.approx(9.5)  # D2 was picked up on 31 March in UTC
    assert april["total"]["kg"] == pytest.approx(33.0)


@pytest.mark.parametrize("filters,kg", [({"store_id": "s2"}, 13.0), ({"charity_id": "c1"}, 17.5),
                                        ({"category": "dispensa"}, 20.0),
                                        ({"store_id": "s1", "charity_id": "c2"}, 20.0)])
def test_filters_narrow_every_figure(app, dataset, filters, kg):
    values = {k: getattr(dataset, v).id if k.endswith("_id") else v for k, v in filters.items()}
    data = stats.impact(stats.Scope(period=YEAR, **values))
    assert data["total"]["kg"] == pytest.approx(kg)
    assert sum(m["kg"] for m in data["by_month"]) == pytest.approx(kg)


def test_operational_health_matches_the_definitions(app, dataset):
    health = stats.dashboard(stats.Scope(period=YEAR))["health"]
    for key, value in EXPECTED["health"].items():
        assert health[key] == pytest.approx(value), key


def test_health_of_one_store(app, dataset):
    health = stats.health(stats.Scope(period=YEAR, store_id=dataset.s2.id))
    # Super Due posted D3 D4 D7 D8: D7 cancelled, D8 given back late.
    assert (health["posted"], health["cancelled"], health["due"], health["claimed_in_time"]) == (4, 1, 3, 2)
    assert (health["no_shows"], health["expired_kg"], health["active_volunteers"]) == (1, 2.0, 2)
    assert health["minutes_to_claim_median"] == pytest.approx(15.0)


def test_a_volunteer_sees_what_they_carried(app, dataset):
    figures = stats.volunteer_figures(dataset.v1.id, YEAR)
    assert approx_figures(figures["total"], EXPECTED["volunteer_v1"])
    assert {c["key"] for c in figures["by_category"]} == {"frutta_verdura", "non_umano"}


def test_public_counters_are_floats_for_this_month_and_year(app, dataset):
    counters = stats.public_counters(now=rome(2025, 4, 25, 12))
    assert counters == {"kg_month": 33.0, "kg_year": 42.5, "meals_month": 50.0, "meals_year": 69.0}
    assert all(isinstance(v, float) for v in counters.values())


def test_public_counters_fit_the_home_page_contract(app, dataset):
    from app.services.pages import content as pages

    figures = pages.public_impact()
    assert set(figures) == {"kg_month", "kg_year", "meals_month", "meals_year"}


def test_empty_network_has_zero_figures_and_no_median(app):
    data = stats.dashboard(stats.Scope(period=YEAR))
    assert data["total"]["kg"] == 0 and data["health"]["minutes_to_claim_median"] is None
    assert data["health"]["claimed_in_time_share"] is None and stats.open_data_rows() == []


def test_factors_come_from_the_configuration(app, dataset, monkeypatch):
    monkeypatch.setitem(app.config, "MEAL_KG", 0.42)
    monkeypatch.setitem(app.config, "CO2E_PER_KG", 3.0)
    total = stats.impact(stats.Scope(period=YEAR))["total"]
    assert total["meals"] == pytest.approx(34.5 / 0.42) and total["co2e_kg"] == pytest.approx(127.5)


@pytest.mark.parametrize("key", ["2025-13", "ultimo", "99m", "1999", "2025-Q5", "2025/03"])
def test_unknown_periods_are_refused_in_italian(app, key):
    with pytest.raises(ServiceError) as error:
        periods.parse_period(key)
    assert error.value.code == "bad_period" and ("Periodo" in error.value.message or "mesi" in error.value.message)


def test_periods_follow_rome_midnights_across_daylight_saving():
    march = periods.parse_period("2025-03")
    assert march.start.isoformat() == "2025-02-28T23:00:00+00:00"  # CET, UTC+1
    assert march.end.isoformat() == "2025-03-31T22:00:00+00:00"  # CEST, UTC+2
    assert [p.key for p in periods.parse_period("2025-Q4").months and [periods.parse_period("2025-Q4")]] == ["2025-Q4"]
    assert periods.parse_period("2025-Q4").months == [(2025, 10), (2025, 11), (2025, 12)]


@pytest.mark.parametrize("values,median", [([(10, 2), (20, 1), (30, 1), (40, 1)], 20.0), ([(5, 1), (7, 1)], 6.0),
                                           ([(3, 4)], 3.0), ([], None)])
def test_median_of_a_histogram(values, median):
    from app.services.impact import health as stats_health

    assert stats_health._median(values) == median
