"""The donation handlers: post, edit, cancel, reassign; idempotency; crate tokens; the log."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Crate, Donation, Flag, Operation
from app.services import ops
from app.services.people import tokens
from tests.donations_support import clock, op, payload, post, shop  # noqa: F401


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_post_creates_the_donation_its_crates_and_proposes_a_recipient(app, shop, clock):
    result = post(shop.clerk, clock)
    assert result["status"] == "applied"
    donation = db.session.get(Donation, result["donation_id"])
    assert donation.store_id == shop.store.id and donation.status == "posted"
    assert donation.recipient_id == shop.charity.id == result["recipient_id"]
    assert donation.needs_cold is True and result["needs_cold"] is True
    assert [c["n"] for c in result["crates"]] == [1, 2, 3]
    for crate in result["crates"]:
        assert len(crate["token"]) == 12 and tokens.normalise_token(crate["token"]) == crate["token"]
        assert crate["url"] == f"{app.config['PUBLIC_BASE_URL']}/c/{crate['token']}"
    assert len({c["token"] for c in result["crates"]}) == 3
    logged = db.session.scalar(select(Operation).where(Operation.op_id == result["op_id"]))
    assert logged.donation_id == donation.id and logged.status == "applied"


def test_same_op_id_twice_makes_one_donation_and_the_same_result(app, shop, clock):
    op_id = ops.new_op_id()
    first = post(shop.clerk, clock, op_id=op_id)
    second = post(shop.clerk, clock, op_id=op_id)
    assert first["status"] == "applied" and second["status"] == "duplicate"
    assert second["original_status"] == "applied"
    strip = {"status", "original_status"}
    assert {k: v for k, v in first.items() if k not in strip} == {k: v for k, v in second.items() if k not in strip}
    assert _count(Donation) == 1 and _count(Crate) == 3


def test_same_op_id_twice_through_the_api_returns_the_same_result(client, login_as, shop, clock):
    login_as(shop.clerk)
    body = {"ops": [op("donation.post", **payload(clock))]}
    first = client.post("/api/ops", json=body).get_json()["results"][0]
    second = client.post("/api/ops", json=body).get_json()["results"][0]
    assert first["status"] == "applied" and second["status"] == "duplicate"
    assert second["donation_id"] == first["donation_id"] and second["crates"] == first["crates"]
    assert _count(Donation) == 1


def test_double_tap_on_the_form_posts_once(client, login_as, shop, clock):
    from tests.donations_support import form_data

    login_as(shop.clerk)
    fields = form_data(payload(clock))
    first = client.post("/negozio/nuova", data=fields)
    second = client.post("/negozio/nuova", data=fields)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(Donation) == 1


def test_a_token_collision_is_retried(app, shop, clock, monkeypatch):
    taken = post(shop.clerk, clock, crates=1)["crates"][0]["token"]
    fresh = iter([taken, taken, "ABCDEFGHJKMN"])
    monkeypatch.setattr(tokens, "new_crate_token", lambda: next(fresh))
    result = post(shop.clerk, clock, crates=1)
    assert result["status"] == "applied"
    assert result["crates"][0]["token"] == "ABCDEFGHJKMN"


def test_value_is_estimated_from_kg_when_missing(app, shop, clock, monkeypatch):
    monkeypatch.setitem(app.config, "VALUE_EUR_PER_KG", 3.7)
    result = post(shop.clerk, clock, kg=10, value_eur=None)
    donation = db.session.get(Donation, result["donation_id"])
    assert donation.value_eur == pytest.approx(37.0) and donation.value_estimated is True
    given = db.session.get(Donation, post(shop.clerk, clock, kg=10, value_eur="45,90")["donation_id"])
    assert given.value_eur == pytest.approx(45.9) and given.value_estimated is False


@pytest.mark.parametrize("storage,cold", [("ambient", False), ("chilled", True), ("frozen", True)])
def test_chilled_and_frozen_need_the_cold_chain(app, shop, clock, storage, cold):
    result = post(shop.clerk, clock, category="dispensa", storage=storage)
    assert db.session.get(Donation, result["donation_id"]).needs_cold is cold


def test_storage_defaults_from_the_category(app, shop, clock):
    result = post(shop.clerk, clock, category="surgelati", storage=None)
    assert db.session.get(Donation, result["donation_id"]).storage == "frozen"


@pytest.mark.parametrize("role", ["volunteer", "charity", "coordinator"])
def test_only_store_staff_post(app, make_user, clock, role):
    result = post(make_user(role), clock)
    assert result["status"] == "refused" and result["code"] == "not_allowed"


def test_no_eligible_charity_posts_anyway_and_flags_the_coordinator(app, shop, clock):
    shop.charity.categories_accepted = ["pane_forno"]
    db.session.commit()
    result = post(shop.clerk, clock)
    assert result["status"] == "applied" and result["recipient_id"] is None
    flag = db.session.scalar(select(Flag))
    assert flag.kind == "no_recipient" and flag.donation_id == result["donation_id"]


def test_a_chosen_recipient_must_be_eligible(app, shop, clock, make_org):
    no_cold = make_org("charity", name="Emporio senza frigo", cold_storage=False)
    result = post(shop.clerk, clock, recipient_id=no_cold.id)
    assert result["code"] == "recipient_not_eligible" and result["field"] == "recipient_id"
    assert "catena del freddo" in result["message"]
    other = make_org("charity", name="Emporio Solidale")
    assert post(shop.clerk, clock, recipient_id=other.id)["recipient_id"] == other.id


# --- edit ------------------------------------------------------------------------------
def test_edit_changes_fields_and_follows_the_crate_count(app, shop, clock):
    posted = post(shop.clerk, clock, crates=3)
    tokens_before = [c["token"] for c in posted["crates"]]
    result = ops.apply(op("donation.edit", donation_id=posted["donation_id"], kg=20, crates=5,
                          description="Yogurt e kefir"), shop.clerk)
    assert result["status"] == "applied"
    assert set(result["changed"]) >= {"kg_declared", "crates_count", "description"}
    assert [c["token"] for c in result["crates"]][:3] == tokens_before  # printed labels stay valid
    donation = db.session.get(Donation, posted["donation_id"])
    assert donation.kg_declared == 20 and len(donation.crates) == 5
    fewer = ops.apply(op("donation.edit", donation_id=donation.id, crates=2), shop.clerk)
    assert [c["n"] for c in fewer["crates"]] == [1, 2] and _count(Crate) == 2


def test_edit_is_checked_by_the_same_rules(app, shop, clock):
    posted = post(shop.clerk, clock)
    result = ops.apply(op("donation.edit", donation_id=posted["donation_id"], date=(
        clock.today - timedelta(days=1)).isoformat()), shop.clerk)
    assert result["code"] == "use_by_passed" and result["field"] == "date"
    assert db.session.get(Donation, posted["donation_id"]).food_date > clock.today


def test_edit_after_a_claim_is_refused(app, shop, clock, make_user):
    posted = post(shop.clerk, clock)
    donation = db.session.get(Donation, posted["donation_id"])
    donation.status, donation.claimed_by_id = "claimed", make_user("volunteer").id
    db.session.commit()
    result = ops.apply(op("donation.edit", donation_id=donation.id, kg=5), shop.clerk)
    assert result["code"] == "wrong_state" and "prenotata" in result["message"]


def test_edit_that_makes_the_recipient_unsuitable_proposes_another(app, shop, clock, make_org):
    ambient_only = make_org("charity", name="Mensa del Povero", cold_storage=False)
    posted = post(shop.clerk, clock, category="dispensa", storage="ambient", recipient_id=ambient_only.id)
    assert posted["recipient_id"] == ambient_only.id
    result = ops.apply(op("donation.edit", donation_id=posted["donation_id"], storage="chilled"), shop.clerk)
    assert result["status"] == "applied" and result["recipient_id"] == shop.charity.id


# --- cancel ----------------------------------------------------------------------------
def test_cancel_needs_a_reason_and_is_recorded(app, shop, clock):
    posted = post(shop.clerk, clock)
    refused = ops.apply(op("donation.cancel", donation_id=posted["donation_id"], reason=" "), shop.clerk)
    assert refused["code"] == "invalid" and refused["field"] == "reason"
    done = ops.apply(op("donation.cancel", donation_id=posted["donation_id"], reason="Merce venduta"),
                     shop.clerk)
    donation = db.session.get(Donation, posted["donation_id"])
    assert done["status"] == "applied" and donation.status == "cancelled"
    assert donation.cancel_reason == "Merce venduta" and donation.cancelled_at is not None


def test_cancel_after_pickup_is_refused(app, shop, clock):
    posted = post(shop.clerk, clock)
    donation = db.session.get(Donation, posted["donation_id"])
    donation.status = "picked_up"
    db.session.commit()
    result = ops.apply(op("donation.cancel", donation_id=donation.id, reason="ripensamento"), shop.clerk)
    assert result["code"] == "wrong_state"


def test_coordinator_may_cancel_any_store_donation(app, shop, clock, make_user):
    posted = post(shop.clerk, clock)
    result = ops.apply(op("donation.cancel", donation_id=posted["donation_id"], reason="Allerta meteo"),
                       make_user("coordinator"))
    assert result["status"] == "applied"


# --- reassign --------------------------------------------------------------------------
def test_coordinator_reassigns_to_an_eligible_charity(app, shop, clock, make_user, make_org):
    other = make_org("charity", name="Emporio Solidale Nord")
    posted = post(shop.clerk, clock)
    result = ops.apply(op("donation.reassign", donation_id=posted["donation_id"], recipient_id=other.id),
                       make_user("coordinator"))
    assert result["status"] == "applied" and result["override"] is False
    assert result["previous_recipient_id"] == shop.charity.id
    assert db.session.get(Donation, posted["donation_id"]).recipient_id == other.id


def test_reassign_to_an_ineligible_charity_needs_the_override(app, shop, clock, make_user, make_org):
    coordinator = make_user("coordinator")
    warm = make_org("charity", name="Parrocchia senza frigo", cold_storage=False)
    posted = post(shop.clerk, clock)
    refused = ops.apply(op("donation.reassign", donation_id=posted["donation_id"], recipient_id=warm.id),
                        coordinator)
    assert refused["code"] == "recipient_not_eligible" and "deroga" in refused["message"]
    forced = ops.apply(op("donation.reassign", donation_id=posted["donation_id"], recipient_id=warm.id,
                          override=True), coordinator)
    assert forced["status"] == "applied" and forced["override"] is True


def test_reassign_is_for_coordinators_and_before_pickup(app, shop, clock, make_user, make_org):
    other = make_org("charity")
    posted = post(shop.clerk, clock)
    by_clerk = ops.apply(op("donation.reassign", donation_id=posted["donation_id"], recipient_id=other.id),
                         shop.clerk)
    assert by_clerk["code"] == "not_allowed"
    donation = db.session.get(Donation, posted["donation_id"])
    donation.status = "picked_up"
    db.session.commit()
    late = ops.apply(op("donation.reassign", donation_id=donation.id, recipient_id=other.id),
                     make_user("coordinator"))
    assert late["code"] == "wrong_state"


def test_reassign_refuses_a_store_or_an_inactive_charity(app, shop, clock, make_user, make_org):
    coordinator = make_user("coordinator")
    posted = post(shop.clerk, clock)
    closed = make_org("charity", active=False)
    for target in (shop.store.id, closed.id, 99999):
        result = ops.apply(op("donation.reassign", donation_id=posted["donation_id"], recipient_id=target,
                              override=True), coordinator)
        assert result["code"] == "unknown_recipient"


def test_handlers_emit_events_for_notifications(app, shop, clock, monkeypatch):
    from app.services.ops import core

    seen = []
    monkeypatch.setattr(core, "SUBSCRIBERS", [lambda ctx: seen.extend(e for e, _data in ctx.events)])
    posted = post(shop.clerk, clock)
    ops.apply(op("donation.cancel", donation_id=posted["donation_id"], reason="Venduta"), shop.clerk)
    assert seen == ["donation.posted", "donation.cancelled"]
