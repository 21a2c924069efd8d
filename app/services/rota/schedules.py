"""Handlers: schedule.create, schedule.edit, schedule.propose, schedule.decide, rota.settings,
rota.confirm_trainee.

Coordinators create and edit schedules; store staff propose one (or a change)
and a coordinator approves or rejects it. Editing regenerates the future slots
nobody holds and tells each signed-up volunteer exactly what changed.
"""
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.models.rota import PickupSchedule, RotaSettings, Slot, TraineeConfirmation
from app.services.ops.core import Refused, handler
from app.services.rota import fairness, fields, recurrence
from app.services.rota.generate import generate_schedule, horizon
from app.services.rota import op_fields as fields_of

COLUMNS = ("weekdays", "rrule", "start_time", "end_time", "skip_holidays", "exceptions", "recipient_id",
           "storages", "places", "valid_from", "valid_until", "notes")


def _schedule(ctx, name="schedule_id"):
    schedule = db.session.get(PickupSchedule, fields.row_id(ctx.payload, name))
    if schedule is None:
        raise Refused("unknown_schedule", _("Questo ritiro programmato non esiste."))
    return schedule


@handler("schedule.create", schema=fields_of.ScheduleFields)
def create(ctx):
    """A coordinator plans a store's recurring pickup; its slots are generated at once."""
    ctx.require_role("coordinator")
    store = fields.store(ctx.payload)
    values = fields.schedule_values(ctx.payload)
    schedule = PickupSchedule(store_id=store.id, status="active", created_at=ctx.received_at,
                              updated_at=ctx.received_at, decided_by_id=ctx.user.id, **values)
    db.session.add(schedule)
    db.session.flush()
    slots = generate_schedule(schedule, ctx.received_at)
    return {"schedule_id": schedule.id, "slots_created": len(slots)}


def apply_changes(ctx, schedule, values):
    """Change a schedule and its future slots; returns the changed columns.

    Future slots nobody holds are deleted and generated again; a held slot whose
    day still occurs takes the new window, one whose day is gone is cancelled.
    Each signed-up volunteer gets the list of their slots that changed.
    """
    changed = [c for c in COLUMNS if values[c] != getattr(schedule, c)]
    for column in changed:
        setattr(schedule, column, values[column])
    schedule.updated_at = ctx.received_at
    if not changed:
        return changed
    now = ctx.received_at
    days = set(recurrence.occurrences(schedule, recurrence.local_day(now), horizon(now)))
    changes = []
    for slot in db.session.scalars(select(Slot).where(Slot.schedule_id == schedule.id, Slot.status == "open",
                                                      Slot.window_start > now).with_for_update(of=Slot)).all():
        holders = [s.user_id for s in slot.joined]
        if not slot.signups:
            db.session.delete(slot)
            continue
        if slot.day not in days:
            slot.status, slot.closed_at, slot.closed_by_id = "cancelled", now, ctx.user.id
            changes += [{"user_id": u, "slot_id": slot.id, "what": "cancelled", "day": slot.day.isoformat(),
                         "old_start": slot.window_start.isoformat(), "old_end": slot.window_end.isoformat()}
                        for u in holders]
            continue
        start, end = recurrence.window(schedule, slot.day)
        moved = (start, end) != (slot.window_start, slot.window_end)
        old = (slot.window_start.isoformat(), slot.window_end.isoformat())
        slot.window_start, slot.window_end, slot.places = start, end, schedule.places
        if moved or "storages" in changed or "recipient_id" in changed:
            changes += [{"user_id": u, "slot_id": slot.id, "what": "moved" if moved else "details",
                         "day": slot.day.isoformat(), "old_start": old[0], "old_end": old[1],
                         "new_start": start.isoformat(), "new_end": end.isoformat()} for u in holders]
    db.session.flush()
    generate_schedule(schedule, now)
    if changes:
        ctx.emit("schedule.changed", schedule_id=schedule.id, changes=changes, columns=changed)
    return changed


@handler("schedule.edit", schema=fields_of.ScheduleFields)
def edit(ctx):
    """A coordinator changes a schedule (fields absent keep their value)."""
    ctx.require_role("coordinator")
    schedule = _schedule(ctx)
    if schedule.status != "active":
        raise Refused("wrong_state", _("Si possono modificare solo i ritiri programmati attivi."))
    changed = apply_changes(ctx, schedule, fields.schedule_values(ctx.payload, current=schedule))
    return {"schedule_id": schedule.id, "changed": changed}


