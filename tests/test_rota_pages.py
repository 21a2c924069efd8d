"""The rota's pages per role (allowed and refused), the forms through the engine, and the calendar feed."""
from datetime import timedelta

import pytest
from icalendar import Calendar

from app.extensions import db
from app.models import Donation
from app.models.base import utcnow
from app.models.rota import PickupSchedule, Slot, SlotSignup
from tests.rota_helpers import joined, rota, send, slots_of, soon_schedule  # noqa: F401


@pytest.mark.parametrize("path, allowed", [
    ("/volontario/turni", ("volunteer", "coordinator")),
    ("/coordinamento/turni", ("coordinator",)),
    ("/coordinamento/turni/nuovo", ("coordinator",)),
    ("/negozio/turni", ("store",)),  # a coordinator has no store of their own: the store pages say so
    ("/negozio/turni/proposta", ("store",)),
    ("/ente/turni", ("charity",)),  # the charity's own scheduled pickups (a coordinator has no charity)
])
@pytest.mark.parametrize("role", ["volunteer", "coordinator", "store", "charity"])
def test_rota_pages_per_role(client, rota, login_as, path, allowed, role):
    user = {"volunteer": rota.volunteer, "coordinator": lambda: rota.coordinator, "store": lambda: rota.clerk,
            "charity": lambda: rota.charity_staff}[role]()
    soon_schedule(rota, utcnow(), hours_ahead=3)
    login_as(user)
    response = client.get(path)
    if role in allowed:
        assert response.status_code == 200, (path, role)
    else:
        assert response.status_code == 403, (path, role)


def test_pages_need_a_login(client):
    for path in ("/volontario/turni", "/coordinamento/turni", "/negozio/turni"):
        assert client.get(path).status_code in (302, 401)


