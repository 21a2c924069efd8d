"""crate.scan, donation.pickup/.deliver/.receive, crate.problem, donation.repost: rules and refusals."""
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.models import Crate, Donation, Flag, Operation
from app.models.base import utcnow
from app.services.people.tokens import display_token
from tests.pickups_helpers import network, pick_up, post_donation, reload, send, tokens  # noqa: F401


def _flags(kind=None):
    query = db.select(Flag)
    if kind:
        query = query.where(Flag.kind == kind)
    return db.session.scalars(query).all()


def test_full_pickup_moves_custody_to_the_volunteer(network):
    donation = network.post()
    result = pick_up(network, donation)
    assert result["status"] == "applied"
    assert (result["crates_taken"], result["crates_left"]) == (3, 0)
    donation = reload(donation)
    assert donation.status == "picked_up" and donation.holder_id == network.volunteer.id
    assert {c.status for c in donation.crates} == {"picked_up"}


def test_scan_result_names_the_donation_and_crate(network):
    donation = network.post()
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    token = tokens(donation)[1]
    result = send(network.volunteer, "crate.scan", token=display_token(token).lower(), stage="pickup")
    assert (result["status"], result["donation_id"], result["n"]) == ("applied", donation.id, 2)
    # Staged, not handed over yet: the store still holds the food.
    assert reload(donation).status == "claimed"


def test_partial_pickup_leaves_unscanned_crates_at_the_store(network):
    donation = network.post(crates=4)
    result = pick_up(network, donation, scan=3)
    assert (result["crates_taken"], result["crates_left"]) == (3, 1)
    statuses = [c.status for c in reload(donation).crates]
    assert statuses == ["picked_up", "picked_up", "picked_up", "left_at_store"]


def test_crates_left_at_the_store_can_be_posted_again(network):
    donation = network.post(crates=4, kg=20)
    pick_up(network, donation, scan=3)
    result = send(network.clerk, "donation.repost", donation_id=donation.id)
    assert result["status"] == "applied", result
    new = db.session.get(Donation, result["donation_id"])
    assert new.status == "posted" and new.crates_count == 1 and new.kg_declared == 5
    assert new.reposted_from_id == donation.id and len(new.crates) == 1
    again = send(network.clerk, "donation.repost", donation_id=donation.id)
    assert again["code"] == "already_reposted"


def test_repost_without_left_crates_is_refused(network):
    donation = network.post()
    pick_up(network, donation)
    result = send(network.clerk, "donation.repost", donation_id=donation.id)
    assert result["code"] == "nothing_to_repost" and "cassette rimaste" in result["message"]


def test_pickup_without_any_scan_is_refused(network):
    donation = network.post()
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    result = send(network.volunteer, "donation.pickup", donation_id=donation.id)
    assert result["code"] == "no_crates_scanned" and "scansionata" in result["message"]


# --- refusals: code and Italian message (acceptance 3) -------------------------------------

def test_wrong_role_cannot_scan_for_pickup(network):
    donation = network.post()
    result = send(network.clerk, "crate.scan", token=tokens(donation)[0], stage="pickup")
    assert (result["code"], result["message"]) == ("not_allowed", "Il tuo ruolo non permette questa operazione.")


def test_other_charity_cannot_confirm_receipt(network):
    donation = network.post()
    pick_up(network, donation)
    result = send(network.other_charity_staff, "donation.receive", donation_id=donation.id, received_kg=10)
    assert (result["code"], result["message"]) == ("not_allowed", "Puoi agire solo per la tua organizzazione.")
    scan = send(network.other_charity_staff, "crate.scan", token=tokens(donation)[0], stage="receipt")
    assert scan["code"] == "not_allowed"


def test_not_the_claimer_cannot_pick_up_or_deliver(network):
    donation = network.post()
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    pickup = send(network.volunteer2, "donation.pickup", donation_id=donation.id)
    assert pickup["code"] == "not_claimer" and "un altro volontario" in pickup["message"]
    pick_up_rest = [send(network.volunteer, "crate.scan", token=t, stage="pickup") for t in tokens(donation)]
    assert all(r["status"] == "applied" for r in pick_up_rest)
    send(network.volunteer, "donation.pickup", donation_id=donation.id)
    deliver = send(network.volunteer2, "donation.deliver", donation_id=donation.id)
    assert deliver["code"] == "not_claimer" and "in carico" in deliver["message"]


@pytest.mark.parametrize("kind,fields", [
    ("donation.pickup", {}),
    ("donation.deliver", {}),
    ("donation.receive", {"received_kg": 5}),
])
def test_steps_out_of_order_are_wrong_state(network, kind, fields):
    donation = network.post()
    user = network.charity_staff if kind == "donation.receive" else network.volunteer
    result = send(user, kind, donation_id=donation.id, **fields)
    assert result["code"] == "wrong_state"
    assert result["message"] == "Operazione non possibile: la donazione ora è «pubblicata»."