@handler("schedule.propose", schema=fields_of.ScheduleFields)
def propose(ctx):
    """Store staff propose a new schedule or a change to one of theirs; a coordinator decides."""
    ctx.require_role("store")
    store = ctx.user.org_for("store")
    if store is None or not store.active:
        raise Refused("not_allowed", _("Il tuo punto vendita non è attivo nella rete."))
    current = None
    if ctx.payload.get("schedule_id") not in (None, ""):
        current = _schedule(ctx)
        if current.store_id != store.id or current.status != "active":
            raise Refused("not_allowed", _("Puoi agire solo per la tua organizzazione."))
    values = fields.schedule_values(ctx.payload, current=current)
    proposal = PickupSchedule(store_id=store.id, status="proposed", replaces_id=current.id if current else None,
                              proposed_by_id=ctx.user.id, created_at=ctx.received_at, updated_at=ctx.received_at,
                              **values)
    db.session.add(proposal)
    db.session.flush()
    ctx.emit("schedule.proposed", schedule_id=proposal.id, store_id=store.id)
    return {"schedule_id": proposal.id}


@handler("schedule.decide", schema=fields_of.ScheduleDecision)
def decide(ctx):
    """A coordinator approves (it becomes or changes the schedule) or rejects a store's proposal."""
    ctx.require_role("coordinator")
    proposal = _schedule(ctx)
    decision = ctx.payload.get("decision")
    if decision not in ("approve", "reject"):
        raise fields.invalid("decision", _("Scegli se approvare o respingere la proposta."))
    if proposal.status != "proposed":
        raise Refused("wrong_state", _("Questa proposta è già stata decisa."))
    proposal.decided_by_id, proposal.updated_at = ctx.user.id, ctx.received_at
    result = {"schedule_id": proposal.id, "decision": decision}
    if decision == "reject":
        proposal.status = "rejected"
    elif proposal.replaces_id:
        target = db.session.get(PickupSchedule, proposal.replaces_id)
        proposal.status = "archived"  # approved: its values now live in the schedule it changes
        result["changed"] = apply_changes(ctx, target, {c: getattr(proposal, c) for c in COLUMNS})
        result["schedule_id"] = target.id
    else:
        proposal.status = "active"
        result["slots_created"] = len(generate_schedule(proposal, ctx.received_at))
    ctx.emit("schedule.decided", schedule_id=proposal.id, store_id=proposal.store_id, decision=decision,
             proposed_by_id=proposal.proposed_by_id)
    return result


@handler("rota.settings", schema=fields_of.RotaSettings)
def set_rules(ctx):
    """A coordinator sets the network's weekly cap, when it lifts, and the trial pickups."""
    ctx.require_role("coordinator")
    row = db.session.get(RotaSettings, 1) or fairness.settings()
    row.weekly_cap = fields.integer(ctx.payload, "weekly_cap", 0, 21)
    row.cap_lift_hours = fields.integer(ctx.payload, "cap_lift_hours", 0, 168)
    row.trial_pickups = fields.integer(ctx.payload, "trial_pickups", 0, 10)
    row.updated_at, row.updated_by_id = ctx.received_at, ctx.user.id
    db.session.add(row)
    return {"weekly_cap": row.weekly_cap, "cap_lift_hours": row.cap_lift_hours,
            "trial_pickups": row.trial_pickups}


@handler("rota.confirm_trainee", schema=fields_of.UserRef)
def confirm_trainee(ctx):
    """A coordinator confirms that a volunteer in training may now pick up alone."""
    ctx.require_role("coordinator")
    user = db.session.get(User, fields.row_id(ctx.payload, "user_id"))
    if user is None or user.volunteer is None:
        raise fields.invalid("user_id", _("Questo volontario non esiste."))
    if db.session.get(TraineeConfirmation, user.id) is None:
        db.session.add(TraineeConfirmation(user_id=user.id, confirmed_at=ctx.received_at,
                                           confirmed_by_id=ctx.user.id))
    return {"user_id": user.id}
