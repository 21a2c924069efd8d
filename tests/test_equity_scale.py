"""Equity at a national network's size: each month measured once per version, thousands of charities shown in a few rows.

The network's Gini of a month sorts every charity: a process keeps the months it
measured, keyed by the month's ImpactMonthVersion and by the charities' people
served. These tests change a month through the engine's path (the rollup sync),
the people served, and the cells themselves (a rebuild), and check that the figures
are always those measured from scratch; and that the page lists 20 charities of many.
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from app.extensions import db
from app.services.impact import documents, equity, periods, rollups
from app.services.impact.scope import Scope
from app.services.ops.core import SUBSCRIBERS
from tests.impact_helpers import make_donation, rome, tables

PERIOD = periods.months_period((2025, 3), 3, "test", "mar-mag 2025")


@pytest.fixture
def network(make_org, make_user):
    """A store, a volunteer and 25 charities of 10..250 people; `give(charity, kg, month)` rescues food."""
    store, volunteer = make_org("store", name="Coop"), make_user("volunteer")
    charities = [make_org("charity", name=f"Ente {n:02d}", people_served_week=10 * (n + 1)) for n in range(25)]

    def give(charity, kg, month, day=10):
        at = rome(2025, month, day, 10)
        return make_donation(store, charity, status="picked_up", category="dispensa", kg=kg,
                             posted=at - timedelta(hours=2), window=(at - timedelta(hours=1), at + timedelta(hours=1)),
                             claimed=at - timedelta(hours=1), claimer=volunteer, picked=at)

    return charities, give


def _fresh(scope):
    """The monthly figures measured from scratch (no process cache)."""
    from flask import current_app

    current_app.extensions.pop(equity.CACHE, None)
    return equity.equity(scope)["by_month"]


def _same(got, want):
    assert [(m["year"], m["month"]) for m in got] == [(m["year"], m["month"]) for m in want]
    for a, b in zip(got, want):
        assert (a["gini"] is None) == (b["gini"] is None) and a["people"] == b["people"]
        assert a["kg"] == pytest.approx(b["kg"]) and (a["gini"] is None or a["gini"] == pytest.approx(b["gini"]))


def test_a_month_is_measured_again_when_its_cells_or_the_people_served_change(app, network):
    charities, give = network
    give(charities[0], 30, 3)
    give(charities[1], 10, 4)
    first = equity.equity(Scope(period=PERIOD))["by_month"]
    _same(first, _fresh(Scope(period=PERIOD)))
    equity.equity(Scope(period=PERIOD))  # the months are known now
    give(charities[2], 50, 4)  # April changes (the rollup sync moves its version)
    _same(equity.equity(Scope(period=PERIOD))["by_month"], _fresh(Scope(period=PERIOD)))
    assert equity.equity(Scope(period=PERIOD))["by_month"][1]["kg"] == pytest.approx(60)
    charities[2].people_served_week = 1000  # people served change every month's figure
    db.session.commit()
    _same(equity.equity(Scope(period=PERIOD))["by_month"], _fresh(Scope(period=PERIOD)))
    charities[0].active = False
    db.session.commit()
    got = equity.equity(Scope(period=PERIOD))["by_month"]
    _same(got, _fresh(Scope(period=PERIOD)))
    assert got[0]["gini"] is None  # March's only charity no longer counts
    rollups.rebuild()  # the cells are summed again: no month is trusted from before
    _same(equity.equity(Scope(period=PERIOD))["by_month"], _fresh(Scope(period=PERIOD)))


def test_only_the_month_that_changed_is_measured_again(app, network, monkeypatch):
    """One statement gives every month's version, the cells of the months not known at it and the charities."""
    charities, give = network
    for n, charity in enumerate(charities):
        give(charity, 5 + n, 3 + n % 3)
    equity.equity(Scope(period=PERIOD))
    give(charities[3], 7, 5)
    measured, seen = [], []
    original = equity._month_figures
    monkeypatch.setattr(equity, "_month_figures", lambda c, kg: measured.append(sorted(kg)) or original(c, kg))

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        by_month = equity.equity(Scope(period=PERIOD), whole_period=False)["by_month"]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    may = sorted(c.id for n, c in enumerate(charities) if n % 3 == 2 or n == 3)
    assert measured == [may]  # May alone, from its own cells
    # One statement: the versions, May's cells and the charities (May must be measured again).
    assert len([s for s in seen if not s.startswith(("BEGIN", "SAVEPOINT", "RELEASE"))]) == 1
    _same(by_month, _fresh(Scope(period=PERIOD)))


def test_the_page_lists_the_ends_of_many_charities_and_draws_a_bounded_curve(client, login_as, make_user, network):
    charities, give = network
    for n, charity in enumerate(charities):
        give(charity, 5 + 3 * n, 3)
    login_as(make_user("coordinator"))
    html = client.get("/coordinamento/impatto?periodo=2025-03").get_data(as_text=True)
    rows = tables(html)["table-equity"][1:]
    assert len(rows) == 21 and rows[10][0] == "Altri 5 enti"
    result = equity.equity(Scope(period=periods.month_period(2025, 3)))["period"]
    assert [r[0] for r in rows[:10]] == [s.name for s in reversed(result.shares)][:10]
    assert re.search(r'<strong id="gini-value">%s</strong>' % f"{result.gini:.3f}".replace(".", ","), html)
    svg = str(equity.lorenz_chart("x", result))
    points = re.search(r'class="chart-curve" points="([^"]+)"', svg).group(1).split()
    assert len(points) == len(result.lorenz) == 26  # few enough to draw them all


def test_a_curve_of_thousands_of_charities_draws_sixty_vertices_ends_included():
    shares = [equity.Share(n, f"Ente {n}", 100, float(n)) for n in range(1, 8001)]
    result = equity.measure(shares)
    drawn = equity._drawn(result.lorenz)
    assert len(drawn) == equity.LORENZ_POINTS and drawn[0] == (0.0, 0.0) and drawn[-1] == result.lorenz[-1]
    svg = str(equity.lorenz_chart("x", result))
    assert svg.count("<circle") == equity.LORENZ_POINTS - 2 and "8000 enti" in svg


def test_the_ddt_subscriber_runs_before_the_rollups_whatever_the_import_order():
    """The rollups read the DDT's carrier: importing them first must not put them first."""
    assert SUBSCRIBERS.index(documents.issue_on_pickup) < SUBSCRIBERS.index(rollups.sync_on_operation)


def test_a_month_without_food_is_measured_once_and_again_at_its_first_pickup(app, network, monkeypatch):
    """A month with no cells has no version row: it is kept as empty until its first cell makes one."""
    charities, give = network
    give(charities[0], 30, 3)
    give(charities[1], 10, 4)  # May has nothing yet
    equity.equity(Scope(period=PERIOD))
    measured = []
    original = equity._month_figures
    monkeypatch.setattr(equity, "_month_figures", lambda c, kg: measured.append(sorted(kg)) or original(c, kg))
    assert equity.equity(Scope(period=PERIOD))["by_month"][2]["kg"] == 0
    assert measured == []  # May, empty, came from the cache
    give(charities[2], 50, 5)  # May's first pickup
    got = equity.equity(Scope(period=PERIOD))["by_month"]
    assert measured == [[charities[2].id]] and got[2]["kg"] == pytest.approx(50)
    _same(got, _fresh(Scope(period=PERIOD)))
