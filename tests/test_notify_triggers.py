"""Which operations and clocks notify whom (DESIGN.md "Notifications"), through the real operations."""
from datetime import timedelta

import pytest
from flask_babel import get_locale
from sqlalchemy import select

from app.extensions import db
from app.models import Donation, DonationAlert, Event, Notification, PushDelivery, Rsvp
from app.models.base import utcnow
from app.services import ops
from app.services.notify import inbox, push, texts, triggers as notify
from app.services.ops.core import SUBSCRIBERS, Context, Refused
from tests.fake_push_service import fake_push, vapid_key  # noqa: F401  (fixtures)

MEDICINA = (44.4780, 11.6380)  # ~24 km from Bologna: urgent radius only
IMOLA = (44.3533, 11.7141)  # ~33 km: too far even when urgent


class Network:
    """A store in Bologna, its charity, a coordinator and volunteers at various distances."""

    def __init__(self, make_user, make_org):
        self.store = make_org("store", name="Coop Andrea Costa", lat=44.4949, lon=11.3426)
        self.clerk = make_user("store", org=self.store, name="Sara Negozio")
        self.charity = make_org("charity", name="Emporio Solidale")
        self.charity_staff = make_user("charity", org=self.charity, name="Elena Ente")
        self.coordinator = make_user("coordinator", name="Carla Coordina")
        self.near = make_user("volunteer", name="Nino Vicino")
        self.near_no_cold = make_user("volunteer", name="Bruno Bici", cold_transport=False)
        self.middle = self._moved(make_user("volunteer", name="Mara Medicina"), "Medicina", MEDICINA)
        self.far = self._moved(make_user("volunteer", name="Ivo Imola"), "Imola", IMOLA)
        self.pending = make_user("volunteer", name="Pia Attesa", volunteer_status="pending")

    @staticmethod
    def _moved(user, town, coords):
        user.volunteer.municipality, (user.volunteer.base_lat, user.volunteer.base_lon) = town, coords
        db.session.commit()
        return user


@pytest.fixture
def net(app, make_user, make_org):
    """The Network of this module."""
    return Network(make_user, make_org)


def apply(user, kind, source="form", **fields):
    """Apply an operation now and insist it was applied."""
    result = ops.apply({"op_id": ops.new_op_id(), "kind": kind, "occurred_at": utcnow().isoformat(), **fields},
                       user, source=source)
    assert result["status"] == "applied", result
    return result


def post(net, hours_to_start=3, hours_open=3, **fields):
    """The store posts a donation through the real operation; returns it."""
    now = utcnow()
    payload = {"category": "dispensa", "storage": "ambient", "description": "Pasta e riso", "kg": 15,
               "crates": 2, "date_kind": "none", "window_start": (now + timedelta(hours=hours_to_start)).isoformat(),
               "window_end": (now + timedelta(hours=hours_to_start + hours_open)).isoformat(), **fields}
    result = apply(net.clerk, "donation.post", **payload)
    return db.session.get(Donation, result["donation_id"])


def inbox_of(user, kind=None):
    """(kind, title) of the user's notifications, oldest first."""
    query = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    return [(n.kind, n.title) for n in db.session.scalars(query) if kind is None or n.kind == kind]


def who_got(kind):
    return sorted(n.user.name for n in db.session.scalars(select(Notification).where(Notification.kind == kind)))


# --- new donations and the urgent alert ------------------------------------------------------

def test_a_new_donation_reaches_approved_volunteers_nearby_only(net):
    donation = post(net)
    assert who_got("new_donation") == ["Bruno Bici", "Nino Vicino"]
    [row] = db.session.scalars(select(Notification).where(Notification.user_id == net.near.id)).all()
    assert row.title == "Nuovo ritiro vicino a te" and row.expires_at == donation.window_end
    assert row.url == f"/volontario/ritiri/{donation.id}"
    assert row.body.startswith("Coop Andrea Costa (Bologna): Dispensa (pasta, conserve, secco), 15 kg.")


def test_chilled_food_goes_only_to_volunteers_with_cold_transport(net):
    post(net, category="latticini", storage="chilled")
    assert who_got("new_donation") == ["Nino Vicino"]
    assert "refrigerato" in db.session.scalar(select(Notification.body))


