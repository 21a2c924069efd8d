"""The impact rollups equal today's raw-SQL figures, on random histories (SQLite and PostgreSQL).

Random donations (any status, pickups around month ends and the March DST change,
weighed or not, valued or not, with or without a charity and a DDT carrier) are
written, then randomly changed (weighed at receipt, reassigned, cancelled, the
store's municipality corrected), each change followed by the rollup sync the
engine's subscriber (or the coordinator's edit) runs. Every breakdown the pages
read, and the open data files (stored parts where still valid, computed elsewhere),
must then equal the raw GROUP BY of tests/rollup_reference.py, and a rebuild must
find nothing to change. A second test drives the real engine with random operations
(the lifecycle state machine) and checks the same after every step.
"""
from datetime import timedelta

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, run_state_machine_as_test
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import (Crate, DocumentCounter, Donation, Flag, ImpactDay, ImpactSource, ImpactVersion,
                        Notification, OpenDataPart, Operation, Organisation, TransportDocument)
from app.models.base import utcnow
from app.services.impact import documents, health_rollups, opendata, periods, rollups, stats
from app.services.impact.scope import Scope
from tests import rollup_reference as raw
from tests.impact_helpers import rome
from tests.test_lifecycle_stateful import Lifecycle

BASE = rome(2026, 3, 29, 1, 30)  # an hour before Rome's clocks go forward
PERIOD = periods.months_period((2026, 1), 6, "test", "test")
CATEGORIES = ("frutta_verdura", "pane_forno", "latticini", "non_umano")
STATUSES = ("posted", "claimed", "picked_up", "delivered", "received", "cancelled", "expired")

donation_specs = st.lists(st.fixed_dictionaries({
    "status": st.sampled_from(STATUSES),
    "minutes": st.integers(min_value=-60 * 24 * 70, max_value=60 * 24 * 70),
    "category": st.sampled_from(CATEGORIES),
    "kg": st.floats(min_value=0.1, max_value=900, allow_nan=False).map(lambda x: round(x, 2)),
    "received_kg": st.none() | st.floats(min_value=0, max_value=900, allow_nan=False).map(lambda x: round(x, 3)),
    "value_eur": st.none() | st.floats(min_value=0, max_value=5000, allow_nan=False).map(lambda x: round(x, 2)),
    "store": st.integers(0, 2), "charity": st.integers(-1, 1), "carrier": st.integers(-1, 1),
}), min_size=0, max_size=25)
changes = st.lists(st.tuples(st.integers(0, 24), st.sampled_from(("weigh", "reassign", "cancel", "edit_kg", "move",
                                                                  "publish")),
                             st.floats(min_value=0, max_value=300, allow_nan=False).map(lambda x: round(x, 1))),
                   max_size=10)


@pytest.fixture
def people(make_org, make_user):
    """Three stores in two municipalities, two charities, two volunteers."""
    stores = [make_org("store", municipality="Bologna"), make_org("store", municipality="Bologna"),
              make_org("store", municipality="Imola")]
    charities = [make_org("charity"), make_org("charity")]
    return stores, charities, [make_user("volunteer"), make_user("volunteer")]


def _wipe():
    for model in (Notification, Flag, TransportDocument, DocumentCounter, Crate, Operation, ImpactSource,
                  *(model for model, _key in rollups.TABLES), ImpactVersion, OpenDataPart,
                  *(model for model, _dim, _monthly in rollups.PERIOD_TABLES), *health_rollups.TABLES, Donation):
        db.session.execute(delete(model))
    db.session.commit()


def _same(actual, expected):
    """Two {key: figures} maps are equal (floats up to summation order)."""
    assert set(actual) == set(expected)
    for key, figures in expected.items():
        for name, value in figures.items():
            assert actual[key][name] == pytest.approx(value, rel=1e-9, abs=1e-6), (key, name)


def _only_figures(row):
    return {k: v for k, v in row.items() if k not in ("store", "charity")}


