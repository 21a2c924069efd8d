"""The recipient proposal: hard rules (category, cold storage, hours, active), then load, then distance."""
from datetime import datetime, timedelta, timezone

import pytest

from app.extensions import db
from app.models import Donation
from app.services.food import recipients
from app.services.food.donations import ROME

MONDAY = datetime(2026, 1, 12).date()  # a Monday in winter (CET, UTC+1)
ALL_WEEK = [[d, "08:00", "20:00"] for d in range(7)]


def rome(day, hours, minutes=0):
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ROME)


@pytest.fixture
def store(make_org):
    """A store in the centre of Bologna."""
    return make_org("store", name="Supermercato Centro", lat=44.4949, lon=11.3426)


@pytest.fixture
def charity(make_org):
    """Factory for charities; by default they accept everything, with cold storage, open all week."""

    def make(name, **fields):
        fields.setdefault("receiving_hours", ALL_WEEK)
        return make_org("charity", name=name, **fields)

    return make


@pytest.fixture
def received(store):
    """Record that `charity` received `kg` some days ago (a donation in `status`)."""

    def give(charity, kg, days_ago=3, status="received", weighed=None):
        when = rome(MONDAY, 9) - timedelta(days=days_ago)
        db.session.add(Donation(store_id=store.id, recipient_id=charity.id, status=status, category="dispensa",
                                storage="ambient", description="Pasta", kg_declared=kg, crates_count=1,
                                window_start=when, window_end=when + timedelta(hours=2), posted_at=when,
                                picked_up_at=when if status != "claimed" else None, received_kg=weighed))
        db.session.commit()

    return give


def propose(store, category="dispensa", needs_cold=False, start=None, end=None):
    start = start or rome(MONDAY, 10)
    end = end or rome(MONDAY, 13)
    return recipients.propose(store, category, needs_cold, start, end, now=start)


def names(store, **kwargs):
    args = {"category": "dispensa", "needs_cold": False, "start": rome(MONDAY, 10), "end": rome(MONDAY, 13)}
    args.update(kwargs)
    return [c.org.name for c in recipients.candidates(store, args["category"], args["needs_cold"], args["start"],
                                                      args["end"], now=args["start"])]


def test_only_charities_accepting_the_category(app, store, charity):
    charity("Mensa vegetariana", categories_accepted=["frutta_verdura", "pane_forno"])
    charity("Caritas", categories_accepted=["carne", "frutta_verdura"])
    assert propose(store, category="carne").name == "Caritas"
    assert names(store, category="pesce") == []


def test_cold_food_only_to_charities_with_cold_storage(app, store, charity):
    charity("Parrocchia", cold_storage=False, lat=44.4949, lon=11.3426)  # nearest
    charity("Emporio con celle", cold_storage=True, lat=44.55, lon=11.40)
    assert propose(store, category="latticini", needs_cold=True).name == "Emporio con celle"
    assert propose(store, category="dispensa", needs_cold=False).name == "Parrocchia"


@pytest.mark.parametrize("hours,window,eligible", [
    pytest.param([[0, "15:00", "18:00"]], (10, 13), True, id="open later the same day"),
    pytest.param([[0, "09:00", "11:00"]], (10, 13), True, id="open during the window"),
    pytest.param([[0, "07:00", "10:00"]], (10, 13), False, id="closes as the window opens"),
    pytest.param([[1, "09:00", "12:00"]], (19, 21), True, id="next morning, within the grace hours"),
    pytest.param([[1, "18:00", "20:00"]], (10, 13), False, id="next evening, beyond the grace hours"),
    pytest.param([[6, "08:00", "20:00"]], (10, 13), False, id="open only on Sunday"),
    pytest.param([[0, "20:00", "24:00"]], (10, 13), True, id="open until midnight"),
    pytest.param([], (10, 13), False, id="no receiving hours"),
])
def test_receiving_hours_around_the_window(app, store, charity, hours, window, eligible):
    charity("Ente", receiving_hours=hours)
    result = names(store, start=rome(MONDAY, window[0]), end=rome(MONDAY, window[1]))
    assert (result == ["Ente"]) is eligible


def test_receiving_hours_are_rome_local_time(app, monkeypatch, store, charity):
    """08:30 in Rome is 07:30 UTC in January: a 08:00-09:00 slot must match."""
    monkeypatch.setitem(app.config, "RECEIVING_GRACE_HOURS", 0)
    charity("Ente del mattino", receiving_hours=[[0, "08:00", "09:00"]])
    start = datetime(2026, 1, 12, 7, 30, tzinfo=timezone.utc)
    assert names(store, start=start, end=start + timedelta(minutes=20)) == ["Ente del mattino"]
    late = datetime(2026, 1, 12, 8, 10, tzinfo=timezone.utc)  # 09:10 in Rome: closed
    assert names(store, start=late, end=late + timedelta(minutes=20)) == []


def test_the_charity_that_received_least_per_person_comes_first(app, store, charity, received):
    big = charity("Caritas grande", people_served_week=400, lat=44.60, lon=11.50)  # far away
    small = charity("Emporio piccolo", people_served_week=20, lat=44.4949, lon=11.3426)  # next door
    received(big, 200)  # 0.5 kg per person
    received(small, 40)  # 2 kg per person
    assert propose(store).name == "Caritas grande"
    received(big, 800)  # now 2.5 kg per person
    assert propose(store).name == "Emporio piccolo"


def test_weighed_kg_count_over_declared(app, store, charity, received):
    first = charity("Primo", people_served_week=100)
    second = charity("Secondo", people_served_week=100)
    received(first, 100, weighed=10)  # declared 100, weighed 10
    received(second, 50)
    assert propose(store).name == "Primo"


def test_only_recent_food_on_its_way_or_received_counts(app, store, charity, received):
    busy = charity("Ente con storia", people_served_week=100, lat=44.4949, lon=11.3426)
    charity("Ente lontano", people_served_week=100, lat=44.70, lon=11.70)
    received(busy, 500, days_ago=45)  # older than 30 days
    received(busy, 500, status="claimed")  # not yet picked up
    received(busy, 500, status="cancelled")
    assert propose(store).name == "Ente con storia"
    received(busy, 5, status="picked_up")
    assert propose(store).name == "Ente lontano"


def test_equal_load_goes_to_the_nearest(app, store, charity):
    charity("Lontano", lat=44.3533, lon=11.7141)  # Imola
    charity("Vicino", lat=44.50, lon=11.35)
    charity("Senza coordinate", lat=None, lon=None)
    assert names(store) == ["Vicino", "Lontano", "Senza coordinate"]


def test_inactive_charities_are_never_proposed(app, store, charity):
    charity("Chiuso", active=False, lat=44.4949, lon=11.3426)
    charity("Aperto", lat=44.60, lon=11.50)
    assert names(store) == ["Aperto"]


def test_ineligibility_says_why_in_italian(app, store, charity):
    ente = charity("Parrocchia", cold_storage=False, categories_accepted=["pane_forno"],
                   receiving_hours=[[6, "08:00", "09:00"]])
    reasons = recipients.ineligibility(ente, "latticini", True, rome(MONDAY, 10), rome(MONDAY, 13))
    assert len(reasons) == 3
    assert any("non accetta" in r for r in reasons) and any("freddo" in r for r in reasons)
    assert any("non riceve" in r for r in reasons)
