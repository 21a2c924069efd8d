"""Handlers: slot.join, slot.leave, slot.standing, slot.standing_end, slot.absence,
slot.nothing_today, slot.no_show.

Joining is an intention (the last place goes to the first to arrive: the slot
row is locked on PostgreSQL, the write lock serialises on SQLite); a no-show
and "nothing today" record what happened. Events emitted here become
notifications in app/services/notify/rota.py.
"""
from datetime import timedelta
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models.rota import Absence, PickupSchedule, Slot, SlotSignup, StandingSignup
from app.services.ops import rules
from app.services.ops.core import Refused, handler
from app.services.rota import fairness, fields
from app.services.rota.generate import generate_schedule, is_absent
from app.services.rota import op_fields as fields_of

URGENT_HOURS = 24


def load_slot(ctx, lock=True):
    """The target slot (row-locked on PostgreSQL), or Refused unknown_slot."""
    slot_id = fields.row_id(ctx.payload, "slot_id")
    query = select(Slot).where(Slot.id == slot_id)
    if lock:
        query = query.with_for_update(of=Slot)
    slot = db.session.scalars(query).first()
    if slot is None:
        raise Refused("unknown_slot", _("Questo turno di ritiro non esiste."))
    return slot


def _signup(slot, user_id):
    return next((s for s in slot.signups if s.user_id == user_id), None)


def cold_stand_in(schedule):
    """What the pickup rules read of a donation, for a schedule's expected storage."""
    return SimpleNamespace(storage="chilled" if schedule.needs_cold else "ambient", needs_cold=schedule.needs_cold)


def join_blocker(user, slot, now, rules_row=None, lookups=None):
    """Why `user` may not join `slot` now (None when they may): the order the engine checks.

    Pages pass `lookups` (fairness.Lookups) to remember reads across slots; the engine does not.
    """
    blocker = rules.claim_blocker(user, cold_stand_in(slot.schedule), now, count_claims=False)
    if blocker:
        return blocker
    if slot.status != "open" or slot.window_end <= now:
        return Refused("slot_closed", _("Questo turno è chiuso: scegline un altro."))
    mine = _signup(slot, user.id)
    if mine is not None and mine.status == "joined":
        return Refused("already_joined", _("Sei già iscritto a questo turno."))
    if lookups.absent(slot.day) if lookups else is_absent(user.id, slot.day):
        return Refused("absent", _("In quel giorno hai segnato un'assenza: toglila prima di iscriverti."))
    if slot.free_places <= 0:
        return Refused("slot_full", _("Tutti i posti di questo turno sono presi: scegline un altro."))
    rules_row = rules_row or fairness.settings()
    return (fairness.cap_blocker(user, slot, now, rules_row, lookups)
            or fairness.trial_blocker(user, slot, rules_row, lookups))


def _take_place(slot, user, ctx, standing_id=None):
    """Write (or reuse) the volunteer's sign-up row on `slot`."""
    mine = _signup(slot, user.id)
    if mine is None:
        mine = SlotSignup(slot_id=slot.id, user_id=user.id)
        db.session.add(mine)
        slot.signups.append(mine)
    mine.status, mine.joined_at, mine.left_at, mine.left_late = "joined", ctx.occurred_at, None, False
    mine.standing_id, mine.reason = standing_id, ""
    db.session.flush()
    return mine


def _require_approved_volunteer(ctx):
    """Refuse anyone but an approved volunteer, saying why (a pending sign-up is `not_approved`)."""
    blocker = rules.volunteer_blocker(ctx.user)
    if blocker:
        raise blocker
    ctx.require_role("volunteer")


@handler("slot.join", schema=fields_of.SlotRef)
def join(ctx):
    """A volunteer takes a place on one slot; the last place goes to the first to arrive."""
    _require_approved_volunteer(ctx)
    slot = load_slot(ctx)
    blocker = join_blocker(ctx.user, slot, ctx.occurred_at)
    if blocker:
        raise blocker
    _take_place(slot, ctx.user, ctx)
    return {"slot_id": slot.id, "free_places": slot.free_places}


