"""Pickup schedules: recurrence with holidays and exceptions, idempotent generation, edits, proposals."""
from datetime import date, timedelta

import pytest

from app.extensions import db
from app.models import Notification
from app.models.rota import PickupSchedule
from app.services.rota.generate import generate_all
from tests.rota_helpers import TUESDAY, local_start, rota, send, slots_of  # noqa: F401


def test_tuesday_and_friday_schedule_skips_a_national_holiday_and_an_added_exception(rota):
    schedule = rota.schedule(now=TUESDAY, exceptions=["2026-12-15"])
    days = [s.day for s in slots_of(schedule.id)]
    # 8 December (Immacolata, a Tuesday) and 25 December (Christmas, a Friday) are national holidays;
    # 15 December is the coordinator's exception; the horizon is 4 weeks (29 December).
    assert days == [date(2026, 12, 1), date(2026, 12, 4), date(2026, 12, 11), date(2026, 12, 18),
                    date(2026, 12, 22), date(2026, 12, 29)]
    for slot in slots_of(schedule.id):
        start = local_start(slot)
        assert (start.hour, start.minute) == (19, 0)
        assert slot.window_end - slot.window_start == timedelta(hours=1)
        assert slot.places == 2 and slot.status == "open"


def test_regenerating_twice_creates_no_duplicate(rota):
    schedule = rota.schedule(now=TUESDAY)
    before = [s.id for s in slots_of(schedule.id)]
    assert generate_all(TUESDAY) == 0
    assert generate_all(TUESDAY + timedelta(hours=1)) == 0
    assert [s.id for s in slots_of(schedule.id)] == before


def test_a_week_later_the_worker_adds_only_the_new_week(rota):
    schedule = rota.schedule(now=TUESDAY)
    assert generate_all(TUESDAY + timedelta(days=7)) == 1  # 1 January is a holiday: only Tuesday 5th
    assert slots_of(schedule.id)[-1].day == date(2027, 1, 5)


def test_an_rrule_every_other_saturday(rota):
    schedule = rota.schedule(now=TUESDAY, weekdays=[], rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=SA")
    assert [s.day for s in slots_of(schedule.id)] == [date(2026, 12, 5), date(2026, 12, 19)]


@pytest.mark.parametrize("fields, code, field", [
    ({"weekdays": [], "rrule": ""}, "invalid", "weekdays"),
    ({"weekdays": [], "rrule": "FREQ=MINUTELY"}, "invalid", "rrule"),
    ({"weekdays": [], "rrule": "FREQ=WEEKLY;BYDAY=XX"}, "invalid", "rrule"),
    ({"weekdays": [], "rrule": "FREQ=DAILY\x00"}, "invalid", "rrule"),
    ({"weekdays": [7]}, "invalid", "weekdays"),
    ({"start_time": "25:00"}, "invalid", "start_time"),
    ({"start_time": "20:00", "end_time": "19:00"}, "window_order", "end_time"),
    ({"places": 5}, "invalid", "places"),
    ({"places": True}, "invalid", "places"),
    ({"valid_from": "1026-12-01"}, "invalid", "valid_from"),
    ({"valid_until": "2026-11-01"}, "invalid", "valid_until"),
    ({"exceptions": ["2026-13-01"]}, "invalid", "exceptions"),
    ({"storages": ["warm"]}, "invalid", "storages"),
    ({"notes": "a\x00b"}, "invalid", "notes"),
    ({"recipient_id": 999999}, "unknown_recipient", "recipient_id"),
])
def test_bad_schedule_fields_are_refused_with_the_field(rota, fields, code, field):
    from tests.rota_helpers import schedule_payload

    result = send(rota.coordinator, "schedule.create", now=TUESDAY, **schedule_payload(rota.store, **fields))
    assert result["status"] == "refused" and result["code"] == code and result["field"] == field
    assert result["message"]
    assert db.session.scalar(db.select(db.func.count()).select_from(PickupSchedule)) == 0


def test_only_coordinators_create_and_edit_schedules(rota):
    from tests.rota_helpers import schedule_payload

    volunteer = rota.volunteer()
    for user in (rota.clerk, volunteer, rota.charity_staff):
        result = send(user, "schedule.create", now=TUESDAY, **schedule_payload(rota.store))
        assert result["code"] == "not_allowed"
    schedule = rota.schedule(now=TUESDAY)
    assert send(rota.clerk, "schedule.edit", now=TUESDAY, schedule_id=schedule.id, places=1)["code"] == "not_allowed"


def test_editing_regenerates_free_slots_and_tells_signed_up_volunteers_what_changed(rota):
    from app.models.base import utcnow

    now = utcnow()
    start = now.date() + timedelta(days=1)
    schedule = rota.schedule(now=now, weekdays=[], rrule="FREQ=DAILY", valid_from=start.isoformat(),
                             skip_holidays=False)
    first, second, third = slots_of(schedule.id)[:3]
    volunteer = rota.volunteer()
    assert send(volunteer, "slot.join", slot_id=first.id)["status"] == "applied"
    assert send(volunteer, "slot.join", slot_id=second.id)["status"] == "applied"
    # Every other day from tomorrow at 18:00: the second day disappears, the first moves.
    result = send(rota.coordinator, "schedule.edit", schedule_id=schedule.id, rrule="FREQ=DAILY;INTERVAL=2",
                  start_time="18:00", end_time="19:00")
    assert result["status"] == "applied", result
    assert set(result["changed"]) >= {"rrule", "start_time", "end_time"}
    by_id = {s.id: s for s in slots_of(schedule.id)}
    assert by_id[first.id].status == "open" and local_start(by_id[first.id]).hour == 18
    assert by_id[second.id].status == "cancelled"
    third_again = next(s for s in by_id.values() if s.day == third.day)
    assert local_start(third_again).hour == 18
    [note] = db.session.scalars(db.select(Notification).where(Notification.user_id == volunteer.id,
                                                              Notification.kind == "schedule_changed")).all()
    assert "soppresso" in note.body and "18:00" in note.body


def test_a_store_proposes_and_the_coordinator_approves(rota):
    from tests.rota_helpers import schedule_payload

    payload = schedule_payload(rota.store)
    result = send(rota.clerk, "schedule.propose", now=TUESDAY, **payload)
    assert result["status"] == "applied"
    proposal = db.session.get(PickupSchedule, result["schedule_id"])
    assert proposal.status == "proposed" and slots_of(proposal.id) == []
    other_store_clerk = rota.make_user("store")
    assert send(other_store_clerk, "schedule.decide", now=TUESDAY, schedule_id=proposal.id,
                decision="approve")["code"] == "not_allowed"
    decided = send(rota.coordinator, "schedule.decide", now=TUESDAY, schedule_id=proposal.id, decision="approve")
    assert decided["status"] == "applied" and decided["slots_created"] == 7
    again = send(rota.coordinator, "schedule.decide", now=TUESDAY, schedule_id=proposal.id, decision="reject")
    assert again["code"] == "wrong_state"


def test_a_proposed_change_applies_to_the_existing_schedule_on_approval(rota):
    schedule = rota.schedule(now=TUESDAY)
    result = send(rota.clerk, "schedule.propose", now=TUESDAY, schedule_id=schedule.id, places=1)
    decided = send(rota.coordinator, "schedule.decide", now=TUESDAY, schedule_id=result["schedule_id"],
                   decision="approve")
    assert decided["changed"] == ["places"] and decided["schedule_id"] == schedule.id
    assert {s.places for s in slots_of(schedule.id)} == {1}
