"""Sign-ups: join and leave, the weekly cap, trial pickups, standing sign-ups, absences, on the day."""
from datetime import timedelta

from app.extensions import db
from app.models import Donation, Notification, Operation
from app.models.base import utcnow
from app.models.rota import Slot, SlotSignup
from tests.rota_helpers import TUESDAY, joined, rota, send, slots_of, soon_schedule  # noqa: F401


def _notes(user, kind):
    return db.session.scalars(db.select(Notification).where(Notification.user_id == user.id,
                                                            Notification.kind == kind)).all()


def test_join_takes_a_place_and_a_replay_returns_the_first_answer(rota):
    slot = slots_of(rota.schedule(now=TUESDAY).id)[0]
    volunteer = rota.volunteer()
    first = send(volunteer, "slot.join", now=TUESDAY, op_id="join-op-0001", slot_id=slot.id)
    assert first["status"] == "applied" and first["free_places"] == 1
    again = send(volunteer, "slot.join", now=TUESDAY, op_id="join-op-0001", slot_id=slot.id)
    assert again["status"] == "duplicate" and again["original_status"] == "applied"
    assert joined(slot.id) == [volunteer.id]
    assert send(volunteer, "slot.join", now=TUESDAY, slot_id=slot.id)["code"] == "already_joined"


def test_a_full_slot_refuses_with_slot_full(rota):
    slot = slots_of(rota.schedule(now=TUESDAY, places=1).id)[0]
    assert send(rota.volunteer(), "slot.join", now=TUESDAY, slot_id=slot.id)["status"] == "applied"
    result = send(rota.volunteer(), "slot.join", now=TUESDAY, slot_id=slot.id)
    assert result["code"] == "slot_full" and "posti" in result["message"]


def test_join_is_refused_to_the_wrong_people_and_for_bad_ids(rota):
    slot = slots_of(rota.schedule(now=TUESDAY).id)[0]
    assert send(rota.clerk, "slot.join", now=TUESDAY, slot_id=slot.id)["code"] == "not_allowed"
    pending = rota.make_user("volunteer", volunteer_status="pending")
    assert send(pending, "slot.join", now=TUESDAY, slot_id=slot.id)["code"] == "not_approved"
    volunteer = rota.volunteer()
    for bad in ("x", -1, 2 ** 40, None, True, "1\x00"):
        assert send(volunteer, "slot.join", now=TUESDAY, slot_id=bad)["code"] == "invalid"
    assert send(volunteer, "slot.join", now=TUESDAY, slot_id=999999)["code"] == "unknown_slot"


def test_cold_schedules_need_cold_transport(rota):
    slot = slots_of(rota.schedule(now=TUESDAY, storages=["chilled"]).id)[0]
    car = rota.volunteer(cold_transport=False)
    assert send(car, "slot.join", now=TUESDAY, slot_id=slot.id)["code"] == "no_cold_transport"


def test_the_weekly_cap_is_enforced_and_lifts_before_an_empty_slot(rota, monkeypatch, app):
    schedule = rota.schedule(now=TUESDAY, places=1)
    tue, fri, next_tue = slots_of(schedule.id)[:3]
    coordinator = rota.coordinator
    assert send(coordinator, "rota.settings", now=TUESDAY, weekly_cap=1, cap_lift_hours=12,
                trial_pickups=0)["status"] == "applied"
    volunteer = rota.volunteer()
    assert send(volunteer, "slot.join", now=TUESDAY, slot_id=tue.id)["status"] == "applied"
    refused = send(volunteer, "slot.join", now=TUESDAY, slot_id=fri.id)
    assert refused["code"] == "weekly_cap" and "settimana" in refused["message"]
    assert send(volunteer, "slot.join", now=TUESDAY, slot_id=next_tue.id)["status"] == "applied"  # another week
    # Friday 19:00 Italian time minus 12 h: the slot is still empty, the cap no longer holds.
    lifted = fri.window_start - timedelta(hours=12)
    assert send(volunteer, "slot.join", now=lifted - timedelta(minutes=1), slot_id=fri.id)["code"] == "weekly_cap"
    assert send(volunteer, "slot.join", now=lifted, slot_id=fri.id)["status"] == "applied"


