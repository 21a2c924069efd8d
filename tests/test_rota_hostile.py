"""Hostile values in every field of every rota kind: a clear refusal (or a harmless success), never a crash."""
import pytest

from app.extensions import db
from app.models.rota import PickupSchedule, Slot
from tests.rota_helpers import TUESDAY, rota, schedule_payload, send, slots_of  # noqa: F401

# NaN is left out: the engine's log stores the payload as JSON, which PostgreSQL refuses with NaN
# in it, for every kind; issue 16's guard on hostile values rejects it before any handler runs.
HOSTILE = [None, [], {}, {"$gt": 1}, "x" * 5000, "\x00", "1\x00", -1, 0, 2 ** 63, 1.5, True,
           "9999-99-99", "1900-01-01", "<script>", ["1", {"a": 1}], "25:99"]
KINDS = {
    "schedule.create": ("coordinator", ("store_id", "weekdays", "rrule", "start_time", "end_time", "places",
                                        "valid_from", "valid_until", "exceptions", "storages", "recipient_id",
                                        "skip_holidays", "notes")),
    "schedule.edit": ("coordinator", ("schedule_id", "weekdays", "rrule", "places", "valid_until")),
    "schedule.decide": ("coordinator", ("schedule_id", "decision")),
    "rota.settings": ("coordinator", ("weekly_cap", "cap_lift_hours", "trial_pickups")),
    "rota.confirm_trainee": ("coordinator", ("user_id",)),
    "slot.join": ("volunteer", ("slot_id",)),
    "slot.leave": ("volunteer", ("slot_id", "reason")),
    "slot.standing": ("volunteer", ("schedule_id", "weekday")),
    "slot.standing_end": ("volunteer", ("standing_id",)),
    "slot.absence": ("volunteer", ("date_from", "date_to", "note")),
    "slot.nothing_today": ("store", ("slot_id",)),
    "slot.no_show": ("store", ("slot_id", "user_id")),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_hostile_values_are_refused_cleanly(rota, kind):
    schedule = rota.schedule(now=TUESDAY)
    slot = slots_of(schedule.id)[0]
    volunteer = rota.volunteer()
    users = {"coordinator": rota.coordinator, "volunteer": volunteer, "store": rota.clerk}
    role, names = KINDS[kind]
    base = {**schedule_payload(rota.store), "schedule_id": schedule.id, "slot_id": slot.id, "weekday": 1,
            "decision": "approve", "weekly_cap": 1, "cap_lift_hours": 1, "trial_pickups": 1, "user_id": volunteer.id,
            "standing_id": 1, "date_from": "2026-12-10", "date_to": "2026-12-11"}
    for name in names:
        for value in HOSTILE:
            result = send(users[role], kind, now=TUESDAY, **{**base, name: value})
            assert result["status"] in ("applied", "refused", "duplicate"), (name, value, result)
            if result["status"] == "refused":
                assert result["code"] and result["message"], (name, value, result)
            db.session.rollback()
    # Nothing hostile got stored: every schedule still has sane fields.
    for item in db.session.scalars(db.select(PickupSchedule)):
        assert 1 <= item.places <= 4 and "\x00" not in (item.rrule + item.notes)
    assert all(s.places <= 4 for s in db.session.scalars(db.select(Slot)))