def test_receipt_scan_before_pickup_is_wrong_state(network):
    donation = network.post()
    result = send(network.charity_staff, "crate.scan", token=tokens(donation)[0], stage="receipt")
    assert result["code"] == "wrong_state" and "non è ancora stata ritirata" in result["message"]


@pytest.mark.parametrize("token", ["ZZZZZZZZZZZZ", "not a code", ""])
def test_unknown_crate_is_refused(network, token):
    result = send(network.volunteer, "crate.scan", token=token, stage="pickup")
    assert result["code"] == "unknown_crate" and "Codice cassetta non riconosciuto" in result["message"]


def test_bad_stage_is_invalid(network):
    donation = network.post()
    result = send(network.volunteer, "crate.scan", token=tokens(donation)[0], stage="dance")
    assert result["code"] == "invalid" and "Fase della scansione" in result["message"]


def test_too_warm_chilled_lot_is_refused_stays_at_store_and_is_flagged(network):
    donation = network.post(category="latticini", storage="chilled")
    result = pick_up(network, donation, temperature_c="15,5")
    assert result["code"] == "too_warm" and "Troppo caldo: 15,5 °C" in result["message"]
    assert "restano al punto vendita" in result["message"] and result["limit_c"] == 14.0
    donation = reload(donation)
    assert donation.status == "claimed" and donation.holder_id is None
    assert {c.status for c in donation.crates} == {"at_store"}
    [flag] = _flags("too_warm")
    assert "15,5" in flag.message and flag.operation_id is not None


def test_too_warm_refusal_reaches_subscribers(network):
    from app.services.ops.core import SUBSCRIBERS

    seen = []
    SUBSCRIBERS.append(lambda ctx: seen.append((ctx.refusal, [e for e, _d in ctx.events])))
    try:
        donation = network.post(category="surgelati", storage="frozen")
        pick_up(network, donation, temperature_c=-10)
    finally:
        SUBSCRIBERS.pop()
    assert ("too_warm", ["donation.too_warm"]) in seen


def test_too_warm_scan_is_refused_too(network):
    donation = network.post(category="pesce", storage="chilled")
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    result = send(network.volunteer, "crate.scan", token=tokens(donation)[0], stage="pickup", temperature_c=6)
    assert result["code"] == "too_warm" and len(_flags("too_warm")) == 1


def test_cold_lot_within_limit_is_picked_up_with_its_temperature(network):
    donation = network.post(category="carne", storage="chilled")
    assert pick_up(network, donation, temperature_c="9.5")["status"] == "applied"
    assert reload(donation).pickup_temperature_c == 9.5


def test_cold_lot_needs_a_temperature(network):
    donation = network.post(category="latticini", storage="chilled")
    result = pick_up(network, donation)
    assert result["code"] == "temperature_required" and "temperatura" in result["message"]


def test_unreadable_temperature_is_invalid(network):
    donation = network.post(category="latticini", storage="chilled")
    result = pick_up(network, donation, temperature_c="freddo")
    assert result["code"] == "invalid" and "non è un numero" in result["message"]


def test_use_by_passed_is_refused_at_pickup(network):
    donation = network.post(date_kind="use_by", date=(date.today() + timedelta(days=1)).isoformat())
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    token = tokens(donation)[0]
    # The pickup happens days later than planned: by then the use-by date has passed.
    later = utcnow() + timedelta(days=3)
    scan = send(network.volunteer, "crate.scan", token=token, stage="pickup", now=later)
    assert scan["code"] == "use_by_passed" and "non può essere donato" in scan["message"]
    pickup = send(network.volunteer, "donation.pickup", donation_id=donation.id, now=later)
    assert pickup["code"] == "use_by_passed" and "da consumare entro" in pickup["message"]


def test_past_best_before_needs_confirmation_at_pickup(network):
    donation = network.post(date_kind="best_before", date=(date.today() - timedelta(days=2)).isoformat(),
                            best_before_confirmed=True)
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    send(network.volunteer, "crate.scan", token=tokens(donation)[0], stage="pickup")
    refused = send(network.volunteer, "donation.pickup", donation_id=donation.id)
    assert refused["code"] == "best_before_unconfirmed" and "integre" in refused["message"]
    done = send(network.volunteer, "donation.pickup", donation_id=donation.id, best_before_confirmed="on")
    assert done["status"] == "applied"


# --- custody conflicts: a scan is a fact ------------------------------------------------

@pytest.mark.parametrize("setup,before", [("posted", "non era prenotata"),
                                          ("claimed_by_other", "era prenotata da Marco Secondo"),
                                          ("cancelled", "era stata annullata")])
