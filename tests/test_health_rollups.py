"""The health rollups equal today's raw-SQL operational health, on random histories (SQLite and PostgreSQL).

Random donations (any status, posted around month ends and the March DST change,
claimed in time or late or never, picked up before or after the window's end,
cancelled before or after it, given back in time or late, with or without a DDT
and its carrier) are written, then randomly changed (claimed, given back through
the subscriber's path, cancelled, picked up, expired, reassigned, re-categorised,
their window moved), each change followed by the sync the engine's subscriber
runs. health.health() must then equal tests/health_reference.py for every scope
and for several "now": before every window, between them, after them all (the
open windows' correction). A rebuild must find nothing to change, and a second
test drives the real engine, late unclaim included.
"""
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, run_state_machine_as_test
from sqlalchemy import delete, func, select, update

from app.extensions import db
from app.models import (Crate, DocumentCounter, Donation, Flag, HealthMonth, HealthSource, ImpactSource, Notification,
                        Operation, TransportDocument, VolunteerSpan)
from app.models.base import utcnow
from app.services.impact import documents, health, health_rollups, periods, rollups
from app.services.impact.scope import Scope
from tests import health_reference as raw
from tests.impact_helpers import rome
from tests.pickups_helpers import Network, post_donation, send
from tests.test_lifecycle_stateful import Lifecycle

BASE = rome(2026, 3, 29, 1, 30)  # an hour before Rome's clocks go forward
PERIOD = periods.months_period((2026, 1), 6, "test", "test")
NOWS = (BASE - timedelta(days=80), BASE, BASE + timedelta(hours=5), BASE + timedelta(days=100))
CATEGORIES = ("frutta_verdura", "pane_forno", "latticini", "non_umano")
STATUSES = ("posted", "claimed", "picked_up", "delivered", "received", "cancelled", "expired")
PICKED = ("picked_up", "delivered", "received")
_ops = {"n": 0}

donation_specs = st.lists(st.fixed_dictionaries({
    "status": st.sampled_from(STATUSES),
    "posted": st.integers(min_value=-60 * 24 * 70, max_value=60 * 24 * 70),
    "second": st.sampled_from([0, 0, 29, 59]), "micro": st.sampled_from([0, 0, 499_999, 500_000]),
    "start_after": st.integers(0, 300), "length": st.integers(30, 600),
    "claim": st.none() | st.integers(-5, 900),
    "pick": st.integers(-60, 700), "cancel": st.integers(-200, 200),
    "unclaims": st.lists(st.tuples(st.integers(-400, 400), st.booleans()), max_size=2),
    "category": st.sampled_from(CATEGORIES),
    "kg": st.floats(min_value=0.1, max_value=900, allow_nan=False).map(lambda x: round(x, 2)),
    "store": st.integers(0, 2), "charity": st.integers(-1, 1), "carrier": st.integers(-1, 3),
}), min_size=0, max_size=20)
changes = st.lists(st.tuples(st.integers(0, 19), st.sampled_from(
    ("claim", "unclaim", "cancel", "pickup", "expire", "reassign", "category", "window")), st.integers(0, 300)),
    max_size=12)


@pytest.fixture
def people(make_org, make_user):
    """Three stores, two charities, three volunteers."""
    return ([make_org("store") for _ in range(3)], [make_org("charity") for _ in range(2)],
            [make_user("volunteer") for _ in range(3)])


def _wipe():
    for model in (Notification, Flag, TransportDocument, DocumentCounter, Crate, Operation, ImpactSource,
                  *(model for model, _key in rollups.TABLES),
                  *(model for model, _dim, _monthly in rollups.PERIOD_TABLES), *health_rollups.TABLES, Donation):
        db.session.execute(delete(model))
    db.session.commit()


def _log_unclaim(donation, at, applied=True):
    _ops["n"] += 1
    db.session.add(Operation(op_id=f"health-test-{_ops['n']:07d}", kind="donation.unclaim", donation_id=donation.id,
                             source="form", payload={}, occurred_at=at, received_at=at,
                             status="applied" if applied else "refused", code="", message="", result={}))
    db.session.flush()


def _issue(donation, volunteers, carrier):
    """The DDT of a picked-up donation; carrier 2 is a volunteer whose account went (carrier set NULL)."""
    document = documents.issue(donation, volunteers[carrier % 3], donation.picked_up_at)
    if carrier == 3:
        db.session.execute(update(TransportDocument).where(TransportDocument.id == document.id)
                           .values(carrier_id=None))


