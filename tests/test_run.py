"""My run (issue 14): stops of the day, the exact ordering solver with time windows, manual order."""
import itertools
import re
from datetime import datetime, timedelta

import pytest

from app.extensions import db
from app.models import RunOrder
from app.services.logistics import run
from app.services.ops import rules
from tests.pickups_helpers import network, pick_up, post_donation, send  # noqa: F401

ROME = rules.ROME
# Tuesday 1 December 2026, 08:00 in Italy: the fixed clock of the solver tests.
START = datetime(2026, 12, 1, 8, 0, tzinfo=ROME)


def _hours(start, end):
    """Receiving hours of a charity for every weekday."""
    return [[d, start, end] for d in range(7)]


@pytest.fixture
def day_of_three(make_org, make_user):
    """3 pickups claimed by one volunteer, for 2 charities with receiving windows, at fixed coordinates."""
    volunteer = make_user("volunteer", name="Giulia Autista")
    x = make_org("charity", name="Ente X", lat=44.52, lon=11.34, receiving_hours=_hours("08:20", "08:40"))
    y = make_org("charity", name="Ente Y", lat=44.49, lon=11.45, receiving_hours=_hours("10:00", "13:00"))
    made = []
    for name, lat, lon, start, end, charity in (("Negozio A", 44.50, 11.34, "08:00", "09:00", x),
                                                 ("Negozio B", 44.49, 11.40, "10:00", "10:30", y),
                                                 ("Negozio C", 44.45, 11.34, "08:00", "12:00", y)):
        store = make_org("store", name=name, lat=lat, lon=lon)
        clerk = make_user("store", org=store)
        posted_at = START - timedelta(hours=2)
        begin = datetime.combine(START.date(), datetime.strptime(start, "%H:%M").time(), ROME)
        finish = datetime.combine(START.date(), datetime.strptime(end, "%H:%M").time(), ROME)
        donation = post_donation(clerk, charity, now=posted_at, start_in=begin - posted_at, length=finish - begin)
        assert send(volunteer, "donation.claim", now=posted_at, donation_id=donation.id)["status"] == "applied"
        made.append(donation)
    return volunteer, made


def _feasible(order, origin):
    run.schedule(order, origin, START)
    picked = set()
    for stop in order:
        if stop.kind == "delivery" and f"p:{stop.donation.id}" not in picked:
            return False
        picked.add(stop.key)
    return not any(stop.late for stop in order)


def test_the_run_lists_each_pickup_and_its_delivery(day_of_three):
    volunteer, donations = day_of_three
    stops = run.stops_for(volunteer, START.date(), START)
    assert sorted(s.key for s in stops) == sorted([f"p:{d.id}" for d in donations] + [f"d:{d.id}" for d in donations])
    delivery = next(s for s in stops if s.key == f"d:{donations[0].id}")
    assert delivery.org.name == "Ente X" and delivery.windows[0][0].astimezone(ROME).hour == 8


def test_solver_meets_every_window_and_drives_least(app, day_of_three):
    volunteer, _donations = day_of_three
    origin = volunteer.volunteer.base
    stops = run.stops_for(volunteer, START.date(), START)
    best = run.solve(stops, origin, START)
    assert _feasible(best, origin), [(s.key, s.eta, s.late) for s in best]
    # Exact: no feasible order of the 6 stops drives less (brute force over all 720).
    problem = run._Problem(stops, origin, START)
    index = {s.key: i for i, s in enumerate(stops)}

    def km(order):
        path = [-1] + [index[s.key] for s in order]
        return sum(problem.travel[a + 1][b + 1] for a, b in zip(path, path[1:]))

    feasible = [list(p) for p in itertools.permutations(stops) if _feasible(list(p), origin)]
    assert feasible and km(best) <= min(km(p) for p in feasible) + 1e-6
    # The problem is not trivial: ordering by window start alone misses a window.
    by_start = sorted(stops, key=lambda s: (s.windows[0][0], s.kind != "pickup", s.key))
    assert not _feasible(by_start, origin)


