"""The declared fields of the rota's operation kinds (app/services/ops/schemas.py checks them).

They say what each field must look like; the handlers still apply the rota's
rules and give their own Italian messages (docs/api.md, "The rota").
"""
from app.services.ops.schemas import Day, Flag, Id, Items, Names, Number, OpFields, Text


class ScheduleFields(OpFields):
    """schedule.create and schedule.propose (all optional in an edit)."""

    store_id: Id = None
    weekdays: Items = None
    rrule: Text = None
    start_time: Text = None
    end_time: Text = None
    places: Number = None
    valid_from: Day = None
    valid_until: Day = None
    skip_holidays: Flag = None
    exceptions: Items = None
    recipient_id: Id = None
    storages: Names = None
    notes: Text = None
    schedule_id: Id = None


class ScheduleDecision(OpFields):
    schedule_id: Id = None
    decision: Text = None


class RotaSettings(OpFields):
    weekly_cap: Number = None
    cap_lift_hours: Number = None
    trial_pickups: Number = None


class UserRef(OpFields):
    user_id: Id = None


class SlotRef(OpFields):
    slot_id: Id = None


class SlotLeave(SlotRef):
    reason: Text = None


class SlotNoShow(SlotRef):
    user_id: Id = None


class StandingFields(OpFields):
    schedule_id: Id = None
    weekday: Number = None


class StandingRef(OpFields):
    standing_id: Id = None


class AbsenceFields(OpFields):
    date_from: Day = None
    date_to: Day = None
    note: Text = None