def _check(scopes):
    """Every rollup breakdown equals the raw one, for each scope, and open data too."""
    for scope in scopes:
        _same({(r["b"], r["category"]): {k: v for k, v in r.items() if k not in ("b", "category")}
               for r in stats._month_category(scope)}, raw.month_category(scope))
        stores, charities = stats._store_charity(scope)
        pairs = raw.store_charity(scope)
        raw_rows = [{"store": store, "charity": charity, **f} for (store, charity), f in pairs.items()]
        if stores is charities:  # one scan by (store, charity) pair: compare the pairs themselves
            _same({(r["store"], r["charity"]): _only_figures(r) for r in stores}, pairs)
        for key, rows in (("store", stores), ("charity", charities)):
            _same(stats._rollup(rows, key), stats._rollup(raw_rows, key))
        if stats.network_wide(scope) and not scope.category:
            _check_bounded(scope, raw_rows)
    period = scopes[0].period
    rows = stats.open_data_rows(now=period.end - timedelta(hours=1))
    expected = {}
    if rows:  # from the first pickup month to the period's last one
        first = min(r["month"] for r in rows)
        span = periods.months_period((int(first[:4]), int(first[5:])),
                                     (period.months[-1][0] - int(first[:4])) * 12
                                     + period.months[-1][1] - int(first[5:]) + 1, "", "")
        expected = raw.open_data(span)
    _same({(r["month"], r["category"], r["municipality"]): {k: v for k, v in r.items() if k not in
                                                            ("month", "category", "municipality", "provisional")}
           for r in rows}, expected)
    _check_files(period.end - timedelta(hours=1), expected)


FILE_FIELDS = {"donazioni": "lots", "kg": "kg", "kg_pesati": "kg_weighed", "kg_dichiarati": "kg_declared",
               "pasti_equivalenti": "meals", "co2e_kg": "co2e_kg", "valore_eur": "value_eur"}


def _check_files(now, expected):
    """The open data files of every year (stored parts where valid, computed elsewhere) hold the raw figures."""
    records, lines = [], []
    span = opendata.years()
    for year in range(span[0], span[1] + 1) if span else ():
        records += json.loads(opendata.assemble("json", "[", opendata.year_parts("json", year, now=now), "]")
                              .plain())
        lines += csv.DictReader(io.StringIO(opendata.assemble(
            "csv", opendata.csv_head(), opendata.year_parts("csv", year, now=now), "").plain().decode()))
    assert [{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in r.items()} for r in records] == lines
    got = {(r["mese"], r["categoria"], r["comune"]): r for r in records}
    assert len(got) == len(records) and set(got) == set(expected)
    for key, figures in expected.items():
        for field, name in FILE_FIELDS.items():
            assert got[key][field] == pytest.approx(figures[name], abs=0.0051), (key, field)


def _check_bounded(scope, raw_rows, limit=2):
    """The dashboard's bounded breakdowns: the `limit` groups with most kg, and the rest summing to the total."""
    from app.models import Organisation

    data = stats.impact(scope, limit=limit)
    towns = dict(db.session.execute(select(Organisation.id, Organisation.municipality)).all())
    for key, group in (("by_store", lambda r: r["store"]), ("by_charity", lambda r: r["charity"]),
                       ("by_municipality", lambda r: towns[r["store"]] or None)):
        groups = {}
        for row in raw_rows:
            groups.setdefault(group(row), []).append(row)
        # Most kg first; ties by key, as SQL orders them (no charity is 0 there, no town '').
        tie = (lambda k: k or "") if key == "by_municipality" else (lambda k: k or 0)
        full = sorted(((k, stats.add_figures(v)) for k, v in groups.items()), key=lambda kv: (-kv[1]["kg"], tie(kv[0])))
        shown = {r["key"] or None: r for r in data[key]}
        assert set(shown) == {k for k, _f in full[:limit]}, key
        for group_key, figures in full[:limit]:
            for figure, value in figures.items():
                assert shown[group_key][figure] == pytest.approx(value, rel=1e-9, abs=1e-6), (key, figure)
        rest = data[key + "_rest"]
        if len(full) <= limit:
            assert rest is None, key
            continue
        assert rest["count"] == len(full) - limit
        left = stats.add_figures([f for _k, f in full[limit:]])
        for figure, value in left.items():
            assert rest[figure] == pytest.approx(value, rel=1e-9, abs=1e-6), (key, figure)