def test_solver_puts_each_delivery_after_its_pickup_even_when_nothing_can_be_on_time(app, day_of_three):
    volunteer, _donations = day_of_three
    late_start = START + timedelta(hours=5)  # every window but one is over
    stops = run.stops_for(volunteer, START.date(), late_start)
    order = run.solve(stops, volunteer.volunteer.base, late_start)
    keys = [s.key for s in order]
    for key in keys:
        if key.startswith("d:") and "p:" + key[2:] in keys:
            assert keys.index("p:" + key[2:]) < keys.index(key)


def test_a_donation_on_board_is_only_a_delivery(network):
    donation = network.post()
    pick_up(network, donation)
    stops = run.stops_for(network.volunteer)
    assert [s.key for s in stops] == [f"d:{donation.id}"]


def test_twelve_stops_are_solved_exactly_in_reasonable_time(app, make_org, make_user):
    import time as clock

    from app.models import Donation

    volunteer = make_user("volunteer")
    charity = make_org("charity", lat=44.5, lon=11.3)
    stops = []
    for i in range(6):
        store = make_org("store", lat=44.45 + i * 0.01, lon=11.30 + (i % 3) * 0.02)
        donation = Donation(id=1000 + i, store=store, recipient=charity, category="dispensa", description="x",
                            kg_declared=1, crates_count=1, window_start=START, window_end=START + timedelta(hours=6))
        stops.append(run.Stop(f"p:{donation.id}", "pickup", donation, store, [(START, START + timedelta(hours=6))]))
        stops.append(run.Stop(f"d:{donation.id}", "delivery", donation, charity, [(START, START + timedelta(hours=8))]))
    began = clock.perf_counter()
    order = run.solve(stops, volunteer.volunteer.base, START)
    assert clock.perf_counter() - began < 5
    assert len(order) == 12 and _feasible(order, volunteer.volunteer.base)


# --- the page and the manual order ----------------------------------------------------------

def test_run_page_shows_every_stop_with_what_the_driver_needs(client, login_as, network):
    network.store.phone, network.store.notes = "051 123456", "Suonare al retro"
    db.session.commit()
    donation = network.post(notes="Ingresso merci in via Irnerio")
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    login_as(network.volunteer)
    html = client.get("/volontario/giro").get_data(as_text=True)
    assert "Il mio giro" in html and "SuperFresco Mazzini" in html and "Emporio Solidale" in html
    assert "051 123456" in html and "Ingresso merci in via Irnerio" in html and "Suonare al retro" in html
    assert "google.com/maps" in html and "Da caricare" in html and "Da scaricare" in html


