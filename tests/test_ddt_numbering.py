"""DDT numbers: progressive per donor per year (DPR 472/96), issued in the pickup's transaction, never shared."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.extensions import db, write_transaction
from app.models import DocumentCounter, TransportDocument, User
from app.services import ops
from app.services.impact import documents
from tests.impact_helpers import issue_ddt, make_donation, rome
from tests.pickups_helpers import network, pick_up, reload, send, tokens  # noqa: F401

PICKUPS = 8


def _picked(store, charity, volunteer, at, **fields):
    values = {"status": "picked_up", "category": "dispensa", "kg": 4, "value_eur": 10.0,
              "posted": at, "window": (at, at), "claimed": at, "claimer": volunteer, "picked": at}
    values.update(fields)
    return make_donation(store, charity, **values)


def _ddts():
    return db.session.scalars(db.select(TransportDocument).order_by(TransportDocument.id)).all()


def test_numbers_run_per_store_and_restart_each_rome_year(app, make_org, make_user):
    s1, s2, charity = make_org("store"), make_org("store"), make_org("charity")
    v = make_user("volunteer")
    codes = []
    # 23:30 on 31 December in Rome is still 2025; 00:30 on 1 January is 2026 (though 2025 in UTC).
    for store, at in ((s1, rome(2025, 12, 30, 10)), (s2, rome(2025, 12, 30, 11)), (s1, rome(2025, 12, 31, 23, 30)),
                      (s1, rome(2026, 1, 1, 0, 30)), (s2, rome(2026, 1, 2, 9)), (s1, rome(2026, 1, 2, 10))):
        codes.append((store.name, issue_ddt(_picked(store, charity, v, at), v).code))
    assert codes == [(s1.name, "1/2025"), (s2.name, "1/2025"), (s1.name, "2/2025"),
                     (s1.name, "1/2026"), (s2.name, "1/2026"), (s1.name, "2/2026")]
    counters = {(c.store_id, c.year): c.last_number for c in db.session.scalars(db.select(DocumentCounter))}
    assert counters == {(s1.id, 2025): 2, (s2.id, 2025): 1, (s1.id, 2026): 2, (s2.id, 2026): 1}


def test_the_database_refuses_a_duplicate_number(app, make_org, make_user):
    store, charity, v = make_org("store"), make_org("charity"), make_user("volunteer")
    first = issue_ddt(_picked(store, charity, v, rome(2025, 5, 5, 10)), v)
    other = _picked(store, charity, v, rome(2025, 5, 5, 11))
    db.session.add(TransportDocument(donation_id=other.id, store_id=store.id, year=2025, number=first.number,
                                     issued_at=other.picked_up_at, kg=1, value_eur=0, snapshot={}))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_real_pickup_issues_its_ddt_once(network):
    first, second = network.post(), network.post(kg=8, crates=2)
    assert pick_up(network, first)["status"] == "applied"
    assert pick_up(network, second, volunteer=network.volunteer2)["status"] == "applied"
    ddts = _ddts()
    assert [(d.donation_id, d.number) for d in ddts] == [(first.id, 1), (second.id, 2)]
    ddt = ddts[0]
    assert ddt.carrier_id == network.volunteer.id and ddt.snapshot["carrier"]["name"] == "Giulia Autista"
    assert ddt.snapshot["donor"]["name"] == "SuperFresco Mazzini" and ddt.snapshot["lines"][0]["crates"] == 3
    assert ddt.issued_at == reload(first).picked_up_at
    # Delivery and receipt leave the DDT alone and mark it received.
    assert send(network.volunteer, "donation.deliver", donation_id=first.id)["status"] == "applied"
    assert documents.receipt(ddt) is None
    assert send(network.charity_staff, "donation.receive", donation_id=first.id,
                received_kg="11,5")["status"] == "applied"
    assert len(_ddts()) == 2
    db.session.expire_all()
    signed = documents.receipt(db.session.get(TransportDocument, ddt.id))
    assert signed["kg"] == 11.5 and signed["by"] == network.charity_staff.name


def test_a_partial_pickup_lists_only_the_crates_taken(network):
    donation = network.post(kg=12, crates=3, value_eur=30)
    assert pick_up(network, donation, scan=2)["status"] == "applied"
    [ddt] = _ddts()
    assert ddt.snapshot["lines"][0]["crates"] == 2 and ddt.kg == pytest.approx(8.0)
    assert ddt.value_eur == pytest.approx(20.0)


def test_a_scan_that_moves_custody_issues_the_ddt_for_the_whole_lot(network):
    donation = network.post(kg=9, crates=3)  # nobody claimed it: the scan is a fact
    result = send(network.volunteer2, "crate.scan", token=tokens(donation)[0], stage="pickup")
    assert result["status"] == "applied" and reload(donation).status == "picked_up"
    [ddt] = _ddts()
    assert ddt.carrier_id == network.volunteer2.id and ddt.snapshot["lines"][0]["crates"] == 3
    assert ddt.kg == pytest.approx(9.0)


def test_a_refused_pickup_issues_nothing(network):
    donation = network.post()
    assert send(network.volunteer, "donation.claim", donation_id=donation.id)["status"] == "applied"
    result = send(network.volunteer, "donation.pickup", donation_id=donation.id)  # no crate scanned
    assert result["status"] == "refused" and _ddts() == []


@pytest.fixture
def wide_app(app):
    """A second app on the same database whose pool gives every thread its own connection."""
    overrides = dict(app.config)
    overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": PICKUPS + 4, "max_overflow": 0, "pool_timeout": 60}
    second = create_app(overrides)
    yield second
    with second.app_context():
        db.engine.dispose()


def test_simultaneous_pickups_at_one_store_never_share_a_number(app, wide_app, network, make_user):
    """PICKUPS volunteers press "picked up" at the same instant, each on its own connection."""
    jobs = []
    for _ in range(PICKUPS):
        volunteer = make_user("volunteer")
        donation = network.post(crates=1)
        assert send(volunteer, "donation.claim", donation_id=donation.id)["status"] == "applied"
        assert send(volunteer, "crate.scan", token=tokens(donation)[0], stage="pickup")["status"] == "applied"
        jobs.append((volunteer.id, donation.id))
    db.session.commit()
    start = threading.Barrier(PICKUPS)

    def pickup(job):
        user_id, donation_id = job
        with wide_app.app_context():
            try:
                user = db.session.get(User, user_id)
                db.session.connection()  # each thread holds its own connection before the race
                start.wait(timeout=60)
                return ops.apply({"op_id": ops.new_op_id(), "kind": "donation.pickup",
                                  "donation_id": donation_id}, user, source="api")
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=PICKUPS) as pool:
        results = list(pool.map(pickup, jobs))
    assert [r["status"] for r in results] == ["applied"] * PICKUPS, results
    db.session.expire_all()
    numbers = sorted(d.number for d in _ddts())
    assert numbers == list(range(1, PICKUPS + 1))
    assert db.session.get(DocumentCounter, (network.store.id, _ddts()[0].year)).last_number == PICKUPS


def test_first_numbers_of_a_year_taken_at_once_on_separate_connections(app, wide_app, make_org, make_user):
    """The counter row does not exist yet: concurrent first issues still get 1..N."""
    store, charity, v = make_org("store"), make_org("charity"), make_user("volunteer")
    ids = [_picked(store, charity, v, rome(2024, 6, 1, 9 + i)).id for i in range(PICKUPS)]
    carrier_id = v.id
    start = threading.Barrier(PICKUPS)

    def issue(donation_id):
        with wide_app.app_context():
            try:
                from app.models import Donation

                donation = db.session.get(Donation, donation_id)
                carrier = db.session.get(User, carrier_id)
                db.session.commit()
                start.wait(timeout=60)
                with write_transaction():
                    return documents.issue(donation, carrier, donation.picked_up_at).number
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=PICKUPS) as pool:
        numbers = sorted(pool.map(issue, ids))
    assert numbers == list(range(1, PICKUPS + 1))
