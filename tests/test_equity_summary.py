"""The network's period equity measured by the database equals measure_rows() over every charity.

_period_summary() returns the Gini, the Lorenz vertices _drawn() keeps and the charities at
both ends, not every row: on random networks (few charities, and more than LORENZ_POINTS) its
figures must be those of the Python measure of every charity.
"""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from app.extensions import db
from app.models import ImpactPeriodCharity, Organisation
from app.services.impact import equity, periods, rollups
from app.services.impact.scope import Scope
from app.services.people import counts

PERIOD = periods.months_period((2025, 1), 12, "12m", "12 mesi")  # a stored period: one row per charity
charities = st.lists(st.tuples(st.integers(1, 400), st.one_of(st.just(0.0), st.floats(0, 900, allow_nan=False)),
                               st.booleans()), min_size=0, max_size=90)


def _network(rows):
    db.session.execute(delete(ImpactPeriodCharity))
    db.session.execute(delete(Organisation))
    db.session.commit()
    first, months = rollups.stored_period(PERIOD)
    for n, (people, kg, active) in enumerate(rows):
        org = Organisation(kind="charity", name=f"Ente {n}", people_served_week=people, active=active)
        db.session.add(org)
        db.session.flush()
        if kg:
            db.session.add(ImpactPeriodCharity(first=first, months=months, charity_id=org.id, lots=1, weighed_lots=1,
                                               kg_declared=0, kg_received=kg, kg_unweighed=0, kg_food=kg,
                                               value_declared=0, kg_unvalued=0))
    db.session.commit()
    return [(o.id, o.name, o.people_served_week, kg) for o, (_p, kg, active) in
            zip(db.session.scalars(db.select(Organisation).order_by(Organisation.id)), rows) if active]


def test_summary_of_hundreds_of_charities(app):
    """More charities than vertices drawn and than both ends: the sampled rows and the middle's figures."""
    got = _compare([(10 + n % 50, float((n * 37) % 101), n % 7 != 0) for n in range(300)])
    assert got.count == 257 and len(got.lorenz) == equity.LORENZ_POINTS and got.ends()["middle"]["count"] == 237


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=charities)
def test_summary_equals_the_measure_of_every_charity(app, rows):
    got = _compare(rows)
    assert got.count == sum(1 for _people, _kg, active in rows if active)  # every active charity is counted


def _compare(rows):
    """The summary of a network of `rows` (people, kg, active), checked against measure_rows(); returned."""
    full = equity.measure_rows(_network(rows))
    got = equity._period_summary(Scope(period=PERIOD))
    assert got.count == len(full.rows)
    assert len(got.rows) <= min(got.count, 2 * equity.SHOWN + equity.LORENZ_POINTS)  # what a page shows, no more
    assert got.people == sum(r[3] for r in full.rows) and got.kg == pytest.approx(full.kg)
    if full.gini is None:
        assert got.gini is None and got.lorenz == []
    else:
        assert got.gini == pytest.approx(full.gini, abs=1e-9)
        drawn = equity._drawn(full.lorenz)
        assert len(got.lorenz) == len(drawn)
        assert [v for point in got.lorenz for v in point] == pytest.approx([v for point in drawn for v in point],
                                                                            abs=1e-9)
    want, have = full.ends(), got.ends()
    assert [s.charity_id for s in have["most"]] == [s.charity_id for s in want["most"]]
    assert [s.charity_id for s in have["least"]] == [s.charity_id for s in want["least"]]
    if want["middle"] is None:
        assert have["middle"] is None
    else:
        assert have["middle"]["count"] == want["middle"]["count"]
        assert have["middle"]["people"] == want["middle"]["people"]
        assert have["middle"]["kg"] == pytest.approx(want["middle"]["kg"], abs=1e-6)
    return got


def test_drawn_vertices_are_those_of_drawn(app):
    for n in (1, 2, 58, 59, 60, 61, 118, 119, 500, 8000):
        points = list(range(n + 1))
        assert [j for j in points[1:] if n + 1 <= equity.LORENZ_POINTS or equity._is_drawn(j, n)] == \
            [j for j in equity._drawn(points) if j]


def test_a_charity_change_moves_the_charities_version(app, make_org):
    before = counts.charities_version()
    charity = make_org("charity", people_served_week=10)
    after_insert = counts.charities_version()
    charity.people_served_week = 20
    db.session.commit()
    after_people = counts.charities_version()
    charity.phone = "051 000000"
    db.session.commit()
    assert before < after_insert < after_people == counts.charities_version()
    make_org("store")
    assert counts.charities_version() == after_people