def test_volunteer_joins_and_leaves_through_the_forms(client, rota, login_as):
    _schedule, slot = soon_schedule(rota, utcnow(), hours_ahead=30)
    volunteer = login_as(rota.volunteer())
    page = client.get("/volontario/turni").get_data(as_text=True)
    assert f'data-op-slot-id="{slot.id}"' in page and 'data-op-kind="slot.join"' in page
    response = client.post(f"/volontario/turni/{slot.id}/partecipa", data={"op_id": "form-join-0001"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Ci sei" in response.get_data(as_text=True)
    assert joined(slot.id) == [volunteer.id]
    response = client.post(f"/volontario/turni/{slot.id}/lascia", data={"op_id": "form-leave-001"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and joined(slot.id) == []
    again = client.post(f"/volontario/turni/{slot.id}/lascia", data={"op_id": "form-leave-002"},
                        headers={"HX-Request": "true"})
    assert again.status_code == 409 and "Non sei iscritto" in again.get_data(as_text=True)


def test_home_page_lists_my_next_slots(client, rota, login_as):
    _schedule, slot = soon_schedule(rota, utcnow(), hours_ahead=30)
    volunteer = login_as(rota.volunteer())
    send(volunteer, "slot.join", slot_id=slot.id)
    page = client.get("/volontario/").get_data(as_text=True)
    assert "I tuoi prossimi turni" in page and rota.store.name in page


def test_coordinator_creates_a_schedule_from_the_form_and_sees_the_week(client, rota, login_as):
    login_as(rota.coordinator)
    today = utcnow().date()
    response = client.post("/coordinamento/turni/nuovo", data={
        "store_id": rota.store.id, "weekdays": ["0", "1", "2", "3", "4", "5", "6"], "start_time": "19:00",
        "end_time": "20:00", "places": "2", "valid_from": today.isoformat(), "skip_holidays": ["0"],
        "storages": ["ambient"], "op_id": "form-sched-001"})
    assert response.status_code == 302
    schedule = db.session.scalar(db.select(PickupSchedule))
    assert schedule.skip_holidays is False and len(slots_of(schedule.id)) >= 28
    week = client.get("/coordinamento/turni").get_data(as_text=True)
    assert rota.store.name in week and "Nessuno" in week
    bad = client.post("/coordinamento/turni/nuovo", data={"store_id": rota.store.id, "start_time": "19:00",
                                                          "end_time": "18:00", "places": "2",
                                                          "valid_from": today.isoformat(), "weekdays": ["1"]})
    assert bad.status_code == 422 and "finire dopo" in bad.get_data(as_text=True)


def test_store_today_shows_who_is_coming_and_nothing_today_closes(client, rota, login_as):
    _schedule, slot = soon_schedule(rota, utcnow(), hours_ahead=1)
    volunteer = rota.volunteer(name="Giulia Bianchi")
    send(volunteer, "slot.join", slot_id=slot.id)
    login_as(rota.clerk)
    page = client.get("/negozio/").get_data(as_text=True)
    assert "Ritiri programmati di oggi" in page and "Giulia Bianchi" in page
    form = client.get(f"/negozio/nuova?turno={slot.id}").get_data(as_text=True)
    assert f'name="slot_id" value="{slot.id}"' in form
    response = client.post(f"/negozio/turni/{slot.id}/niente-oggi", data={"op_id": "form-nothing-01"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).status == "nothing"


def test_another_stores_slot_is_refused(client, rota, login_as):
    _schedule, slot = soon_schedule(rota, utcnow(), hours_ahead=1)
    login_as(rota.make_user("store"))
    assert client.post(f"/negozio/turni/{slot.id}/niente-oggi", data={}).status_code == 403
    assert client.get(f"/negozio/nuova?turno={slot.id}").status_code == 403


def test_the_prefilled_form_posts_a_donation_born_claimed(client, rota, login_as):
    _schedule, slot = soon_schedule(rota, utcnow(), hours_ahead=1, recipient_id=rota.charity.id)
    volunteer = rota.volunteer()
    send(volunteer, "slot.join", slot_id=slot.id)
    login_as(rota.clerk)
    from app.services.food.donations import local

    start, end = local(slot.window_start), local(slot.window_end)
    response = client.post("/negozio/nuova", data={
        "op_id": "form-post-slot-1", "slot_id": slot.id, "category": "dispensa", "storage": "ambient",
        "description": "Pasta", "kg": "5", "crates": "1", "date_kind": "none", "window_day": start.date().isoformat(),
        "window_from": start.strftime("%H:%M"), "window_to": end.strftime("%H:%M"), "recipient_id": rota.charity.id})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    donation = db.session.scalar(db.select(Donation))
    assert donation.status == "claimed" and donation.claimed_by_id == volunteer.id


def test_the_calendar_feed_lists_my_slots_in_rome_time_and_refuses_a_revoked_token(client, rota, login_as):
    _schedule, slot = soon_schedule(rota, utcnow(), hours_ahead=30)
    volunteer = login_as(rota.volunteer())
    send(volunteer, "slot.join", slot_id=slot.id)
    response = client.post("/volontario/turni/calendario", data={})
    assert response.status_code == 302
    from urllib.parse import parse_qs, urlparse

    feed = parse_qs(urlparse(response.headers["Location"]).query)["feed"][0]
    path = urlparse(feed).path
    client.get("/auth/logout")
    body = client.get(path)
    assert body.status_code == 200 and body.mimetype == "text/calendar"
    calendar = Calendar.from_ical(body.data)
    [event] = [c for c in calendar.walk("VEVENT")]
    assert str(event["dtstart"].params.get("TZID")) == "Europe/Rome"
    assert event.decoded("dtstart") == slot.window_start
    assert rota.store.name in str(event["summary"])
    assert len(body.data) < 20000
    login_as(volunteer)
    client.post("/volontario/turni/calendario/revoca", data={})
    assert client.get(path).status_code == 404
    assert client.get("/calendario/not-a-token.ics").status_code == 404


def test_the_feed_keeps_to_a_window(app, rota):
    from app.services.rota import calendar

    _schedule, slot = soon_schedule(rota, utcnow(), hours_ahead=30)
    volunteer = rota.volunteer()
    send(volunteer, "slot.join", slot_id=slot.id)
    assert calendar.feed_slots(volunteer, now=utcnow() + timedelta(days=30)) == []
    assert [s.id for s in calendar.feed_slots(volunteer)] == [slot.id]


@pytest.mark.parametrize("path, role", [("/volontario/turni", "volunteer"), ("/coordinamento/turni", "coordinator"),
                                        ("/negozio/turni", "store"), ("/negozio/", "store")])
def test_rota_pages_in_english(client, rota, login_as, path, role):
    user = {"volunteer": rota.volunteer, "coordinator": lambda: rota.coordinator, "store": lambda: rota.clerk}[role]()
    user.locale = "en"
    db.session.commit()
    _schedule, slot = soon_schedule(rota, utcnow(), hours_ahead=1)
    login_as(user)
    page = client.get(path).get_data(as_text=True)
    english = {"/volontario/turni": "Next two weeks", "/coordinamento/turni": "This week's slots",
               "/negozio/turni": "Pickup schedules", "/negozio/": "Today's scheduled pickups"}[path]
    assert english in page.replace("&#39;", "'")


def test_the_charity_records_a_no_show_from_its_page(client, rota, login_as):
    now = utcnow()
    _schedule, slot = soon_schedule(rota, now, hours_ahead=3, recipient_id=rota.charity.id)
    volunteer = rota.volunteer(name="Marco Neri")
    send(volunteer, "slot.join", slot_id=slot.id)
    db.session.execute(db.update(Slot).where(Slot.id == slot.id).values(
        window_start=now - timedelta(hours=1), window_end=now + timedelta(minutes=30)))
    db.session.commit()
    login_as(rota.charity_staff)
    page = client.get("/ente/turni").get_data(as_text=True)
    assert "Marco Neri non si è presentato" in page
    response = client.post(f"/ente/turni/{slot.id}/non-presentato", data={"user_id": volunteer.id})
    assert response.status_code == 302
    assert joined(slot.id) == []
    late = rota.volunteer()
    db.session.add(SlotSignup(slot_id=slot.id, user_id=late.id, status="joined"))
    db.session.commit()
    login_as(rota.make_user("charity"))  # another charity: the engine refuses
    assert client.post(f"/ente/turni/{slot.id}/non-presentato", data={"user_id": late.id}).status_code == 302
    assert late.id in joined(slot.id)
    assert db.session.scalar(db.select(db.func.count()).select_from(SlotSignup).where(
        SlotSignup.status == "no_show")) == 1


def test_the_gdpr_export_has_the_rota(rota):
    from app.services.people.accounts import export_user_data

    _schedule, slot = soon_schedule(rota, utcnow(), hours_ahead=30)
    volunteer = rota.volunteer()
    send(volunteer, "slot.join", slot_id=slot.id)
    send(volunteer, "slot.absence", date_from=(slot.day + timedelta(days=5)).isoformat(),
         date_to=(slot.day + timedelta(days=6)).isoformat())
    data = export_user_data(volunteer)["rota"]
    assert data["signups"][0]["store"] == rota.store.name and len(data["absences"]) == 1


def test_the_rota_page_reads_a_fixed_number_of_statements_whatever_the_slots(client, rota, login_as, app):
    from sqlalchemy import event

    send(rota.coordinator, "rota.settings", weekly_cap=2, cap_lift_hours=12, trial_pickups=3)
    login_as(rota.volunteer(experienced=False))

    def statements():
        counted = []
        listener = lambda conn, cursor, statement, *args: statement != "BEGIN" and counted.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/volontario/turni").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(counted)

    def another_store_with_a_volunteer():
        store = rota.make_user("store").org_for("store")
        schedule = rota.schedule(store_id=store.id, weekdays=[], rrule="FREQ=DAILY", skip_holidays=False,
                                 valid_from=utcnow().date().isoformat())
        send(rota.volunteer(), "slot.join", slot_id=slots_of(schedule.id)[1].id)

    another_store_with_a_volunteer()  # 14 slots on the page
    few = statements()
    for _ in range(3):
        another_store_with_a_volunteer()
    assert statements() == few  # 56 slots, four other volunteers on them: the same reads