def _release(ctx, slot, signup, status, reason=""):
    """Give a place back; a late one flags the coordinator; the slot is offered to others."""
    signup.status, signup.left_at, signup.reason = status, ctx.occurred_at, reason[:300]
    hours = current_app.config.get("LATE_UNCLAIM_HOURS", 2)
    signup.left_late = ctx.occurred_at > slot.window_start - timedelta(hours=hours)
    db.session.flush()
    urgent = slot.window_start - ctx.received_at < timedelta(hours=URGENT_HOURS)
    ctx.emit("slot.opened", slot_id=slot.id, user_id=signup.user_id, urgent=urgent)
    if signup.left_late:
        ctx.emit("slot.late_leave", slot_id=slot.id, user_id=signup.user_id, reason=reason[:300])


@handler("slot.leave", schema=fields_of.SlotLeave)
def leave(ctx):
    """A volunteer gives back one slot (a standing sign-up keeps the other weeks)."""
    ctx.require_role("volunteer")
    slot = load_slot(ctx)
    reason = fields.text(ctx.payload, "reason", 300)
    mine = _signup(slot, ctx.user.id)
    if mine is None or mine.status != "joined":
        raise Refused("not_joined", _("Non sei iscritto a questo turno."))
    if slot.window_end <= ctx.occurred_at or slot.status != "open":
        raise Refused("slot_closed", _("Questo turno è già chiuso."))
    _release(ctx, slot, mine, "left", reason)
    return {"slot_id": slot.id, "late": mine.left_late, "free_places": slot.free_places}


@handler("slot.standing", schema=fields_of.StandingFields)
def standing(ctx):
    """«Ogni martedì»: hold a weekday of a schedule, taking its future slots with free places."""
    _require_approved_volunteer(ctx)
    schedule = db.session.get(PickupSchedule, fields.row_id(ctx.payload, "schedule_id"))
    if schedule is None or schedule.status != "active":
        raise Refused("unknown_schedule", _("Questo ritiro programmato non esiste o non è attivo."))
    weekday = fields.integer(ctx.payload, "weekday", 0, 6)
    blocker = rules.claim_blocker(ctx.user, cold_stand_in(schedule), ctx.occurred_at, count_claims=False)
    if blocker:
        raise blocker
    if db.session.scalar(select(StandingSignup.id).where(
            StandingSignup.user_id == ctx.user.id, StandingSignup.schedule_id == schedule.id,
            StandingSignup.weekday == weekday, StandingSignup.ended_at.is_(None))) is not None:
        raise Refused("already_joined", _("Hai già un'iscrizione fissa per questo giorno."))
    generate_schedule(schedule, ctx.received_at)
    future = db.session.scalars(select(Slot).where(
        Slot.schedule_id == schedule.id, Slot.window_start > ctx.occurred_at, Slot.status == "open")
        .order_by(Slot.window_start).with_for_update(of=Slot)).all()
    future = [s for s in future if s.day.weekday() == weekday]
    if not future:
        raise Refused("invalid", _("Questo ritiro non ha turni in quel giorno della settimana."), field="weekday")
    held = StandingSignup(user_id=ctx.user.id, schedule_id=schedule.id, weekday=weekday,
                          created_at=ctx.occurred_at)
    db.session.add(held)
    db.session.flush()
    taken, skipped = [], []
    settings = fairness.settings()
    for slot in future:
        mine = _signup(slot, ctx.user.id)
        if mine is not None and mine.status == "joined":
            mine.standing_id = held.id
            taken.append(slot.id)
            continue
        blocker = join_blocker(ctx.user, slot, ctx.occurred_at, settings)
        if blocker:
            skipped.append({"slot_id": slot.id, "day": slot.day.isoformat(), "code": blocker.code})
            continue
        _take_place(slot, ctx.user, ctx, standing_id=held.id)
        taken.append(slot.id)
    return {"standing_id": held.id, "slots": taken, "skipped": skipped}


