"""Agreements: the requirement to post and to receive, the lifecycle as operations, reminders at 60 and 15 days."""
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import func, select

from app.extensions import db
from app.models import Donation, Notification
from app.models.partners import Agreement, AgreementReminder
from app.services.food.donations import ROME
from app.services.notify.partners import remind_agreements
from tests.conftest import csrf_from
from tests.donations_support import clock, form_data, op, payload, post, shop  # noqa: F401
from tests.partners_support import apply, required, sign  # noqa: F401


def test_agreements_are_required_by_default_in_production():
    """The production default is on; only the test settings turn it off."""
    from app.config import Config, TestConfig

    assert Config.AGREEMENTS_REQUIRED is True
    assert TestConfig.AGREEMENTS_REQUIRED is False


def test_an_expired_agreement_blocks_posting_through_the_api(client, login_as, shop, clock, required, sign):
    sign(shop.store, clock.today, starts=-400, ends=-1)
    sign(shop.charity, clock.today)
    login_as(shop.clerk)
    token = csrf_from(client.get("/negozio/").get_data(as_text=True))
    response = client.post("/api/ops", json={"ops": [op("donation.post", **payload(clock))]}, csrf=False,
                           headers={"X-CSRFToken": token})
    result = response.get_json()["results"][0]
    assert result["status"] == "refused" and result["code"] == "agreement_missing"
    assert "convenzione" in result["message"]
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0


def test_an_expired_agreement_blocks_posting_through_the_form(client, login_as, shop, clock, required, sign):
    sign(shop.store, clock.today, starts=-400, ends=-1)
    login_as(shop.clerk)
    response = client.post("/negozio/nuova", data=form_data(payload(clock)), follow_redirects=True)
    assert "convenzione firmata e in corso" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0


def test_a_signed_current_agreement_lets_the_store_post(shop, clock, required, sign):
    sign(shop.store, clock.today)
    sign(shop.charity, clock.today)
    result = post(shop.clerk, clock)
    assert result["status"] == "applied" and result["recipient_id"] == shop.charity.id


def test_the_requirement_off_lets_stores_without_agreements_post(shop, clock):
    assert post(shop.clerk, clock)["status"] == "applied"


def test_a_charity_without_a_current_agreement_is_not_proposed(make_org, shop, clock, required, sign):
    sign(shop.store, clock.today)
    other = make_org("charity", name="Emporio con convenzione", lat=44.7, lon=11.7)  # farther away
    sign(other, clock.today)
    sign(shop.charity, clock.today, starts=-400, ends=-10)  # lapsed
    result = post(shop.clerk, clock)
    assert result["recipient_id"] == other.id
    refused = post(shop.clerk, clock, recipient_id=shop.charity.id)
    assert refused["code"] == "recipient_not_eligible" and "convenzione" in refused["message"]


def test_agreement_lifecycle_through_operations(make_user, shop, clock):
    coordinator = make_user("coordinator")
    made = apply(coordinator, "agreement.save", organisation_id=shop.store.id, starts_on=clock.today.isoformat(),
                 ends_on=(clock.today + timedelta(days=365)).isoformat(), network_signatory="Provincia di Bologna")
    assert made["status"] == "applied"
    agreement = db.session.get(Agreement, made["agreement_id"])
    assert agreement.status == "draft" and agreement.kind == "store_donation"
    no_signatory = apply(coordinator, "agreement.status", agreement_id=agreement.id, status="signed")
    assert no_signatory["code"] == "invalid" and no_signatory["field"] == "signatory_name"
    assert apply(coordinator, "agreement.save", agreement_id=agreement.id,
                 signatory_name="Luca Bianchi", signatory_role="Direttore")["status"] == "applied"
    assert apply(coordinator, "agreement.status", agreement_id=agreement.id, status="signed")["status"] == "applied"
    db.session.refresh(agreement)
    assert agreement.status == "signed" and agreement.signed_on is not None
    back = apply(coordinator, "agreement.status", agreement_id=agreement.id, status="draft")
    assert back["code"] == "wrong_state"


def test_only_coordinators_manage_agreements(shop, make_user, clock):
    refused = apply(shop.clerk, "agreement.save", organisation_id=shop.store.id)
    assert refused["code"] == "not_allowed"
    coordinator = make_user("coordinator")
    unknown = apply(coordinator, "agreement.save", organisation_id=shop.store.id, colour="red")
    assert unknown["code"] == "invalid" and unknown["field"] == "colour"
    bad_dates = apply(coordinator, "agreement.save", organisation_id=shop.store.id, starts_on="2026-05-01",
                      ends_on="2026-04-01")
    assert bad_dates["code"] == "invalid" and bad_dates["field"] == "ends_on"
    assert apply(coordinator, "agreement.status", agreement_id=999, status="signed")["code"] == "unknown_agreement"


def test_a_replayed_agreement_operation_changes_nothing(make_user, shop):
    from app.services import ops

    coordinator = make_user("coordinator")
    raw = {"op_id": "agreement-save-0001", "kind": "agreement.save", "organisation_id": shop.store.id}
    first, again = ops.apply(raw, coordinator), ops.apply(raw, coordinator)
    assert first["status"] == "applied" and again["status"] == "duplicate"
    assert db.session.scalar(select(func.count()).select_from(Agreement)) == 1


def _at(day):
    """09:00 in Rome on `day`, as aware UTC."""
    return datetime.combine(day, time(9, 0), ROME).astimezone(timezone.utc)


def test_reminders_60_and_15_days_before_the_end_once_each(make_user, shop, sign):
    coordinator = make_user("coordinator")
    start = datetime(2027, 3, 1).date()
    agreement = sign(shop.store, start, starts=-300, ends=70)
    ends_on = agreement.ends_on
    seen = []
    for day in range(0, 75):
        today = start + timedelta(days=day)
        if remind_agreements(now=_at(today)):
            seen.append((ends_on - today).days)
    assert seen == [60, 15]
    texts = db.session.scalars(select(Notification.body).where(Notification.user_id == coordinator.id)
                               .order_by(Notification.id)).all()
    assert len(texts) == 2 and "tra 60 giorni" in texts[0] and "tra 15 giorni" in texts[1]
    assert shop.store.name in texts[0]
    db.session.refresh(agreement)
    assert agreement.status == "expired"  # the worker expired it once its last day had passed


def test_an_agreement_found_late_gets_only_the_nearest_reminder(make_user, shop, sign):
    make_user("coordinator")
    start = datetime(2027, 3, 1).date()
    agreement = sign(shop.store, start, ends=10)
    assert remind_agreements(now=_at(start)) == 1
    assert remind_agreements(now=_at(start + timedelta(days=1))) == 0
    done = set(db.session.scalars(select(AgreementReminder.days).where(AgreementReminder.agreement_id == agreement.id)))
    assert done == {60, 15}


def test_a_renewed_end_date_earns_new_reminders(make_user, shop, sign):
    make_user("coordinator")
    start = datetime(2027, 3, 1).date()
    agreement = sign(shop.store, start, ends=15)
    assert remind_agreements(now=_at(start)) == 1
    agreement.ends_on = start + timedelta(days=60)
    db.session.commit()
    assert remind_agreements(now=_at(start)) == 1
