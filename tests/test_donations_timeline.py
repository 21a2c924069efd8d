"""The custody timeline read from the operation log, and its reusable fragment."""
from datetime import timedelta

from flask import render_template

from app.extensions import db
from app.models import Donation
from app.services import ops
from app.services.food.timeline import timeline
from tests.donations_support import clock, op, post, shop, unescape  # noqa: F401


def test_timeline_lists_applied_operations_in_the_order_they_happened(app, shop, clock):
    posted = post(shop.clerk, clock)
    donation_id = posted["donation_id"]
    ops.apply(op("donation.edit", donation_id=donation_id, kg=20), shop.clerk)
    ops.apply(op("donation.edit", donation_id=donation_id, kg=-1), shop.clerk)  # refused: not in the trail
    ops.apply(op("donation.cancel", donation_id=donation_id, reason="Merce venduta"), shop.clerk)
    steps = timeline(db.session.get(Donation, donation_id))
    assert [s.kind for s in steps] == ["donation.post", "donation.edit", "donation.cancel"]
    assert [s.title for s in steps] == ["Donazione pubblicata", "Donazione modificata", "Donazione annullata"]
    assert steps[0].who == "Carla Cassiera" and "12,5 kg in 3 cassette" in steps[0].details
    assert "Cambiati: peso" in steps[1].details[0]
    assert steps[2].details == ["Motivo: Merce venduta"]
    assert not any(s.sent_late for s in steps)


def test_an_action_sent_later_says_so(app, shop, clock):
    posted = post(shop.clerk, clock, occurred_at=(clock.now - timedelta(minutes=60)).isoformat())
    ops.apply(op("donation.cancel", donation_id=posted["donation_id"], reason="Cella guasta",
                 occurred_at=(clock.now - timedelta(minutes=40)).isoformat()), shop.clerk)
    ops.apply(op("donation.edit", donation_id=posted["donation_id"], kg=3), shop.clerk)  # refused: cancelled
    steps = timeline(db.session.get(Donation, posted["donation_id"]))
    assert [s.kind for s in steps] == ["donation.post", "donation.cancel"]
    assert all(s.sent_late and s.occurred_at < s.received_at for s in steps)
    with app.test_request_context():
        html = unescape(render_template("donations/_timeline.html", timeline=steps))
    assert html.count("Registrata senza rete, inviata alle") == 2


def test_deleted_users_appear_by_pseudonym(app, shop, clock):
    posted = post(shop.clerk, clock)
    shop.clerk.deleted_at = clock.now
    db.session.commit()
    step = timeline(db.session.get(Donation, posted["donation_id"]))[0]
    assert step.who == shop.clerk.pseudonym


def test_fragment_renders_alone_for_other_pages(app, shop, clock):
    posted = post(shop.clerk, clock)
    with app.test_request_context():
        html = unescape(render_template("donations/_timeline.html",
                                        timeline=timeline(db.session.get(Donation, posted["donation_id"]))))
    assert html.lstrip().startswith('<ol class="timeline">') and "Donazione pubblicata" in html
    assert "Carla Cassiera" in html


def test_crate_scans_name_the_crate(app, shop, clock, make_user):
    from app.models import Operation

    posted = post(shop.clerk, clock)
    driver = make_user("volunteer", name="Dario Autista")
    second = posted["crates"][1]["token"]
    db.session.add(Operation(op_id=ops.new_op_id(), kind="crate.scan", donation_id=posted["donation_id"],
                             user_id=driver.id, source="offline", payload={"token": second.lower(), "stage": "pickup",
                                                                           "temperature_c": 3.5},
                             occurred_at=clock.now, received_at=clock.now + timedelta(minutes=25),
                             status="applied", result={"staged": True}))
    db.session.commit()
    scan = timeline(db.session.get(Donation, posted["donation_id"]))[-1]
    assert scan.title == "Cassetta 2 scansionata al ritiro" and scan.who == "Dario Autista"
    assert scan.sent_late and "Temperatura: 3,5 °C" in scan.details