def _make(spec, stores, charities, volunteers):
    picked = BASE + timedelta(minutes=spec["minutes"])
    rescued = spec["status"] in rollups.RESCUED
    charity = charities[spec["charity"]] if spec["charity"] >= 0 else None
    donation = Donation(store_id=stores[spec["store"]].id, recipient_id=charity.id if charity else None,
                        status=spec["status"], category=spec["category"], description="Prova",
                        kg_declared=spec["kg"], crates_count=1, value_eur=spec["value_eur"],
                        window_start=picked - timedelta(hours=2), window_end=picked + timedelta(hours=1),
                        posted_at=picked - timedelta(hours=3), picked_up_at=picked if rescued else None,
                        received_kg=spec["received_kg"] if spec["status"] == "received" else None)
    db.session.add(donation)
    db.session.flush()
    if rescued and spec["carrier"] >= 0:
        documents.issue(donation, volunteers[spec["carrier"]], picked)
    rollups.sync_donation(donation.id)
    db.session.commit()
    return donation


def _change(donation, what, amount, charities):
    if what == "move":
        # A coordinator corrects the store's municipality (coordination.organisation does the same).
        store = db.session.get(Organisation, donation.store_id)
        store.municipality = ("Bologna", "Imola", "Medicina")[int(amount) % 3]
        db.session.flush()
        rollups.move_store(store.id)
        db.session.commit()
        return
    if what == "publish":
        # The worker builds the open data parts: later changes must make them stale, never wrong.
        opendata.refresh(now=BASE + timedelta(days=71))
        return
    if what == "weigh" and donation.status in ("delivered", "received"):
        donation.status, donation.received_kg = "received", amount
    elif what == "reassign":
        donation.recipient_id = charities[int(amount) % 2].id
    elif what == "cancel":
        donation.status, donation.picked_up_at = "cancelled", None
    elif what == "edit_kg" and amount > 0:
        donation.kg_declared = amount
    db.session.flush()
    rollups.sync_donation(donation.id)
    db.session.commit()


@settings(max_examples=40, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=donation_specs, edits=changes)
def test_rollup_figures_equal_raw_sql_on_random_histories(app, people, specs, edits):
    stores, charities, volunteers = people
    _wipe()
    made = [_make(spec, stores, charities, volunteers) for spec in specs]
    opendata.refresh(now=BASE + timedelta(days=71))  # the worker's job: the edits below make some parts stale
    for index, what, amount in edits:
        if made:
            _change(made[index % len(made)], what, amount, charities)
    # After every generated pickup (the engine refuses pickups dated in the future).
    later = BASE + timedelta(days=71)
    assert stats.public_counters(now=later) == pytest.approx(raw.public_counters(later))
    scopes = [Scope(period=PERIOD), Scope(period=PERIOD, store_id=stores[0].id),
              Scope(period=PERIOD, charity_id=charities[1].id), Scope(period=PERIOD, category="non_umano"),
              Scope(period=PERIOD, volunteer_id=volunteers[0].id),
              Scope(period=periods.month_period(2026, 3)), Scope(period=periods.month_period(2026, 4)),
              # Periods the period tables hold: a year, quarters, 12 months in a row across a year's end.
              Scope(period=periods.year_period(2026)), Scope(period=periods.quarter_period(2026, 1)),
              Scope(period=periods.quarter_period(2026, 2)), Scope(period=periods.months_period((2025, 6), 12, "", "")),
              Scope(period=periods.months_period((2026, 3), 12, "", ""), store_id=stores[2].id)]
    _check(scopes)
    assert rollups.differences() == []
    before = sorted(tuple(r) for r in db.session.execute(select(ImpactDay.day, ImpactDay.store_id,
                                                                ImpactDay.charity_id, ImpactDay.category,
                                                                ImpactDay.carrier_id, ImpactDay.lots)))
    rollups.rebuild()
    rollups.rebuild()  # idempotent: the second run finds the same
    after = sorted(tuple(r) for r in db.session.execute(select(ImpactDay.day, ImpactDay.store_id,
                                                               ImpactDay.charity_id, ImpactDay.category,
                                                               ImpactDay.carrier_id, ImpactDay.lots)))
    assert after == before
    _check(scopes)
    assert rollups.catch_up() == 0


