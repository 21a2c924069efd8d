"""The cold-chain clock (issue 14): driver warned and coordinator flagged once past the limit; too-warm receipt."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Flag, Notification, Operation
from app.models.base import utcnow
from app.services.logistics import coldchain
from tests.pickups_helpers import network, pick_up, post_donation, reload, send, tokens  # noqa: F401


def _chilled_on_board(net, picked_up_at, storage="chilled", category="latticini", temperature=3.5):
    """A chilled donation picked up at `picked_up_at` (a fixed clock: the operations' own time)."""
    donation = post_donation(net.clerk, net.charity, now=picked_up_at - timedelta(hours=1),
                             start_in=timedelta(minutes=30), category=category, storage=storage,
                             description="Yogurt", date_kind="none")
    at = picked_up_at
    assert send(net.volunteer, "donation.claim", now=at - timedelta(minutes=20), donation_id=donation.id)["status"] == "applied"
    for token in tokens(donation):
        send(net.volunteer, "crate.scan", now=at, token=token, stage="pickup")
    result = send(net.volunteer, "donation.pickup", now=at, donation_id=donation.id, temperature_c=temperature)
    assert result["status"] == "applied", result
    return reload(donation)


def _cold_flags():
    return db.session.scalars(db.select(Flag).where(Flag.kind == "cold_chain")).all()


def test_clock_counts_from_the_pickup_with_the_configured_limit(app, network, monkeypatch):
    now = utcnow()
    donation = _chilled_on_board(network, now - timedelta(minutes=90))
    clock = coldchain.clock(donation, now)
    assert (clock.elapsed_minutes, clock.limit_minutes, clock.over, clock.temperature_c) == (90, 120, False, 3.5)
    monkeypatch.setitem(app.config, "COLD_CHAIN_LIMIT_HOURS", {"chilled": 1, "frozen": 4})
    assert coldchain.clock(donation, now).over


def test_ambient_food_has_no_clock(network):
    donation = network.post()
    pick_up(network, donation)
    assert coldchain.clock(reload(donation)) is None


def test_past_the_limit_one_flag_for_the_coordinator_however_often_the_job_runs(network):
    now = utcnow()
    donation = _chilled_on_board(network, now - timedelta(hours=2, minutes=5))
    assert coldchain.flag_overdue(now=now - timedelta(minutes=10)) == 0  # 1 h 55 min: not yet
    assert _cold_flags() == []
    assert coldchain.flag_overdue(now=now) == 1
    assert coldchain.flag_overdue(now=now + timedelta(minutes=1)) == 0
    assert coldchain.flag_overdue(now=now + timedelta(hours=3)) == 0
    flags = _cold_flags()
    assert len(flags) == 1 and flags[0].donation_id == donation.id and "Catena del freddo" in flags[0].message
    op = db.session.scalar(db.select(Operation).where(Operation.kind == "donation.cold_chain_overdue"))
    assert op.op_id == f"coldchain-{donation.id}" and op.user_id is None and op.source == "system"
    # The driver is told at once (urgent), and the coordinators.
    told = {(n.user_id, n.urgent) for n in db.session.scalars(db.select(Notification).where(
        Notification.kind == "cold_chain"))}
    assert told == {(network.volunteer.id, True), (network.coordinator.id, False)}


def test_frozen_food_uses_its_own_limit(network):
    now = utcnow()
    _chilled_on_board(network, now - timedelta(hours=3), storage="frozen", category="surgelati", temperature=-19)
    assert coldchain.flag_overdue(now=now) == 0
    assert coldchain.flag_overdue(now=now + timedelta(hours=1, minutes=1)) == 1


def test_delivered_food_is_not_flagged(network):
    now = utcnow()
    donation = _chilled_on_board(network, now - timedelta(hours=3))
    send(network.volunteer, "donation.deliver", donation_id=donation.id)
    assert coldchain.flag_overdue(now=now) == 0


def test_two_workers_deciding_at_once_raise_one_flag(network):
    """The same decision applied twice (the second worker's copy) is a duplicate."""
    from app.services.ops import apply_system

    now = utcnow()
    donation = _chilled_on_board(network, now - timedelta(hours=3))
    first = apply_system("donation.cold_chain_overdue", {"donation_id": donation.id}, now=now,
                         op_id=f"coldchain-{donation.id}")
    second = apply_system("donation.cold_chain_overdue", {"donation_id": donation.id}, now=now,
                          op_id=f"coldchain-{donation.id}")
    assert (first["status"], second["status"]) == ("applied", "duplicate")
    assert len(_cold_flags()) == 1


def test_users_cannot_raise_the_cold_chain_flag(network):
    now = utcnow()
    donation = _chilled_on_board(network, now - timedelta(hours=3))
    assert send(network.coordinator, "donation.cold_chain_overdue", donation_id=donation.id)["code"] == "not_allowed"


def test_driver_page_warns_past_the_limit(client, login_as, network):
    now = utcnow()
    donation = _chilled_on_board(network, now - timedelta(hours=2, minutes=30))
    login_as(network.volunteer)
    html = client.get(f"/volontario/ritiri/{donation.id}").get_data(as_text=True)
    assert "oltre il limite di 2 h 00 min" in html and 'role="alert"' in html
    run_html = client.get("/volontario/giro").get_data(as_text=True)
    assert "oltre il limite" in run_html


def test_driver_page_shows_the_time_left_before_the_limit(client, login_as, network):
    donation = _chilled_on_board(network, utcnow() - timedelta(minutes=30))
    login_as(network.volunteer)
    html = client.get(f"/volontario/ritiri/{donation.id}").get_data(as_text=True)
    assert "A bordo da 30 min" in html and "Temperatura al ritiro: 3,5 °C" in html


# --- the temperature at receipt -------------------------------------------------------------

def test_a_too_warm_reading_at_receipt_is_refused_and_flagged(network):
    donation = _chilled_on_board(network, utcnow() - timedelta(minutes=30))
    result = send(network.charity_staff, "donation.receive", donation_id=donation.id, temperature_c="15,5")
    assert result["code"] == "too_warm" and result["limit_c"] == 14
    assert reload(donation).status == "picked_up"
    assert [f.kind for f in db.session.scalars(db.select(Flag))] == ["too_warm_receipt"]
    notes = db.session.scalars(db.select(Notification).where(Notification.kind == "too_warm")).all()
    assert [n.user_id for n in notes] == [network.coordinator.id] and "arrivo" in notes[0].title


def test_a_cold_enough_reading_at_receipt_is_kept(network):
    donation = _chilled_on_board(network, utcnow() - timedelta(minutes=30))
    result = send(network.charity_staff, "donation.receive", donation_id=donation.id, temperature_c="4")
    assert result["status"] == "applied"
    assert reload(donation).received_temperature_c == 4


@pytest.mark.parametrize("reading", ["caldo", "99"])
def test_an_unreadable_receipt_temperature_is_invalid(network, reading):
    donation = _chilled_on_board(network, utcnow() - timedelta(minutes=30))
    assert send(network.charity_staff, "donation.receive", donation_id=donation.id,
                temperature_c=reading)["code"] == "invalid"


def test_the_charity_form_asks_the_temperature_of_cold_food_and_shows_the_refusal(client, login_as, network):
    donation = _chilled_on_board(network, utcnow() - timedelta(minutes=30))
    login_as(network.charity_staff)
    html = client.get(f"/ente/consegne/{donation.id}").get_data(as_text=True)
    assert 'name="temperature_c"' in html
    response = client.post(f"/ente/consegne/{donation.id}/ricevuta", data={"temperature_c": "20"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 409 and "Troppo caldo all&#39;arrivo" in response.get_data(as_text=True)