def test_contradicting_scan_moves_custody_and_flags(network, setup, before):
    donation = network.post()
    if setup == "claimed_by_other":
        send(network.volunteer2, "donation.claim", donation_id=donation.id)
    elif setup == "cancelled":
        send(network.clerk, "donation.cancel", donation_id=donation.id, reason="Errore")
    result = send(network.volunteer, "crate.scan", token=tokens(donation)[0], stage="pickup")
    assert result["status"] == "applied" and result["conflict"] and result["custody_moved"]
    donation = reload(donation)
    assert donation.status == "picked_up" and donation.holder_id == network.volunteer.id
    [flag] = _flags("custody_conflict")
    assert before in flag.message and "Giulia Autista" in flag.message
    # The rest of the pickup continues normally.
    finish = send(network.volunteer, "donation.pickup", donation_id=donation.id)
    assert (finish["crates_taken"], finish["crates_left"]) == (1, 2)


def test_expired_donation_scanned_moves_custody(network):
    donation = post_donation(network.clerk, network.charity, now=utcnow() - timedelta(hours=6))
    from app.services.ops.pickups import expire_due

    assert expire_due() == 1
    result = send(network.volunteer, "crate.scan", token=tokens(donation)[0], stage="pickup")
    assert result["custody_moved"] and "era scaduta" in _flags("custody_conflict")[0].message


def test_scan_of_a_donation_someone_else_holds_is_recorded_and_flagged(network):
    donation = network.post()
    pick_up(network, donation)
    result = send(network.volunteer2, "crate.scan", token=tokens(donation)[0], stage="pickup")
    assert result["status"] == "applied" and result["custody_moved"] is False
    assert reload(donation).holder_id == network.volunteer.id
    assert "Marco Secondo" in _flags("custody_conflict")[0].message


def test_late_scan_after_pickup_counts_the_crate_as_taken(network):
    donation = network.post(crates=3)
    pick_up(network, donation, scan=2)
    late = send(network.volunteer, "crate.scan", token=tokens(donation)[2], stage="pickup",
                at=utcnow() - timedelta(minutes=10))
    assert late["status"] == "applied"
    assert [c.status for c in reload(donation).crates] == ["picked_up"] * 3


# --- delivery and receipt --------------------------------------------------------------

def test_receipt_with_a_spoiled_crate(network):
    donation = network.post()
    pick_up(network, donation)
    assert send(network.volunteer, "donation.deliver", donation_id=donation.id)["status"] == "applied"
    first, second, third = tokens(donation)
    scan = send(network.charity_staff, "crate.scan", token=first, stage="receipt")
    assert scan["status"] == "applied" and scan["n"] == 1
    result = send(network.charity_staff, "donation.receive", donation_id=donation.id, received_kg="11,4",
                  problems=[{"token": third, "kind": "spoiled", "note": "Muffa sulle pesche"}])
    assert result["status"] == "applied" and result["problems"] == 1
    donation = reload(donation)
    assert donation.status == "received" and donation.received_kg == 11.4 and donation.holder_id is None
    assert [c.status for c in donation.crates] == ["received", "received", "problem"]
    assert donation.crates[2].problem_note == "Muffa sulle pesche"
    assert "avariata" in _flags("receipt_problem")[0].message


@pytest.mark.parametrize("kg,fragment", [("-1", "negativi"), ("tanti", "non sono un numero"),
                                         ("5000", "troppi")])
def test_bad_received_kg_is_invalid(network, kg, fragment):
    donation = network.post()
    pick_up(network, donation)
    result = send(network.charity_staff, "donation.receive", donation_id=donation.id, received_kg=kg)
    assert result["code"] == "invalid" and fragment in result["message"]
    assert reload(donation).status == "picked_up"


def test_problem_on_a_crate_of_another_donation_is_unknown_crate(network):
    donation, other = network.post(), network.post()
    pick_up(network, donation)
    result = send(network.charity_staff, "donation.receive", donation_id=donation.id,
                  problems=[{"token": tokens(other)[0], "kind": "damaged"}])
    assert result["code"] == "unknown_crate"


def test_problem_kind_must_be_known(network):
    donation = network.post()
    pick_up(network, donation)
    result = send(network.charity_staff, "donation.receive", donation_id=donation.id,
                  problems=[{"token": tokens(donation)[0], "kind": "boh"}])
    assert result["code"] == "invalid" and "tipo di problema" in result["message"]


def test_problem_reported_after_receipt(network):
    donation = network.post()
    pick_up(network, donation)
    send(network.charity_staff, "donation.receive", donation_id=donation.id, received_kg=12)
    result = send(network.charity_staff, "crate.problem", token=tokens(donation)[1], problem="damaged",
                  note="Cassetta rotta")
    assert result["status"] == "applied"
    crate = reload(donation).crates[1]
    assert (crate.status, crate.problem_kind) == ("problem", "damaged")