@handler("slot.standing_end", schema=fields_of.StandingRef)
def standing_end(ctx):
    """Leave a standing sign-up: its future slots are given back."""
    ctx.require_role("volunteer")
    held = db.session.get(StandingSignup, fields.row_id(ctx.payload, "standing_id"))
    if held is None or held.user_id != ctx.user.id:
        raise Refused("not_joined", _("Non hai questa iscrizione fissa."))
    if held.ended_at is not None:
        raise Refused("not_joined", _("Questa iscrizione fissa è già terminata."))
    held.ended_at = ctx.occurred_at
    released = []
    for signup in db.session.scalars(select(SlotSignup).join(Slot, Slot.id == SlotSignup.slot_id).where(
            SlotSignup.standing_id == held.id, SlotSignup.status == "joined",
            Slot.window_start > ctx.occurred_at)).all():
        _release(ctx, signup.slot, signup, "left", _("Fine dell'iscrizione fissa"))
        released.append(signup.slot_id)
    return {"standing_id": held.id, "released": released}


@handler("slot.absence", schema=fields_of.AbsenceFields)
def absence(ctx):
    """A volunteer will be away: the slots they hold in the range open up for cover."""
    ctx.require_role("volunteer")
    first, last = fields.day(ctx.payload, "date_from"), fields.day(ctx.payload, "date_to")
    note = fields.text(ctx.payload, "note", 300)
    if last < first:
        raise fields.invalid("date_to", _("La fine dell'assenza viene prima dell'inizio."))
    if (last - first).days > 366:
        raise fields.invalid("date_to", _("Un'assenza dura al massimo un anno."))
    if last < ctx.occurred_at.date() - timedelta(days=1):
        raise fields.invalid("date_to", _("L'assenza è già finita."))
    item = Absence(user_id=ctx.user.id, date_from=first, date_to=last, note=note, created_at=ctx.occurred_at)
    db.session.add(item)
    released = []
    for signup in db.session.scalars(select(SlotSignup).join(Slot, Slot.id == SlotSignup.slot_id).where(
            SlotSignup.user_id == ctx.user.id, SlotSignup.status == "joined", Slot.day >= first,
            Slot.day <= last, Slot.window_start > ctx.occurred_at)).all():
        _release(ctx, signup.slot, signup, "absent", note)
        released.append(signup.slot_id)
    db.session.flush()
    return {"absence_id": item.id, "released": released}


def _require_slot_party(ctx, slot, charity_too=False):
    """Store staff of the slot's store (or the schedule's charity when allowed), or a coordinator."""
    user = ctx.user
    if user.has_role("coordinator"):
        return
    store = user.org_for("store")
    if store is not None and store.id == slot.store_id:
        return
    charity = user.org_for("charity")
    if charity_too and charity is not None and charity.id == slot.schedule.recipient_id:
        return
    raise Refused("not_allowed", _("Puoi agire solo per la tua organizzazione."))


@handler("slot.nothing_today", schema=fields_of.SlotRef)
def nothing_today(ctx):
    """The store has nothing today: the volunteers are told not to come and the slot closes."""
    ctx.require_role("store", "coordinator")
    slot = load_slot(ctx)
    _require_slot_party(ctx, slot)
    if slot.status != "open":
        raise Refused("slot_closed", _("Questo turno è già chiuso."))
    if slot.window_end <= ctx.occurred_at:
        raise Refused("slot_closed", _("La finestra di questo turno è già finita."))
    slot.status, slot.closed_at, slot.closed_by_id = "nothing", ctx.occurred_at, ctx.user.id
    ctx.emit("slot.nothing", slot_id=slot.id, user_ids=[s.user_id for s in slot.joined])
    return {"slot_id": slot.id}


@handler("slot.no_show", fact=True, schema=fields_of.SlotNoShow)
def no_show(ctx):
    """The store or the charity records that a signed-up volunteer did not come."""
    ctx.require_role("store", "charity", "coordinator")
    slot = load_slot(ctx)
    _require_slot_party(ctx, slot, charity_too=True)
    user_id = fields.row_id(ctx.payload, "user_id")
    if ctx.occurred_at < slot.window_start:
        raise Refused("slot_not_started", _("Il turno non è ancora iniziato."))
    signup = _signup(slot, user_id)
    if signup is None or signup.status != "joined":
        raise Refused("not_joined", _("Questo volontario non è iscritto al turno."))
    signup.status, signup.left_at = "no_show", ctx.occurred_at
    ctx.emit("slot.no_show", slot_id=slot.id, user_id=user_id)
    return {"slot_id": slot.id, "user_id": user_id}