def test_the_cap_is_enforced_through_the_api_too(rota, client, login_as):
    slot_a, slot_b = slots_of(rota.schedule(now=TUESDAY).id)[:2]
    send(rota.coordinator, "rota.settings", weekly_cap=1, cap_lift_hours=0, trial_pickups=0)
    volunteer = login_as(rota.volunteer())
    send(volunteer, "slot.join", now=TUESDAY, slot_id=slot_a.id)
    response = client.post("/api/ops", json={"ops": [{"op_id": "api-join-0001", "kind": "slot.join",
                                                      "slot_id": slot_b.id}]})
    [result] = response.get_json()["results"]
    assert result["code"] == "weekly_cap"


def test_a_trainee_joins_only_where_an_experienced_volunteer_is(rota):
    slot, other = slots_of(rota.schedule(now=TUESDAY).id)[:2]
    trainee = rota.volunteer(experienced=False)
    refused = send(trainee, "slot.join", now=TUESDAY, slot_id=slot.id)
    assert refused["code"] == "trial_needs_experienced" and "affiancamento" in refused["message"]
    another_trainee = rota.volunteer(experienced=False)
    assert send(another_trainee, "slot.join", now=TUESDAY, slot_id=other.id)["code"] == "trial_needs_experienced"
    assert send(rota.volunteer(), "slot.join", now=TUESDAY, slot_id=slot.id)["status"] == "applied"
    assert send(trainee, "slot.join", now=TUESDAY, slot_id=slot.id)["status"] == "applied"
    # Confirmed by the coordinator: alone from now on.
    assert send(trainee, "rota.confirm_trainee", now=TUESDAY, user_id=trainee.id)["code"] == "not_allowed"
    assert send(rota.coordinator, "rota.confirm_trainee", now=TUESDAY, user_id=trainee.id)["status"] == "applied"
    assert send(trainee, "slot.join", now=TUESDAY, slot_id=other.id)["status"] == "applied"


def test_a_standing_signup_holds_the_weekdays_future_slots(rota):
    schedule = rota.schedule(now=TUESDAY)
    volunteer = rota.volunteer()
    result = send(volunteer, "slot.standing", now=TUESDAY, schedule_id=schedule.id, weekday=1)
    assert result["status"] == "applied", result
    tuesdays = [s.id for s in slots_of(schedule.id) if s.day.weekday() == 1]
    assert result["slots"] == tuesdays
    assert all(joined(s) == [volunteer.id] for s in tuesdays)
    assert all(joined(s.id) == [] for s in slots_of(schedule.id) if s.day.weekday() == 4)
    assert send(volunteer, "slot.standing", now=TUESDAY, schedule_id=schedule.id, weekday=1)["code"] == "already_joined"
    # A week later the worker adds a Tuesday: the standing sign-up takes it.
    from app.services.rota.generate import generate_all

    generate_all(TUESDAY + timedelta(days=7))
    newest = slots_of(schedule.id)[-1]
    assert newest.day.weekday() == 1 and joined(newest.id) == [volunteer.id]
    # Leaving one slot keeps the others; ending the standing sign-up gives back the rest.
    assert send(volunteer, "slot.leave", now=TUESDAY, slot_id=tuesdays[1], reason="")["status"] == "applied"
    assert joined(tuesdays[1]) == [] and joined(tuesdays[2]) == [volunteer.id]
    ended = send(volunteer, "slot.standing_end", now=TUESDAY, standing_id=result["standing_id"])
    assert ended["status"] == "applied" and tuesdays[2] in ended["released"]
    assert joined(tuesdays[2]) == []