def _make(spec, stores, charities, volunteers):
    posted = BASE + timedelta(minutes=spec["posted"], seconds=spec["second"], microseconds=spec["micro"])
    start = posted + timedelta(minutes=spec["start_after"])
    end = start + timedelta(minutes=spec["length"])
    status = spec["status"]
    claimed = None
    if status in ("claimed", *PICKED) or (status == "cancelled" and spec["claim"] is not None):
        claimed = posted + timedelta(minutes=spec["claim"] if spec["claim"] is not None else 7, seconds=13)
    picked = start + timedelta(minutes=spec["pick"]) if status in PICKED else None
    cancelled = end + timedelta(minutes=spec["cancel"]) if status == "cancelled" else None
    charity = charities[spec["charity"]] if spec["charity"] >= 0 else None
    donation = Donation(store_id=stores[spec["store"]].id, recipient_id=charity.id if charity else None,
                        status=status, category=spec["category"], description="Prova", kg_declared=spec["kg"],
                        crates_count=1, window_start=start, window_end=end, posted_at=posted,
                        claimed_at=claimed, claimed_by_id=volunteers[0].id if claimed else None,
                        picked_up_at=picked, cancelled_at=cancelled,
                        expired_at=end + timedelta(minutes=1) if status == "expired" else None)
    db.session.add(donation)
    db.session.flush()
    for offset, applied in spec["unclaims"]:
        _log_unclaim(donation, max(posted, end + timedelta(minutes=offset)), applied)
    if picked is not None and spec["carrier"] >= 0:
        _issue(donation, volunteers, spec["carrier"])
    rollups.sync_donation(donation.id)
    db.session.commit()
    return donation


def _change(donation, what, amount, charities, volunteers):
    """One random change, then the subscriber's sync (an unclaim is synced before it is logged, as in the engine)."""
    unclaimed_at = None
    if what == "claim" and donation.claimed_at is None and donation.status == "posted":
        donation.status, donation.claimed_at = "claimed", donation.posted_at + timedelta(minutes=amount)
    elif what == "unclaim" and donation.status == "claimed":
        unclaimed_at = donation.window_end + timedelta(minutes=amount - 150)
        donation.status, donation.claimed_at = "posted", None
    elif what == "cancel" and donation.status in ("posted", "claimed"):
        donation.status, donation.cancelled_at = "cancelled", donation.window_end + timedelta(minutes=amount - 150)
    elif what == "pickup" and donation.status in ("posted", "claimed"):
        donation.status = "picked_up"
        donation.claimed_at = donation.claimed_at or donation.posted_at + timedelta(minutes=3)
        donation.picked_up_at = donation.window_start + timedelta(minutes=amount)
        db.session.flush()
        _issue(donation, volunteers, amount % 4)
    elif what == "expire" and donation.status == "posted":
        donation.status, donation.expired_at = "expired", donation.window_end
    elif what == "reassign":
        donation.recipient_id = charities[amount % 2].id
    elif what == "category":
        donation.category = CATEGORIES[amount % len(CATEGORIES)]
    elif what == "window":
        donation.window_end = max(donation.posted_at + timedelta(minutes=1),
                                  donation.window_end + timedelta(minutes=amount - 150))
    db.session.flush()
    rollups.sync_donation(donation.id, unclaimed_at=unclaimed_at)
    if unclaimed_at is not None:
        _log_unclaim(donation, unclaimed_at)
    db.session.commit()


def _figures(scope, now):
    got = health.health(scope, now=now)
    return {key: got[key] for key in raw.FIGURES}


def _same(got, want, where=""):
    """Equal figures: None where the reference has none (no median, no share), numbers up to float sums."""
    assert set(got) == set(want)
    for key, value in want.items():
        if value is None or got[key] is None:
            assert got[key] is value, (where, key, got[key], value)
        else:
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-6), (where, key, got[key], value)


def _check(scopes, nows=NOWS):
    for scope in scopes:
        for now in nows:
            _same(_figures(scope, now), raw.health(scope, now=now), (scope, now))


def _scopes(stores, charities, volunteers):
    return [Scope(period=PERIOD), Scope(period=PERIOD, category="latticini"),
            Scope(period=PERIOD, store_id=stores[0].id), Scope(period=PERIOD, charity_id=charities[1].id),
            Scope(period=PERIOD, store_id=stores[1].id, category="frutta_verdura"),
            Scope(period=PERIOD, volunteer_id=volunteers[1].id),
            Scope(period=periods.month_period(2026, 3)), Scope(period=periods.month_period(2026, 4)),
            Scope(period=periods.months_period((2026, 2), 2, "", ""), category="pane_forno")]


@settings(max_examples=45, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=donation_specs, edits=changes)
def test_health_rollups_equal_raw_sql_on_random_histories(app, people, specs, edits):
    stores, charities, volunteers = people
    _wipe()
    made = [_make(spec, stores, charities, volunteers) for spec in specs]
    for index, what, amount in edits:
        if made:
            _change(made[index % len(made)], what, amount, charities, volunteers)
    scopes = _scopes(stores, charities, volunteers)
    _check(scopes)
    assert health_rollups.differences() == [] and health_rollups.cell_differences() == []
    before = sorted(tuple(r) for r in db.session.execute(select(HealthMonth.month, HealthMonth.category,
                                                                HealthMonth.posted, HealthMonth.no_shows)))
    spans = sorted(tuple(r) for r in db.session.execute(select(VolunteerSpan.__table__)))
    rollups.rebuild()
    rollups.rebuild()  # idempotent: the second run finds the same
    assert sorted(tuple(r) for r in db.session.execute(select(HealthMonth.month, HealthMonth.category,
                                                              HealthMonth.posted, HealthMonth.no_shows))) == before
    assert sorted(tuple(r) for r in db.session.execute(select(VolunteerSpan.__table__))) == spans
    _check(scopes[:3], nows=NOWS[1:3])
    assert rollups.catch_up() == 0


