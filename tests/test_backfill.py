"""Entering a pickup after the fact (issue 14): the volunteer named in the DDT and timeline, the entry logged."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Operation, TransportDocument
from app.models.base import utcnow
from app.services import ops
from app.services.food.timeline import timeline
from app.services.logistics import backfill
from app.services.ops import rules
from tests.pickups_helpers import network, post_donation, reload, send  # noqa: F401


def _yesterday(net, **fields):
    """A donation whose window was yesterday evening (nobody used the app)."""
    posted = utcnow() - timedelta(days=1, hours=3)
    return post_donation(net.clerk, net.charity, now=posted, start_in=timedelta(hours=1), **fields), posted


def _form(donation, volunteer, when, **extra):
    return {"op_id": ops.new_op_id(), "donation_id": donation.id, "volunteer_id": volunteer.id,
            "occurred_at": when.astimezone(rules.ROME).strftime("%Y-%m-%dT%H:%M"), **extra}


def test_a_backfilled_pickup_names_the_volunteer_and_logs_who_entered_it(client, login_as, network):
    donation, posted = _yesterday(network)
    when = posted + timedelta(hours=1, minutes=30)
    login_as(network.coordinator)
    response = client.post("/coordinamento/ritiri/registra", data=_form(donation, network.volunteer, when))
    assert response.status_code == 302, response.get_data(as_text=True)
    donation = reload(donation)
    assert (donation.status, donation.claimed_by_id, donation.holder_id) == (
        "picked_up", network.volunteer.id, network.volunteer.id)
    assert abs(donation.picked_up_at - when.replace(second=0, microsecond=0)) < timedelta(seconds=1)
    # The log: entered by the coordinator, done by the volunteer, one row per step.
    rows = db.session.scalars(db.select(Operation).where(Operation.donation_id == donation.id,
                                                         Operation.source == "backfill")).all()
    assert {r.kind for r in rows} == {"donation.claim", "crate.scan", "donation.pickup"}
    assert {(r.user_id, r.on_behalf_of_id) for r in rows} == {(network.coordinator.id, network.volunteer.id)}
    # The DDT names the carrier and who entered it.
    document = db.session.scalar(db.select(TransportDocument).where(TransportDocument.donation_id == donation.id))
    assert document.carrier_id == network.volunteer.id
    assert document.snapshot["carrier"]["name"] == "Giulia Autista"
    assert document.snapshot["backfilled_by"]["name"] == "Laura Coordinatrice"
    html = client.get(f"/documenti/ddt/{document.id}").get_data(as_text=True)
    assert "Giulia Autista" in html and "registrato dopo da Laura Coordinatrice" in html
    # The timeline names the volunteer, and says who typed it in.
    pickup = next(e for e in timeline(donation) if e.kind == "donation.pickup")
    assert pickup.who == "Giulia Autista"
    assert any("Laura Coordinatrice" in line for line in pickup.details)


def test_the_same_form_sent_twice_records_the_pickup_once(client, login_as, network):
    donation, posted = _yesterday(network)
    form = _form(donation, network.volunteer, posted + timedelta(hours=2))
    login_as(network.coordinator)
    client.post("/coordinamento/ritiri/registra", data=form)
    again = client.post("/coordinamento/ritiri/registra", data=form)
    assert again.status_code in (302, 422)
    assert db.session.scalar(db.select(db.func.count()).select_from(Operation).where(
        Operation.kind == "donation.pickup", Operation.status == "applied")) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(TransportDocument)) == 1


def test_a_partial_backfill_leaves_the_other_crates_at_the_store(network):
    donation, posted = _yesterday(network, crates=3)
    result = backfill.record_pickup(network.coordinator, donation, network.volunteer, posted + timedelta(hours=2),
                                    op_id=ops.new_op_id(), crates=2)
    assert result["status"] == "applied" and (result["crates_taken"], result["crates_left"]) == (2, 1)


@pytest.mark.parametrize("change, code", [
    ({"occurred_at": ""}, "invalid"),
    ({"occurred_at": "ieri"}, "invalid"),
    ({"crates": "9"}, "invalid"),
    ({"volunteer_id": "0"}, "invalid"),
])
def test_backfill_form_refuses_bad_input_with_a_message(client, login_as, network, change, code):
    donation, posted = _yesterday(network)
    login_as(network.coordinator)
    form = {**_form(donation, network.volunteer, posted + timedelta(hours=2)), **change}
    response = client.post("/coordinamento/ritiri/registra", data=form)
    assert response.status_code == 422 and 'role="alert"' in response.get_data(as_text=True)
    assert reload(donation).status == "posted"


def test_backfill_in_the_future_is_refused(network):
    donation, _posted = _yesterday(network)
    result = backfill.record_pickup(network.coordinator, donation, network.volunteer, utcnow() + timedelta(hours=1),
                                    op_id=ops.new_op_id())
    assert result["code"] == "implausible_time"


def test_cold_food_backfill_needs_the_temperature(network):
    donation, posted = _yesterday(network, category="latticini", storage="chilled", description="Yogurt")
    result = backfill.record_pickup(network.coordinator, donation, network.volunteer, posted + timedelta(hours=2),
                                    op_id=ops.new_op_id())
    assert result["code"] == "temperature_required"


def test_a_donation_claimed_by_someone_else_is_not_backfilled_for_another(network):
    donation = network.post()
    send(network.volunteer2, "donation.claim", donation_id=donation.id)
    result = backfill.record_pickup(network.coordinator, donation, network.volunteer, utcnow(), op_id=ops.new_op_id())
    assert result["code"] == "already_claimed" and reload(donation).claimed_by_id == network.volunteer2.id


def test_only_a_coordinator_may_act_on_behalf_of_a_volunteer(network):
    donation = network.post()
    raw = {"op_id": ops.new_op_id(), "kind": "donation.claim", "donation_id": donation.id}
    assert ops.apply(raw, network.volunteer2, backfill=True, on_behalf_of=network.volunteer)["code"] == "not_allowed"
    assert ops.apply(raw, network.coordinator, on_behalf_of=network.volunteer)["code"] == "not_allowed"
    assert reload(donation).status == "posted"


@pytest.mark.parametrize("role, status", [("store", 403), ("charity", 403), ("volunteer", 403), ("coordinator", 200)])
def test_backfill_page_per_role(client, as_role, role, status):
    as_role(role)
    assert client.get("/coordinamento/ritiri/registra").status_code == status
    assert client.post("/coordinamento/ritiri/registra", data={}).status_code == (422 if status == 200 else 403)