def test_an_absence_opens_the_slots_in_its_range_and_tells_nearby_volunteers(rota):
    now = utcnow()
    schedule, slot = soon_schedule(rota, now, hours_ahead=30)
    volunteer, neighbour = rota.volunteer(), rota.volunteer()
    far = rota.volunteer()
    far.volunteer.base_lat, far.volunteer.base_lon = 45.74, 7.32  # Aosta, 300 km away
    db.session.commit()
    send(volunteer, "slot.standing", schedule_id=schedule.id, weekday=slot.day.weekday())
    later = [s for s in slots_of(schedule.id) if s.day.weekday() == slot.day.weekday()]
    assert all(volunteer.id in joined(s.id) for s in later)
    result = send(volunteer, "slot.absence", date_from=slot.day.isoformat(),
                  date_to=(slot.day + timedelta(days=3)).isoformat(), note="Vacanza")
    assert result["status"] == "applied", result
    assert result["released"] == [slot.id]
    assert joined(slot.id) == [] and volunteer.id in joined(later[1].id)
    [note] = _notes(neighbour, "slot_open")
    assert note.topic == "new_donation" and not note.urgent and rota.store.name in note.body
    assert _notes(far, "slot_open") == [] and _notes(volunteer, "slot_open") == []
    # Absent that day: cannot join it again, and the engine refuses bad ranges.
    assert send(volunteer, "slot.join", slot_id=slot.id)["code"] == "absent"
    assert send(volunteer, "slot.absence", date_from="2026-12-10", date_to="2026-12-01")["code"] == "invalid"
    assert send(volunteer, "slot.absence", date_from="9999-01-01", date_to="9999-01-02")["code"] == "invalid"


def test_an_opening_under_24_hours_is_urgent_and_a_late_leave_flags_the_coordinator(rota):
    now = utcnow()
    _schedule, slot = soon_schedule(rota, now, hours_ahead=1.5)
    volunteer, neighbour = rota.volunteer(), rota.volunteer()
    send(volunteer, "slot.join", slot_id=slot.id)
    result = send(volunteer, "slot.leave", slot_id=slot.id, reason="Auto in panne")
    assert result["status"] == "applied" and result["late"] is True
    [note] = _notes(neighbour, "slot_open")
    assert note.urgent and note.topic == "urgent"
    [alert] = _notes(rota.coordinator, "late_leave")
    assert "Auto in panne" in alert.body
    assert db.session.scalar(db.select(SlotSignup.left_late).where(SlotSignup.slot_id == slot.id)) is True


def test_nothing_today_closes_the_slot_tells_the_volunteer_and_is_not_a_no_show(rota):
    now = utcnow()
    _schedule, slot = soon_schedule(rota, now, hours_ahead=3)
    volunteer = rota.volunteer()
    send(volunteer, "slot.join", slot_id=slot.id)
    assert send(volunteer, "slot.nothing_today", slot_id=slot.id)["code"] == "not_allowed"
    assert send(rota.make_user("store"), "slot.nothing_today", slot_id=slot.id)["code"] == "not_allowed"
    result = send(rota.clerk, "slot.nothing_today", slot_id=slot.id)
    assert result["status"] == "applied"
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).status == "nothing"
    [note] = _notes(volunteer, "slot_nothing")
    assert "non andare" in note.body
    assert send(rota.clerk, "slot.nothing_today", slot_id=slot.id)["code"] == "slot_closed"
    from app.services.impact.health import rota_health

    figures = rota_health(slot.window_start, slot.window_start + timedelta(minutes=1))
    assert figures == {"slots": 1, "nothing_to_collect": 1, "slot_no_shows": 0}


def test_a_no_show_is_recorded_by_the_store_or_the_charity_and_counted(rota):
    now = utcnow()
    _schedule, slot = soon_schedule(rota, now, hours_ahead=3, recipient_id=rota.charity.id)
    volunteer, other = rota.volunteer(), rota.volunteer()
    send(volunteer, "slot.join", slot_id=slot.id)
    send(other, "slot.join", slot_id=slot.id)
    started = slot.window_start + timedelta(minutes=30)
    assert send(rota.clerk, "slot.no_show", now=started - timedelta(hours=1), slot_id=slot.id,
                user_id=volunteer.id)["code"] == "slot_not_started"
    assert send(other, "slot.no_show", now=started, slot_id=slot.id, user_id=volunteer.id)["code"] == "not_allowed"
    assert send(rota.clerk, "slot.no_show", now=started, slot_id=slot.id, user_id=volunteer.id)["status"] == "applied"
    assert send(rota.charity_staff, "slot.no_show", now=started, slot_id=slot.id,
                user_id=other.id)["status"] == "applied"
    assert send(rota.clerk, "slot.no_show", now=started, slot_id=slot.id, user_id=other.id)["code"] == "not_joined"
    from app.services.impact.health import rota_health

    assert rota_health(slot.window_start, slot.window_end)["slot_no_shows"] == 2