class RollupLifecycle(Lifecycle):
    """The engine's random lifecycle, checking after every step that the rollup equals the raw figures."""

    @invariant()
    def rollup_equals_raw(self):
        db.session.expire_all()
        now = utcnow()
        day = periods.rome_date(now)
        _check([Scope(period=periods.months_period((day.year, day.month - 1) if day.month > 1
                                                   else (day.year - 1, 12), 2, "", ""))])


def test_rollup_stays_exact_under_random_engine_operations(app, make_org, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_OPEN_CLAIMS", 50)
    run_state_machine_as_test(
        lambda: RollupLifecycle(make_org, make_user),
        settings=settings(max_examples=15, stateful_step_count=20, derandomize=True, deadline=None,
                          database=None, suppress_health_check=list(HealthCheck)))
    assert db.session.scalar(select(func.count()).select_from(ImpactSource)) > 0  # something was rescued
    assert rollups.differences() == []


def test_rebuild_command_is_exact_and_idempotent(app, runner, people):
    """`flask rollups rebuild` recomputes the tables; `flask rollups check` then finds nothing."""
    stores, charities, volunteers = people
    spec = {"status": "received", "minutes": 0, "category": "latticini", "kg": 12.5, "received_kg": 11.0,
            "value_eur": None, "store": 0, "charity": 0, "carrier": 0}
    donation = _make(spec, stores, charities, volunteers)
    db.session.execute(delete(ImpactDay))
    db.session.commit()
    result = runner.invoke(args=["rollups", "check"])
    assert result.exit_code == 1 and "1" in result.output
    result = runner.invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0, result.output
    cell = db.session.scalars(select(ImpactDay)).one()
    assert (cell.lots, cell.kg_received, cell.kg_unvalued, cell.store_id) == (1, 11.0, 12.5, donation.store_id)
    assert runner.invoke(args=["rollups", "check"]).exit_code == 0
    assert runner.invoke(args=["rollups", "rebuild"]).exit_code == 0
    assert db.session.scalars(select(ImpactDay)).one().lots == 1


def test_rebuild_command_one_family_at_a_time(app, runner, people):
    """`--only impact` and `--only health` each rebuild their own tables and leave the other's alone.

    The scale benchmark runs the two at once, in two processes; together they equal a full rebuild.
    """
    from app.models.rollup import HealthMonth

    stores, charities, volunteers = people
    spec = {"status": "received", "minutes": 0, "category": "latticini", "kg": 12.5, "received_kg": 11.0,
            "value_eur": None, "store": 0, "charity": 0, "carrier": 0}
    _make(spec, stores, charities, volunteers)
    db.session.execute(delete(ImpactDay))
    db.session.execute(delete(HealthMonth))
    db.session.commit()
    result = runner.invoke(args=["rollups", "rebuild", "--only", "impact"])
    assert result.exit_code == 0 and "salute" not in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(ImpactDay)) == 1
    assert db.session.scalar(select(func.count()).select_from(HealthMonth)) == 0
    assert runner.invoke(args=["rollups", "check"]).exit_code == 1
    result = runner.invoke(args=["rollups", "rebuild", "--only", "health"])
    assert result.exit_code == 0 and "Salute operativa di 1 donazioni" in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(HealthMonth)) == 1
    assert runner.invoke(args=["rollups", "check"]).exit_code == 0
    result = runner.invoke(args=["rollups", "rebuild", "--only", "tutto"])
    assert result.exit_code == 2 and "impact" in result.output
