"""The recipient proposal with partners' data: committed food, capacity, closures, "full until", needs, the shortlist."""
from collections import Counter
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Donation, Operation
from app.services.food import recipients
from tests.donations_support import clock, post, shop  # noqa: F401
from tests.partners_support import capacity, required, sign  # noqa: F401


@pytest.fixture
def network(make_org, make_user):
    """A store with a clerk and no charity yet (each test makes its own)."""
    store = make_org("store", name="Supermercato Centro", lat=44.4949, lon=11.3426)
    return type("Network", (), {"store": store, "clerk": make_user("store", org=store)})


def _charity(make_org, name, people, **fields):
    return make_org("charity", name=name, people_served_week=people, **fields)


def _post_ten(network, clock, kg=10):
    """Ten donations posted in the same hour, 6 minutes apart; returns {recipient id: count}."""
    import app.services.ops.core as core

    counts = Counter()
    for i in range(10):
        at = clock.now + timedelta(minutes=6 * i)
        core.utcnow = lambda at=at: at  # the pinned clock moves on (undone by the clock fixture)
        result = post(network.clerk, clock, kg=kg, crates=1, window_start=clock.at(11).isoformat(),
                      window_end=clock.at(14).isoformat())
        assert result["status"] == "applied", result
        counts[result["recipient_id"]] += 1
    return counts


def test_ten_donations_in_one_hour_spread_in_proportion_to_people_served(make_org, network, clock):
    small = _charity(make_org, "Mensa piccola", 100)
    middle = _charity(make_org, "Emporio medio", 200)
    large = _charity(make_org, "Caritas grande", 200)
    counts = _post_ten(network, clock)
    assert counts == {small.id: 2, middle.id: 4, large.id: 4}


def test_the_spread_stays_within_each_charitys_daily_capacity(make_org, network, clock, capacity):
    big_but_small_cellar = _charity(make_org, "Banco grande, magazzino piccolo", 1000)
    capacity(big_but_small_cellar, kg_day=20)
    first = _charity(make_org, "Primo ente", 100)
    second = _charity(make_org, "Secondo ente", 100)
    counts = _post_ten(network, clock)
    assert counts[big_but_small_cellar.id] == 2  # 20 kg a day: exactly two donations of 10 kg
    assert counts[first.id] == counts[second.id] == 4
    day_kg = sum(d.kg_declared for d in db.session.query(Donation).filter_by(recipient_id=big_but_small_cellar.id))
    assert day_kg <= 20


def test_a_charity_marked_full_or_closed_that_day_is_never_proposed(make_org, network, clock, capacity):
    full = _charity(make_org, "Ente pieno", 1000)
    capacity(full, full_until=clock.today)
    closed = _charity(make_org, "Ente in ferie", 1000)
    capacity(closed, closures=[{"from": (clock.today - timedelta(days=3)).isoformat(),
                                "to": (clock.today + timedelta(days=3)).isoformat(), "reason": "ferie"}])
    open_ = _charity(make_org, "Ente aperto", 10)
    counts = _post_ten(network, clock)
    assert counts == {open_.id: 10}
    refused = post(network.clerk, clock, recipient_id=full.id)
    assert refused["code"] == "recipient_not_eligible" and "pieno fino al" in refused["message"]
    refused = post(network.clerk, clock, recipient_id=closed.id)
    assert "chiuso dal" in refused["message"]


def test_full_until_yesterday_and_a_closure_next_month_do_not_block(make_org, network, clock, capacity):
    ente = _charity(make_org, "Ente", 100)
    capacity(ente, full_until=clock.today - timedelta(days=1),
             closures=[{"from": (clock.today + timedelta(days=30)).isoformat(),
                        "to": (clock.today + timedelta(days=40)).isoformat()}])
    assert post(network.clerk, clock)["recipient_id"] == ente.id