def _post_fields(slot, **extra):
    return {"category": "dispensa", "storage": "ambient", "description": "Pane del giorno", "kg": 8, "crates": 2,
            "date_kind": "none", "window_start": slot.window_start.isoformat(),
            "window_end": slot.window_end.isoformat(), "slot_id": slot.id, **extra}


def test_the_prefilled_post_is_born_claimed_by_the_signed_up_volunteer(rota):
    now = utcnow()
    _schedule, slot = soon_schedule(rota, now, hours_ahead=3, recipient_id=rota.charity.id)
    volunteer = rota.volunteer()
    send(volunteer, "slot.join", slot_id=slot.id)
    result = send(rota.clerk, "donation.post", recipient_id=rota.charity.id, **_post_fields(slot))
    assert result["status"] == "applied", result
    donation = rota.donation(result["donation_id"])
    assert donation.status == "claimed" and donation.claimed_by_id == volunteer.id
    assert donation.posted_by_id == rota.clerk.id and donation.store_id == rota.store.id
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).status == "posted"
    assert db.session.get(Slot, slot.id).donation_id == donation.id
    [note] = _notes(volunteer, "slot_posted")
    assert "prenotato a tuo nome" in note.body
    assert send(rota.clerk, "donation.post", **_post_fields(slot))["code"] == "slot_closed"


def test_a_slot_nobody_signed_up_for_posts_an_open_donation(rota):
    now = utcnow()
    _schedule, slot = soon_schedule(rota, now, hours_ahead=3)
    result = send(rota.clerk, "donation.post", **_post_fields(slot))
    assert rota.donation(result["donation_id"]).status == "posted"


def test_the_volunteer_records_the_pickup_on_the_stores_behalf_once_the_window_opened(rota):
    now = utcnow()
    _schedule, slot = soon_schedule(rota, now, hours_ahead=3)
    volunteer, stranger = rota.volunteer(), rota.volunteer()
    send(volunteer, "slot.join", slot_id=slot.id)
    early = send(volunteer, "donation.post", **_post_fields(slot))
    assert early["code"] == "window_not_open"
    opened = slot.window_start + timedelta(minutes=10)
    assert send(stranger, "donation.post", now=opened, **_post_fields(slot))["code"] == "not_joined"
    result = send(volunteer, "donation.post", now=opened, **_post_fields(slot))
    assert result["status"] == "applied", result
    donation = rota.donation(result["donation_id"])
    assert donation.store_id == rota.store.id and donation.posted_by_id == volunteer.id
    assert donation.status == "claimed" and donation.claimed_by_id == volunteer.id
    entry = db.session.scalar(db.select(Operation).where(Operation.op_id == result["op_id"]))
    assert entry.user_id == volunteer.id and entry.donation_id == donation.id
    # The DDT names the store as donor, the volunteer as carrier and as the one who entered it.
    for crate in result["crates"]:
        assert send(volunteer, "crate.scan", now=opened, token=crate["token"], stage="pickup")["status"] == "applied"
    assert send(volunteer, "donation.pickup", now=opened, donation_id=donation.id)["status"] == "applied"
    from app.models import TransportDocument

    ddt = db.session.scalar(db.select(TransportDocument).where(TransportDocument.donation_id == donation.id))
    assert ddt.store_id == rota.store.id and ddt.snapshot["donor"]["name"] == rota.store.name
    assert ddt.snapshot["carrier"]["name"] == volunteer.name
    assert ddt.snapshot["entered_by"]["name"] == volunteer.name
    # Another store's id is refused, as for any post.
    assert send(volunteer, "donation.post", now=opened, store_id=999, **_post_fields(slot))["code"] in (
        "not_allowed", "slot_closed")
    assert db.session.scalar(db.select(db.func.count()).select_from(Donation)) == 1