def test_a_late_unclaim_through_the_engine_is_a_no_show_once_the_window_ends(app, make_org, make_user):
    """The unclaim being applied is not in the log yet when the subscriber runs: it must count at once."""
    store, charity = make_org("store"), make_org("charity")
    clerk, volunteer = make_user("store", org=store), make_user("volunteer")
    posted = utcnow() - timedelta(hours=6)
    donation = post_donation(clerk, charity, now=posted, start_in=timedelta(hours=1), length=timedelta(hours=2))
    assert send(volunteer, "donation.claim", now=posted + timedelta(minutes=20),
                donation_id=donation.id)["status"] == "applied"
    late = donation.window_end + timedelta(minutes=40)
    assert send(volunteer, "donation.unclaim", now=late, donation_id=donation.id,
                reason="Traffico")["status"] == "applied"
    day = periods.rome_date(posted)
    scope = Scope(period=periods.month_period(day.year, day.month))
    for now in (donation.window_end - timedelta(minutes=1), utcnow()):
        _same(_figures(scope, now), raw.health(scope, now=now), now)
    assert _figures(scope, utcnow())["no_shows"] == 1
    assert health_rollups.differences() == [] and health_rollups.cell_differences() == []


def test_health_check_command_finds_and_repairs_a_drifted_cell(app, runner, people):
    """`flask rollups check` sees a health cell written outside the engine; `catch-up` sums it again."""
    stores, charities, volunteers = people
    spec = {"status": "received", "posted": 0, "second": 0, "micro": 0, "start_after": 30, "length": 120,
            "claim": 10, "pick": 20, "cancel": 0, "unclaims": [], "category": "latticini", "kg": 4.0, "store": 0,
            "charity": 0, "carrier": 0}
    _make(spec, stores, charities, volunteers)
    db.session.execute(update(HealthMonth).values(posted=HealthMonth.posted + 3))
    db.session.execute(delete(VolunteerSpan))
    db.session.commit()
    result = runner.invoke(args=["rollups", "check"])
    assert result.exit_code == 1 and "differenze" in result.output
    assert runner.invoke(args=["rollups", "catch-up"]).exit_code == 0
    assert runner.invoke(args=["rollups", "check"]).exit_code == 0
    assert db.session.scalar(select(func.sum(HealthMonth.posted))) == 1
    result = runner.invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0 and "Salute operativa di 1 donazioni" in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(HealthSource)) == 1


class HealthLifecycle(Lifecycle):
    """The engine's random lifecycle, checking after every step that the health rollups equal the raw figures."""

    @invariant()
    def health_equals_raw(self):
        db.session.expire_all()
        now = utcnow()
        day = periods.rome_date(now)
        scope = Scope(period=periods.months_period((day.year, day.month - 1) if day.month > 1
                                                   else (day.year - 1, 12), 2, "", ""))
        for when in (now, now + timedelta(days=2)):
            _same(_figures(scope, when), raw.health(scope, now=when), when)
        store_scope = Scope(period=scope.period, store_id=self.net.store.id)
        _same(_figures(store_scope, now), raw.health(store_scope, now=now), "store")


def test_health_stays_exact_under_random_engine_operations(app, make_org, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_OPEN_CLAIMS", 50)
    run_state_machine_as_test(
        lambda: HealthLifecycle(make_org, make_user),
        settings=settings(max_examples=12, stateful_step_count=20, derandomize=True, deadline=None,
                          database=None, suppress_health_check=list(HealthCheck)))
    assert db.session.scalar(select(func.count()).select_from(HealthSource)) > 0
    assert health_rollups.differences() == [] and health_rollups.cell_differences() == []


def test_network_health_reads_a_fixed_number_of_rows_whatever_the_history(app, people):
    """Network-wide health runs two statements; the open windows' correction reads only the open windows."""
    from sqlalchemy import event

    stores, charities, volunteers = people
    for minutes in (-60 * 24 * 40, -60 * 24 * 10, 0):
        spec = {"status": "expired", "posted": minutes, "second": 0, "micro": 0, "start_after": 30, "length": 120,
                "claim": None, "pick": 0, "cancel": 0, "unclaims": [], "category": "latticini", "kg": 4.0,
                "store": 0, "charity": 0, "carrier": -1}
        _make(spec, stores, charities, volunteers)
    seen = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        figures = health.health(Scope(period=PERIOD), now=BASE)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert figures["posted"] == 3 and figures["expired_lots"] == 3
    assert len(seen) == 3  # cells with the open windows and the volunteers; the minutes; the rota
    assert "donation" not in " ".join(seen[:2]).replace("donation_id", "")
