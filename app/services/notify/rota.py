"""Notifications of the rota: texts, the engine subscriber for slot and schedule events, reminders.

Written through the same transactional outbox as every other notification
(inbox.notify), in the recipient's language: push and the in-app inbox.
"""
import logging
from datetime import datetime, time, timedelta

from flask import current_app
from flask_babel import format_datetime, format_time, gettext as _
from sqlalchemy import select

from app.extensions import db, write_transaction
from app.geo import coordinates, distance_km
from app.models import Donation, Organisation, User, VolunteerProfile
from app.models.base import parse_time, utcnow
from app.models.rota import PickupSchedule, Slot, SlotSignup
from app.services.notify.inbox import first_path, notify, users_by_ids as users_by_ids_active
from app.services.notify.triggers import coordinators, staff
from app.services.ops.core import SUBSCRIBERS
from app.services.rota import slots as rota_slots
from app.services.rota.generate import is_absent
from app.services.rota.recurrence import ROME
from app.worker import job

log = logging.getLogger("raccolto.notify")
HISTORY = timedelta(hours=1)


def _when(slot_or_start, end=None):
    """«mar 8 dic, 19:00–20:00» in the current language and Italy's time."""
    start = slot_or_start.window_start if end is None else slot_or_start
    end = slot_or_start.window_end if end is None else end
    # flask-babel writes times in BABEL_DEFAULT_TIMEZONE (Europe/Rome).
    return "%s–%s" % (format_datetime(start, "EEE d MMM, HH:mm"), format_time(end, "HH:mm"))


def _rota_page():
    return first_path(("volunteer.rota",), "volunteer.home")


# --- texts (called inside force_locale of each recipient) -----------------------------------

def _opened(slot, urgent):
    title = _("Turno urgente da coprire") if urgent else _("Turno libero da coprire")
    return title, _("%(store)s, %(when)s: un volontario non può andare. Ti iscrivi tu?",
                    store=slot.store.name, when=_when(slot))


def _nothing(slot):
    return (_("Niente da ritirare oggi"),
            _("%(store)s non ha eccedenze per il turno di %(when)s: non andare, grazie.",
              store=slot.store.name, when=_when(slot)))


def _late_leave(slot, volunteer, reason):
    return (_("Rinuncia a un turno all'ultimo momento"),
            _("%(name)s ha lasciato il turno %(store)s, %(when)s. Motivo: %(reason)s", name=volunteer.name,
              store=slot.store.name, when=_when(slot), reason=reason or "—"))


def _changed(store, items):
    lines = []
    for item in items:
        old = _when(parse_time(item["old_start"]), parse_time(item["old_end"]))
        if item["what"] == "cancelled":
            lines.append(_("%(old)s: soppresso", old=old))
        elif item["what"] == "moved":
            lines.append(_("%(old)s → ora %(new)s", old=old,
                           new=_when(parse_time(item["new_start"]), parse_time(item["new_end"]))))
        else:
            lines.append(_("%(old)s: cambiano ente o conservazione", old=old))
    return _("Cambia il ritiro programmato di %(store)s", store=store.name), "; ".join(lines)


def _reminder(slot, soon):
    title = _("Tra poco il tuo turno di ritiro") if soon else _("Domani il tuo turno di ritiro")
    return title, _("%(store)s, %(when)s.", store=slot.store.name, when=_when(slot))


def _posted_for_you(donation):
    return (_("Il punto vendita ha pubblicato il tuo ritiro"),
            _("%(store)s: %(what)s, %(kg)s kg. È già prenotato a tuo nome.", store=donation.store.name,
              what=donation.description, kg=("%g" % donation.kg_declared).replace(".", ",")))


def _proposed(store):
    return _("Proposta di ritiro programmato"), _("%(store)s propone un ritiro programmato: approvalo o "
                                                  "respingilo.", store=store.name)


def _decided(approved):
    if approved:
        return _("Ritiro programmato approvato"), _("Il coordinamento ha approvato la vostra proposta.")
    return _("Ritiro programmato respinto"), _("Il coordinamento ha respinto la vostra proposta: "
                                               "scrivete al coordinamento per parlarne.")


# --- who ------------------------------------------------------------------------------------

def cover_volunteers(slot, radius_km, now, exclude=()):
    """Approved volunteers near the store who could take `slot` and are not on it or away that day."""
    origin = slot.store.coords or coordinates(slot.store.municipality)
    on_slot = {s.user_id for s in slot.joined} | {e for e in exclude if e}
    people = db.session.scalars(select(User).join(VolunteerProfile, VolunteerProfile.user_id == User.id).where(
        VolunteerProfile.status == "approved", User.deleted_at.is_(None))).all()
    chosen = []
    for user in people:
        if user.id in on_slot or is_absent(user.id, slot.day):
            continue
        if rota_slots.join_blocker(user, slot, now) is not None:
            continue
        profile = user.volunteer
        distance = distance_km(profile.base or coordinates(profile.municipality), origin)
        if distance is None or distance <= radius_km:
            chosen.append(user)
    return chosen