def test_reminders_go_the_evening_before_and_two_hours_before_once_each(rota):
    from datetime import datetime, time

    from app.services.notify.rota import send_reminders
    from app.services.rota.recurrence import ROME

    now = utcnow()
    _schedule, slot = soon_schedule(rota, now, hours_ahead=30)
    volunteer = rota.volunteer()
    send(volunteer, "slot.join", slot_id=slot.id)
    day_before = slot.day - timedelta(days=1)
    afternoon = datetime.combine(day_before, time(15, 0), ROME)
    assert send_reminders(afternoon) == 0  # before 18:00 the day before: nothing yet
    evening = datetime.combine(day_before, time(19, 0), ROME)
    assert send_reminders(evening) == 1
    assert send_reminders(evening + timedelta(minutes=10)) == 0  # once
    soon = slot.window_start - timedelta(hours=1, minutes=50)
    assert send_reminders(soon) == 1
    assert send_reminders(soon + timedelta(minutes=10)) == 0
    titles = sorted(n.title for n in _notes(volunteer, "slot_reminder"))
    assert titles == ["Domani il tuo turno di ritiro", "Tra poco il tuo turno di ritiro"]


def test_the_pages_batch_count_of_experience_matches_the_engines(rota):
    from app.services.rota import fairness
    from tests.pickups_helpers import post_donation

    clerk, charity = rota.clerk, rota.charity
    volunteers = [rota.volunteer(experienced=False) for _ in range(3)]
    for n, volunteer in enumerate(volunteers):
        for _ in range(n + 1):  # 1, 2 and 3 completed pickups
            donation = post_donation(clerk, charity)
            db.session.execute(db.update(Donation).where(Donation.id == donation.id).values(
                status="picked_up", claimed_by_id=volunteer.id, holder_id=volunteer.id, picked_up_at=utcnow()))
    db.session.commit()
    rules = fairness.settings()
    lookups = fairness.Lookups(volunteers[0])
    lookups.prime([v.id for v in volunteers], rules)
    assert [lookups.experienced(v.id, rules) for v in volunteers] == [
        fairness.is_experienced(v.id, rules) for v in volunteers] == [False, False, True]


def test_trainees_are_the_approved_unconfirmed_volunteers_under_the_trial(app, make_user, make_org):
    """One statement at any size: claimed or held pickups count, confirmed and pending people do not show."""
    from app.models import Donation, TraineeConfirmation
    from app.models.base import utcnow
    from app.services.rota import queries
    from tests.pickups_helpers import post_donation

    store, charity = make_org("store"), make_org("charity")
    clerk = make_user("store", org=store)
    new, one, held, old, confirmed = (make_user("volunteer", name=n) for n in (
        "Anna Nuova", "Bruno Uno", "Carla Custode", "Dario Esperto", "Elena Confermata"))
    pending = make_user("volunteer", name="Franco Attesa")
    pending.volunteer.status = "pending"
    db.session.add(TraineeConfirmation(user_id=confirmed.id))

    def picked(claimer, holder=None):
        donation = post_donation(clerk, charity)
        donation.claimed_by_id, donation.holder_id = claimer.id, (holder or claimer).id
        donation.status, donation.picked_up_at = "picked_up", utcnow()
        return donation

    picked(one)
    picked(old), picked(old), picked(old)
    picked(old, holder=held)  # custody passed to Carla: it counts for her, not twice for Dario
    db.session.commit()
    got = [(user.name, done) for user, done in queries.trainees()]
    assert got == [("Anna Nuova", 0), ("Bruno Uno", 1), ("Carla Custode", 1)]
    assert db.session.scalar(db.select(db.func.count()).select_from(Donation).where(
        Donation.claimed_by_id == old.id)) == 4