def test_weekly_capacity_counts_the_whole_week(make_org, network, clock, capacity):
    ente = _charity(make_org, "Ente settimanale", 1000)
    capacity(ente, kg_week=25)
    days = [0, 1, 2]  # three days of the same week at most (the clock's day may be a Sunday)
    monday = clock.today - timedelta(days=clock.today.weekday())
    days = [(monday - clock.today).days + d + 7 for d in days]  # next week, Monday to Wednesday
    results = [post(network.clerk, clock, kg=10, window_start=clock.at(11, days=d).isoformat(),
                    window_end=clock.at(14, days=d).isoformat(), date=(clock.today + timedelta(days=20)).isoformat()
                    )["recipient_id"] for d in days]
    assert results == [ente.id, ente.id, None]  # 30 kg would pass the 25 kg of that week: nobody is proposed


def test_cold_crates_limit_the_cold_food(make_org, network, clock, capacity):
    ente = _charity(make_org, "Frigo piccolo", 1000)
    capacity(ente, cold_crates=4)
    other = _charity(make_org, "Frigo grande", 1, lat=46.0, lon=13.0)
    assert post(network.clerk, clock, crates=3)["recipient_id"] == ente.id  # latticini: cold
    assert post(network.clerk, clock, crates=3)["recipient_id"] == other.id
    assert post(network.clerk, clock, crates=1, category="dispensa", storage="ambient", date_kind="none",
                date=None, allergens=[])["recipient_id"] == ente.id  # ambient food needs no fridge


def test_food_posted_and_claimed_counts_before_pickup(make_org, network, clock):
    first = _charity(make_org, "Primo", 100)
    second = _charity(make_org, "Secondo", 100, lat=44.6, lon=11.5)
    assert post(network.clerk, clock)["recipient_id"] == first.id
    assert post(network.clerk, clock)["recipient_id"] == second.id  # the first is committed already
    committed = recipients.committed_kg(clock.now)
    assert committed == {first.id: 12.5, second.id: 12.5}


def test_the_needs_board_bends_the_order(make_org, network, clock, capacity):
    near = _charity(make_org, "Vicino, ha troppi latticini", 100)
    capacity(near, needs_less=["latticini"])
    far = _charity(make_org, "Lontano, vuole latticini", 100, lat=44.7, lon=11.7)
    capacity(far, needs_more=["latticini"])
    assert post(network.clerk, clock)["recipient_id"] == far.id
    # A category nobody mentions goes by load and distance as before.
    assert post(network.clerk, clock, category="dispensa", storage="ambient", date_kind="none", date=None,
                allergens=[])["recipient_id"] == near.id


def test_the_proposal_keeps_the_three_best_candidates_and_their_figures(make_org, network, clock, client, login_as,
                                                                          make_user):
    for i, people in enumerate((100, 200, 300, 400)):
        _charity(make_org, f"Ente {i}", people, lat=44.49 + i / 100, lon=11.34)
    result = post(network.clerk, clock)
    names = [c["name"] for c in result["candidates"]]
    assert len(names) == 3 and result["recipient_name"] == names[0]
    assert set(result["candidates"][0]) >= {"kg_recent", "kg_committed", "people", "load", "distance_km"}
    stored = db.session.query(Operation).filter_by(kind="donation.post").one().result
    assert stored["candidates"] == result["candidates"]
    login_as(make_user("coordinator"))
    body = client.get(f"/coordinamento/ritiri/{result['donation_id']}").get_data(as_text=True)
    assert "Perché quest" in body and all(name in body for name in names)


def test_editing_a_donation_does_not_count_it_twice_against_capacity(make_org, network, clock, capacity):
    from app.services import ops

    ente = _charity(make_org, "Ente", 100)
    capacity(ente, kg_day=15)
    posted = post(network.clerk, clock, kg=12)
    assert posted["recipient_id"] == ente.id
    edited = ops.apply({"op_id": ops.new_op_id(), "kind": "donation.edit", "donation_id": posted["donation_id"],
                        "kg": 14}, network.clerk)
    assert edited["status"] == "applied" and edited["recipient_id"] == ente.id