# --- the subscriber ---------------------------------------------------------------------------

def on_operation(ctx):
    """Write the rota's notifications; a failure here never undoes the operation."""
    if ctx.refusal or utcnow() - ctx.received_at > HISTORY:
        return
    try:
        with db.session.begin_nested():
            _dispatch(ctx)
    except Exception:  # the pickup matters more than the message
        log.exception("rota notifications for %s (%s) failed", ctx.kind, ctx.op_id)


def _dispatch(ctx):
    now, actor = ctx.received_at, ctx.user.id if ctx.user is not None else None
    page = _rota_page()
    for name, data in ctx.events:
        if name == "slot.opened":
            slot = db.session.get(Slot, data["slot_id"])
            radius = current_app.config["URGENT_RADIUS_KM" if data["urgent"] else "NOTIFY_RADIUS_KM"]
            notify(cover_volunteers(slot, radius, now, exclude=(actor, data["user_id"])), "slot_open",
                   "urgent" if data["urgent"] else "new_donation", lambda: _opened(slot, data["urgent"]),
                   url=page, urgent=data["urgent"], expires_at=slot.window_end, now=now)
        elif name == "slot.late_leave":
            slot, volunteer = db.session.get(Slot, data["slot_id"]), db.session.get(User, data["user_id"])
            notify([u for u in coordinators() if u.id != actor], "late_leave", "alerts",
                   lambda: _late_leave(slot, volunteer, data["reason"]),
                   url=first_path(("coordination.rota",), "coordination.home"), now=now)
        elif name == "slot.nothing":
            slot = db.session.get(Slot, data["slot_id"])
            notify(users_by_ids_active(data["user_ids"]), "slot_nothing", "my_pickups", lambda: _nothing(slot),
                   url=page, now=now)
        elif name == "schedule.changed":
            _schedule_changed(data, page, now)
        elif name == "schedule.proposed":
            store = db.session.get(Organisation, data["store_id"])
            notify(coordinators(), "schedule_proposed", "alerts", lambda: _proposed(store),
                   url=first_path(("coordination.rota",), "coordination.home"), now=now)
        elif name == "schedule.decided":
            notify([u for u in staff(data["store_id"], "store") if u.id != actor], "schedule_decided",
                   "store_updates", lambda: _decided(data["decision"] == "approve"),
                   url=first_path(("store.rota",), "store.home"), now=now)
    if ctx.kind == "donation.post" and ctx.donation_id and ctx.payload.get("slot_id"):
        donation = db.session.get(Donation, ctx.donation_id)
        if donation.status == "claimed" and donation.claimed_by_id != actor:
            notify(users_by_ids_active([donation.claimed_by_id]), "slot_posted", "my_pickups",
                   lambda: _posted_for_you(donation), donation_id=donation.id,
                   url=first_path(("volunteer.pickup",), "volunteer.home", donation_id=donation.id), now=now)


def _schedule_changed(data, page, now):
    """Each signed-up volunteer hears which of their slots moved or were cancelled."""
    by_user = {}
    for item in data["changes"]:
        by_user.setdefault(item["user_id"], []).append(item)
    store = db.session.get(PickupSchedule, data["schedule_id"]).store
    for user in users_by_ids_active(list(by_user)):
        items = by_user[user.id]
        notify([user], "schedule_changed", "my_pickups", lambda items=items: _changed(store, items), url=page,
               now=now)


SUBSCRIBERS.append(on_operation)


# --- reminders ----------------------------------------------------------------------------------

REMINDER_SOON = timedelta(hours=2)
EVENING_HOUR = 18


def send_reminders(now=None):
    """The evening before (from 18:00 Italian time) and 2 h before: each volunteer once per slot."""
    now = now or utcnow()
    here = now.astimezone(ROME)
    tomorrow = here.date() + timedelta(days=1)
    latest = now + REMINDER_SOON
    if here.hour >= EVENING_HOUR:
        latest = max(latest, datetime.combine(tomorrow + timedelta(days=1), time(0, 0), ROME))
    sent = 0
    with write_transaction():
        rows = db.session.execute(select(Slot, SlotSignup.user_id).join(SlotSignup, SlotSignup.slot_id == Slot.id)
                                  .where(Slot.status == "open", SlotSignup.status == "joined",
                                         Slot.window_start > now, Slot.window_start <= latest)).all()
        for slot, user_id in rows:
            soon = slot.window_start - now <= REMINDER_SOON
            key = f"rota-{'soon' if soon else 'eve'}:{slot.id}"
            sent += len(notify(users_by_ids_active([user_id]), "slot_reminder", "my_pickups",
                               lambda slot=slot, soon=soon: _reminder(slot, soon), url=_rota_page(),
                               dedupe_key=key, expires_at=slot.window_end, now=now))
    return sent


@job("rota_reminders", every=600)
def _reminders_job():
    """Reminders of tomorrow's and the next two hours' slots."""
    return send_reminders()