def test_a_manual_reorder_is_kept_after_reload(client, login_as, network):
    first, second = network.post(), network.post(start_in=timedelta(hours=2))
    for donation in (first, second):
        send(network.volunteer, "donation.claim", donation_id=donation.id)
    login_as(network.volunteer)
    before = [s.key for s in run.run_for(network.volunteer).stops]
    # The last stop that may go up one place: the suggested order depends on the hour (the charity's
    # receiving hours), and a delivery may not go before its own pickup.
    place = max(i for i in range(1, len(before)) if before[i] != "d:" + before[i - 1][2:])
    moved = before[place]
    response = client.post("/volontario/giro/ordine", data={"stop": moved, "direction": "up"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    db.session.expire_all()
    after = [s.key for s in run.run_for(network.volunteer).stops]
    assert after.index(moved) == place - 1 and run.run_for(network.volunteer).manual
    html = client.get("/volontario/giro").get_data(as_text=True)
    assert "Ordine scelto da te" in html
    assert html.index(f'id="stop-{after[0].replace(":", "-")}"') < html.index(f'id="stop-{after[1].replace(":", "-")}"')
    # Back to the suggestion.
    client.post("/volontario/giro/ordine", data={"reset": "1"})
    db.session.expire_all()
    assert not run.run_for(network.volunteer).manual


def test_the_page_offers_no_move_that_puts_a_delivery_before_its_pickup(client, login_as, network):
    donation = network.post()
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    login_as(network.volunteer)
    html = client.get("/volontario/giro").get_data(as_text=True)
    pickup = html[html.index(f'id="stop-p-{donation.id}"'):html.index(f'id="stop-d-{donation.id}"')]
    delivery = html[html.index(f'id="stop-d-{donation.id}"'):]
    assert re.search(r"<button[^>]*disabled[^>]*>↑", pickup) and re.search(r"<button[^>]*disabled[^>]*>↓", pickup)
    assert re.search(r"<button[^>]*disabled[^>]*>↑", delivery) and re.search(r"<button[^>]*disabled[^>]*>↓", delivery)
    second = network.post(start_in=timedelta(hours=2))
    send(network.volunteer, "donation.claim", donation_id=second.id)
    keys = [s.key for s in run.run_for(network.volunteer).stops]
    html = client.get("/volontario/giro").get_data(as_text=True)
    for i, key in enumerate(keys):
        block = html[html.index(f'id="stop-{key.replace(":", "-")}"'):]
        block = block[:block.index("</li>")]
        up_allowed = i > 0 and keys[i - 1] != "p:" + key[2:]
        down_allowed = i < len(keys) - 1 and keys[i + 1] != "d:" + key[2:]
        assert bool(re.search(r"<button[^>]*disabled[^>]*>↑", block)) is not up_allowed, (key, keys)
        assert bool(re.search(r"<button[^>]*disabled[^>]*>↓", block)) is not down_allowed, (key, keys)


def test_a_delivery_cannot_be_moved_before_its_pickup(network):
    donation = network.post()
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    today = rules.local_date(donation.window_start).isoformat()
    result = send(network.volunteer, "run.reorder", day=today, stops=[f"d:{donation.id}", f"p:{donation.id}"])
    assert result["code"] == "order_invalid"


@pytest.mark.parametrize("payload, code", [
    ({"day": "domani", "stops": []}, "invalid"),
    ({"day": "2020-01-01", "stops": []}, "invalid"),
    ({"stops": "p:1"}, "invalid"),
    ({"stops": ["x:1"]}, "invalid"),
    ({"stops": ["p:1", "p:1"]}, "invalid"),
    ({"stops": [{"key": "p:1"}]}, "invalid"),
])
def test_reorder_validates_its_fields(network, payload, code):
    fields = {"day": rules.local_date(datetime.now(ROME)).isoformat(), **payload}
    assert send(network.volunteer, "run.reorder", **fields)["code"] == code


def test_reorder_refuses_someone_elses_pickups(network):
    donation = network.post()
    send(network.volunteer2, "donation.claim", donation_id=donation.id)
    today = rules.local_date(datetime.now(ROME)).isoformat()
    assert send(network.volunteer, "run.reorder", day=today, stops=[f"p:{donation.id}"])["code"] == "not_allowed"
    assert send(network.clerk, "run.reorder", day=today, stops=[])["code"] == "not_allowed"
    assert db.session.query(RunOrder).count() == 0


@pytest.mark.parametrize("role, status", [("store", 403), ("charity", 403), ("coordinator", 200), (None, 302)])
def test_run_page_per_role(client, as_role, role, status):
    if role:
        as_role(role)
    assert client.get("/volontario/giro").status_code == status


def test_volunteer_home_links_the_run_when_pickups_are_claimed(client, login_as, network):
    donation = network.post()
    login_as(network.volunteer)
    assert 'href="/volontario/giro"' not in client.get("/volontario/").get_data(as_text=True)
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    assert 'href="/volontario/giro"' in client.get("/volontario/").get_data(as_text=True)