def test_the_radius_is_configurable(net, app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_RADIUS_KM", 28)
    post(net)
    assert who_got("new_donation") == ["Bruno Bici", "Mara Medicina", "Nino Vicino"]


def test_urgent_alert_goes_once_to_the_wider_radius_when_still_unclaimed(net):
    donation = post(net, hours_to_start=1, hours_open=3)
    assert who_got("urgent") == []
    assert notify.alert_unclaimed(now=donation.window_end - timedelta(hours=3)) == 0  # not yet
    later = donation.window_end - timedelta(minutes=100)
    assert notify.alert_unclaimed(now=later) == 1
    assert notify.alert_unclaimed(now=later + timedelta(minutes=5)) == 0  # marked: never twice
    assert who_got("urgent") == ["Bruno Bici", "Mara Medicina", "Nino Vicino"]
    urgent = db.session.scalar(select(Notification).where(Notification.kind == "urgent"))
    assert urgent.urgent and urgent.title == "Urgente: ritiro ancora libero"
    assert db.session.get(DonationAlert, (donation.id, "urgent")) is not None


def test_a_claimed_donation_raises_no_urgent_alert(net):
    donation = post(net, hours_to_start=1, hours_open=3)
    apply(net.near, "donation.claim", donation_id=donation.id)
    assert notify.alert_unclaimed(now=donation.window_end - timedelta(minutes=30)) == 0
    assert who_got("urgent") == []


def test_a_donation_posted_close_to_its_deadline_is_urgent_at_once(net):
    donation = post(net, hours_to_start=0.1, hours_open=1)
    assert who_got("new_donation") == []
    assert who_got("urgent") == ["Bruno Bici", "Mara Medicina", "Nino Vicino"]
    assert notify.alert_unclaimed(now=utcnow()) == 0
    assert db.session.get(DonationAlert, (donation.id, "urgent")) is not None


def test_preferences_new_donations_off_but_urgent_still_on(net, client, login_as):
    login_as(net.near)
    response = client.post("/notifiche/impostazioni", data={"urgent": "y", "my_pickups": "y"})
    assert response.status_code == 302
    inbox.set_preferences(net.near_no_cold, {"new_donation": True, "urgent": False})
    donation = post(net, hours_to_start=1, hours_open=3)
    assert inbox_of(net.near) == []  # no new donations: turned off
    notify.alert_unclaimed(now=donation.window_end - timedelta(minutes=90))
    assert inbox_of(net.near) == [("urgent", "Urgente: ritiro ancora libero")]
    assert inbox_of(net.near_no_cold) == [("new_donation", "Nuovo ritiro vicino a te")]  # urgent off


# --- the other side of claim, unclaim, cancel ------------------------------------------------

def test_claim_tells_the_store_staff_not_the_volunteer(net):
    donation = post(net)
    apply(net.near, "donation.claim", donation_id=donation.id)
    assert who_got("claimed") == ["Sara Negozio"]


def test_unclaim_tells_the_store_and_offers_the_pickup_to_the_others_again(net):
    donation = post(net)
    apply(net.near, "donation.claim", donation_id=donation.id)
    apply(net.near, "donation.unclaim", donation_id=donation.id, reason="Auto dal meccanico")
    assert inbox_of(net.clerk, "unclaimed") == [("unclaimed", "Prenotazione ritirata")]
    assert "Auto dal meccanico" in db.session.scalar(select(Notification.body).where(Notification.kind == "unclaimed"))
    again = db.session.scalars(select(Notification).where(Notification.title == "Ritiro di nuovo disponibile")).all()
    assert [n.user.name for n in again] == ["Bruno Bici"]  # not the volunteer who gave it back
    assert who_got("late_unclaim") == []


def test_a_late_unclaim_also_alerts_the_coordinators(net):
    donation = post(net, hours_to_start=1, hours_open=4)
    apply(net.near, "donation.claim", donation_id=donation.id)
    apply(net.near, "donation.unclaim", donation_id=donation.id, reason="Febbre")
    assert inbox_of(net.clerk, "unclaimed") == [("unclaimed", "Rinuncia all'ultimo momento")]
    assert who_got("late_unclaim") == ["Carla Coordina"]


def test_a_store_cancel_tells_the_claimer(net):
    donation = post(net)
    apply(net.near, "donation.claim", donation_id=donation.id)
    apply(net.clerk, "donation.cancel", donation_id=donation.id, reason="Merce venduta")
    assert inbox_of(net.near, "cancelled") == [("cancelled", "Ritiro annullato dal punto vendita")]
    assert inbox_of(net.clerk, "cancelled") == []  # who cancelled knows


def test_a_coordinator_cancel_tells_the_claimer_and_the_store(net):
    donation = post(net)
    apply(net.near, "donation.claim", donation_id=donation.id)
    apply(net.coordinator, "donation.cancel", donation_id=donation.id, reason="Ente chiuso per lutto")
    assert inbox_of(net.near, "cancelled") == [("cancelled", "Ritiro annullato dal coordinamento")]
    assert inbox_of(net.clerk, "cancelled") == [("cancelled", "Donazione annullata dal coordinamento")]


# --- pickup, delivery, conflicts, refusals --------------------------------------------------

def _scan_and_pick_up(volunteer, donation, source="form"):
    for crate in donation.crates:
        apply(volunteer, "crate.scan", source=source, token=crate.token, stage="pickup")
    return ops.apply({"op_id": ops.new_op_id(), "kind": "donation.pickup", "donation_id": donation.id,
                      "occurred_at": utcnow().isoformat()}, volunteer)


def test_pickup_tells_the_charity_its_delivery_is_on_the_way_once(net):
    donation = post(net)
    assert donation.recipient_id == net.charity.id
    apply(net.near, "donation.claim", donation_id=donation.id)
    assert _scan_and_pick_up(net.near, donation)["status"] == "applied"
    assert inbox_of(net.charity_staff) == [("on_the_way", "Consegna in arrivo")]
    on_the_way = db.session.scalar(select(Notification).where(Notification.kind == "on_the_way"))
    assert on_the_way.body.startswith("Nino Vicino ha ritirato Dispensa")
    assert on_the_way.url == f"/ente/consegne/{donation.id}"
    apply(net.near, "donation.deliver", donation_id=donation.id)
    assert inbox_of(net.charity_staff) == [("on_the_way", "Consegna in arrivo"),
                                           ("delivered", "Consegna arrivata: conferma la ricezione")]


def test_a_custody_conflict_reaches_coordinators_store_and_the_claimer(net):
    donation = post(net)
    apply(net.near, "donation.claim", donation_id=donation.id)
    apply(net.near_no_cold, "crate.scan", token=donation.crates[0].token, stage="pickup")
    assert who_got("conflict") == ["Carla Coordina", "Nino Vicino", "Sara Negozio"]
    urls = {n.user.name: n.url for n in db.session.scalars(select(Notification).where(Notification.kind == "conflict"))}
    assert urls == {"Carla Coordina": f"/coordinamento/ritiri/{donation.id}",
                    "Nino Vicino": f"/volontario/ritiri/{donation.id}",
                    "Sara Negozio": f"/negozio/donazioni/{donation.id}"}
    body = db.session.scalar(select(Notification.body).where(Notification.user_id == net.near.id,
                                                             Notification.kind == "conflict"))
    assert "Bruno Bici ha ritirato" in body and "era prenotata da Nino Vicino" in body
    assert inbox_of(net.charity_staff) == [("on_the_way", "Consegna in arrivo")]  # custody moved: it travels


def test_a_conflict_from_the_offline_queue_also_tells_the_scanner(net):
    donation = post(net)
    apply(net.near, "donation.claim", donation_id=donation.id)
    apply(net.near_no_cold, "crate.scan", source="offline", token=donation.crates[0].token, stage="pickup")
    assert "Bruno Bici" in who_got("conflict")


def test_too_warm_food_is_refused_and_the_store_and_coordinators_hear_of_it(net):
    donation = post(net, category="latticini", storage="chilled")
    apply(net.near, "donation.claim", donation_id=donation.id)
    result = ops.apply({"op_id": ops.new_op_id(), "kind": "crate.scan", "token": donation.crates[0].token,
                        "stage": "pickup", "temperature_c": 19, "occurred_at": utcnow().isoformat()}, net.near)
    assert result["code"] == "too_warm"
    assert who_got("too_warm") == ["Carla Coordina", "Sara Negozio"]
    assert "19 °C (limite 14 °C)" in db.session.scalar(select(Notification.body).where(Notification.kind == "too_warm"))


def _context(user, kind, donation, source="form", refusal="", events=()):
    now = utcnow()
    return Context(op_id=ops.new_op_id(), kind=kind, user=user, payload={"donation_id": donation.id},
                   occurred_at=now, received_at=now, source=source, donation_id=donation.id,
                   events=list(events), refusal=refusal)


def test_an_offline_action_refused_is_told_to_who_did_it(net):
    donation = post(net)
    apply(net.near, "donation.claim", donation_id=donation.id)
    notify.on_operation(_context(net.middle, "donation.claim", donation, source="offline", refusal="already_claimed"))
    notify.on_operation(_context(net.far, "donation.claim", donation, source="form", refusal="already_claimed"))
    db.session.commit()
    assert inbox_of(net.middle) == [("refused", "Azione offline non riuscita")]
    body = db.session.scalar(select(Notification.body).where(Notification.kind == "refused"))
    assert body.startswith("Prenotazione del ritiro fatta senza rete non è stata accettata: un altro volontario")
    assert inbox_of(net.far) == []  # online, they saw the refusal on screen


def test_the_subscriber_reads_the_state_not_the_event_names(net):
    donation = post(net)
    donation.status, donation.claimed_by_id = "claimed", net.near.id  # as an unknown handler might leave it
    db.session.commit()
    notify.on_operation(_context(net.near, "donation.claim", donation, events=[("renamed.event", {})]))
    db.session.commit()
    assert who_got("claimed") == ["Sara Negozio"]


# --- transactions and languages ------------------------------------------------------------

def test_notifications_commit_or_roll_back_with_their_operation(net):
    donation = post(net)

    def veto(ctx):
        if ctx.kind == "donation.claim":
            raise Refused("vetoed", "Rifiutata per prova.")

    SUBSCRIBERS.append(veto)
    try:
        result = ops.apply({"op_id": ops.new_op_id(), "kind": "donation.claim", "donation_id": donation.id,
                            "occurred_at": utcnow().isoformat()}, net.near)
    finally:
        SUBSCRIBERS.remove(veto)
    assert result["status"] == "refused"
    assert who_got("claimed") == []  # written in the claim's transaction, gone with it


def test_operations_replayed_into_the_past_are_history_not_news(net):
    donation = post(net)
    result = ops.apply({"op_id": ops.new_op_id(), "kind": "donation.claim", "donation_id": donation.id,
                        "occurred_at": (utcnow() - timedelta(days=3)).isoformat()}, net.near, backfill=True,
                       now=utcnow() - timedelta(days=3))
    assert result["status"] == "applied"
    assert who_got("claimed") == []


def test_a_failing_notification_never_blocks_the_operation(net, monkeypatch):
    donation = post(net)
    monkeypatch.setattr(notify, "_dispatch", lambda ctx: 1 / 0)
    apply(net.near, "donation.claim", donation_id=donation.id)
    assert db.session.get(Donation, donation.id).status == "claimed"


def test_each_recipient_gets_the_text_in_their_language(net, monkeypatch):
    net.clerk.locale = "en"
    second = net.clerk.__class__(email="altro@example.org", name="Altro", locale=None)
    db.session.add(second)
    db.session.commit()
    seen = {}

    def spy():
        seen[len(seen)] = str(get_locale())
        return "t", "b"

    inbox.notify([net.clerk, second], "test", "test", spy)
    assert sorted(seen.values()) == ["en", "it"]


def test_one_delivery_per_device(net, fake_push):
    push.save_subscription(net.clerk, fake_push.subscription())
    push.save_subscription(net.clerk, fake_push.subscription())
    donation = post(net)
    apply(net.near, "donation.claim", donation_id=donation.id)
    [row] = db.session.scalars(select(Notification).where(Notification.kind == "claimed")).all()
    assert len(row.deliveries) == 2
    assert db.session.query(PushDelivery).count() == 2


# --- event reminders -------------------------------------------------------------------------

def test_event_reminders_reach_rsvps_with_an_account_once(net):
    now = utcnow()
    event = Event(slug="cena-solidale", title="Cena solidale", status="published", publish_at=now - timedelta(days=1),
                  starts_at=now + timedelta(hours=20), ends_at=now + timedelta(hours=23), place_name="Piazza Maggiore",
                  municipality="Bologna")
    db.session.add(event)
    db.session.flush()
    for i, user in enumerate((net.near, None)):
        db.session.add(Rsvp(event_id=event.id, name="Ospite", email=f"ospite{i}@example.org", people=1,
                            status="confirmed", token_hash=f"{i:064d}", user_id=user.id if user else None))
    db.session.commit()
    assert notify.remind_events(now=now) == 1
    assert notify.remind_events(now=now) == 0
    [row] = db.session.scalars(select(Notification).where(Notification.kind == "event_reminder")).all()
    assert row.user_id == net.near.id and row.title == "Promemoria: Cena solidale"
    assert "Piazza Maggiore" in row.body and row.url == "/eventi/cena-solidale"


def test_texts_say_today_and_tomorrow(app):
    now = utcnow().replace(hour=10, minute=0)
    assert texts.when(now + timedelta(minutes=30), now=now).startswith("oggi alle ")
    assert texts.when(now + timedelta(days=1), now=now).startswith("domani alle ")