def test_missing_crate_that_turns_up_is_received(network):
    donation = network.post()
    pick_up(network, donation)
    send(network.charity_staff, "donation.receive", donation_id=donation.id,
         problems=[{"token": tokens(donation)[0], "kind": "missing"}])
    assert reload(donation).crates[0].status == "missing"
    send(network.charity_staff, "crate.scan", token=tokens(donation)[0], stage="receipt")
    assert reload(donation).crates[0].status == "received"


def test_late_delivery_after_receipt_changes_nothing(network):
    donation = network.post()
    pick_up(network, donation)
    send(network.charity_staff, "donation.receive", donation_id=donation.id, received_kg=12)
    result = send(network.volunteer, "donation.deliver", donation_id=donation.id,
                  at=utcnow() - timedelta(minutes=30))
    assert result["status"] == "applied" and result["already"] is True
    assert reload(donation).status == "received"


def test_replayed_pickup_is_a_duplicate(network):
    from tests.pickups_helpers import op
    from app.services import ops

    donation = network.post()
    send(network.volunteer, "donation.claim", donation_id=donation.id)
    send(network.volunteer, "crate.scan", token=tokens(donation)[0], stage="pickup")
    pickup = op("donation.pickup", donation_id=donation.id)
    first, second = ops.apply(pickup, network.volunteer), ops.apply(pickup, network.volunteer)
    assert first["status"] == "applied" and second["status"] == "duplicate"
    assert second["crates_taken"] == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Operation)
                             .where(Operation.op_id == pickup["op_id"])) == 1


def test_crate_rows_are_unchanged_by_refusals(network):
    donation = network.post()
    send(network.volunteer2, "crate.scan", token="ZZZZZZZZZZZZ", stage="pickup")
    assert {c.status for c in db.session.scalars(db.select(Crate))} == {"at_store"}


# --- one table of every refusal of the pickup (acceptance: stable code, Italian message) -------

def _wrong_role(net, d):
    return send(net.charity_staff, "donation.claim", donation_id=d.id)


def _other_organisation(net, d):
    pick_up(net, d)
    return send(net.other_charity_staff, "donation.receive", donation_id=d.id)


def _not_the_claimer(net, d):
    send(net.volunteer2, "donation.claim", donation_id=d.id)
    return send(net.volunteer, "donation.unclaim", donation_id=d.id, reason="x")


def _wrong_state(net, d):
    return send(net.volunteer, "donation.deliver", donation_id=d.id)


def _unknown_crate(net, d):
    return send(net.volunteer, "crate.scan", token="0000-0000-0000", stage="pickup")


def _too_warm(net, d):
    return pick_up(net, d, temperature_c=30)


def _use_by_passed(net, d):
    send(net.volunteer, "donation.claim", donation_id=d.id)
    return send(net.volunteer, "crate.scan", token=tokens(d)[0], stage="pickup", now=utcnow() + timedelta(days=4))


def _already_claimed(net, d):
    send(net.volunteer2, "donation.claim", donation_id=d.id)
    return send(net.volunteer, "donation.claim", donation_id=d.id)


REFUSALS = [
    (_wrong_role, {}, "not_allowed", "Il tuo ruolo non permette questa operazione."),
    (_other_organisation, {}, "not_allowed", "Puoi agire solo per la tua organizzazione."),
    (_not_the_claimer, {}, "not_claimer", "Solo chi ha prenotato il ritiro può lasciarlo."),
    (_wrong_state, {}, "wrong_state", "Operazione non possibile: la donazione ora è «pubblicata»."),
    (_unknown_crate, {}, "unknown_crate", "Codice cassetta non riconosciuto: controlla le lettere o "
                                          "inquadra di nuovo il QR."),
    (_too_warm, {"category": "latticini", "storage": "chilled"}, "too_warm",
     "Troppo caldo: 30 °C, il limite per questo cibo è 14 °C. Non ritirare le cassette: restano al punto "
     "vendita. Il coordinamento è stato avvisato."),
    (_use_by_passed, {"date_kind": "use_by"}, "use_by_passed", "non può essere donato"),
    (_already_claimed, {}, "already_claimed", "Un altro volontario ha già prenotato questo ritiro: "
                                              "scegline un altro dalla lista."),
]


@pytest.mark.parametrize("scenario,fields,code,message", REFUSALS, ids=[r[2] + r[0].__name__ for r in REFUSALS])
def test_every_refusal_has_its_code_and_italian_message(network, scenario, fields, code, message):
    if fields.get("date_kind") == "use_by":
        fields = {**fields, "date": (date.today() + timedelta(days=1)).isoformat()}
    result = scenario(network, network.post(**fields))
    assert result["status"] == "refused" and result["code"] == code
    assert message in result["message"]
