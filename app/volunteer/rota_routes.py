"""Views under /volontario/turni: the rota, joining and leaving slots, standing sign-ups, absences, calendar."""
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.domain import CATEGORIES
from app.extensions import db
from app.models.base import utcnow
from app.models.rota import Slot
from app.services import ops
from app.services.rota import calendar, fairness, queries
from app.services.rota.slots import join_blocker
from app.volunteer import actions
from app.volunteer.actions import apply_form, respond
from app.volunteer.blueprint import bp

actions.SUCCESS.update({
    "slot.join": lambda: _("Iscritto al turno: lo trovi nel tuo calendario."),
    "slot.leave": lambda: _("Hai lasciato il turno: ora altri volontari possono prenderlo."),
    "slot.standing": lambda: _("Iscrizione fissa registrata: tieni i turni di quel giorno finché non la lasci."),
    "slot.standing_end": lambda: _("Iscrizione fissa terminata: i turni futuri sono liberi per altri."),
    "slot.absence": lambda: _("Assenza registrata: i tuoi turni in quei giorni sono offerti ad altri volontari."),
})


def slot_context(slot, now=None, rules=None, lookups=None):
    """What the slot card needs: who is on it, whether I am, why I could not join."""
    now = now or utcnow()
    mine = next((s for s in slot.joined if s.user_id == current_user.id), None)
    blocker = None if mine else join_blocker(current_user, slot, now, rules, lookups)
    return {"slot": slot, "mine": mine, "blocker": blocker, "opened": now >= slot.window_start}


@bp.route("/turni")
def rota():
    """The rota: the next two weeks' slots by day, my standing sign-ups, absences and calendar link."""
    now = utcnow()
    slots = queries.upcoming_slots(now)
    rules, lookups = fairness.settings(), fairness.Lookups(current_user)
    lookups.prime([current_user.id] + [s.user_id for slot in slots for s in slot.signups], rules)
    days = {}
    for slot in slots:
        days.setdefault(slot.day, []).append(slot_context(slot, now, rules, lookups))
    return render_template("rota/volunteer.html", days=days, standing=queries.my_standing(current_user),
                           absences=queries.my_absences(current_user, now),
                           schedules=queries.active_schedules(), has_feed=calendar.has_token(current_user),
                           feed_url=request.args.get("feed"),
                           in_training=not lookups.experienced(current_user.id, rules), rules=rules)


def _slot_answer(slot_id, result):
    slot = db.get_or_404(Slot, slot_id)
    db.session.refresh(slot)
    return respond(result, "rota/_slot_card.html", url_for("volunteer.rota"), **slot_context(slot))


@bp.route("/turni/<int:slot_id>/partecipa", methods=["POST"])
def join_slot(slot_id):
    """Take a place on one slot (slot.join); htmx swaps the card."""
    return _slot_answer(slot_id, apply_form("slot.join", slot_id=slot_id))


@bp.route("/turni/<int:slot_id>/lascia", methods=["POST"])
def leave_slot(slot_id):
    """Give one slot back (slot.leave); a standing sign-up keeps the other weeks."""
    reason = request.form.get("reason", "")
    return _slot_answer(slot_id, apply_form("slot.leave", slot_id=slot_id, reason=reason))


@bp.route("/turni/fisso", methods=["POST"])
def standing():
    """Hold a weekday of a schedule («ogni martedì», slot.standing)."""
    # The page's select sends "schedule:weekday"; the API takes the two fields.
    schedule_id, _sep, weekday = (request.form.get("choice") or "").partition(":")
    result = apply_form("slot.standing", schedule_id=request.form.get("schedule_id") or schedule_id,
                        weekday=request.form.get("weekday") or weekday)
    if result["status"] == "applied" and result.get("skipped"):
        flash(_("Alcuni turni non sono stati presi (pieni, oltre il limite settimanale o senza un esperto): "
                "%(n)d.", n=len(result["skipped"])), "warning")
    return respond(result, "pickups/_notice.html", url_for("volunteer.rota"))


@bp.route("/turni/fisso/<int:standing_id>/termina", methods=["POST"])
def end_standing(standing_id):
    """Leave a standing sign-up (slot.standing_end)."""
    return respond(apply_form("slot.standing_end", standing_id=standing_id), "pickups/_notice.html",
                   url_for("volunteer.rota"))


@bp.route("/turni/assenza", methods=["POST"])
def absence():
    """Record an absence (slot.absence): the slots held in it open up for cover."""
    result = apply_form("slot.absence", date_from=request.form.get("date_from"),
                        date_to=request.form.get("date_to"), note=request.form.get("note", ""))
    return respond(result, "pickups/_notice.html", url_for("volunteer.rota"))


@bp.route("/turni/calendario", methods=["POST"])
def calendar_link():
    """Make (or remake) the private calendar link; the old one stops working."""
    token = calendar.issue_token(current_user)
    flash(_("Nuovo link del calendario creato: copialo nella tua app del calendario. Il link precedente non "
            "funziona più."), "success")
    return redirect(url_for("volunteer.rota", feed=url_for("rota_feed.feed", token=token, _external=True),
                            _anchor="calendario"))


@bp.route("/turni/calendario/revoca", methods=["POST"])
def calendar_revoke():
    """Revoke the private calendar link."""
    calendar.revoke_token(current_user)
    flash(_("Link del calendario revocato."), "success")
    return redirect(url_for("volunteer.rota", _anchor="calendario"))


@bp.route("/turni/<int:slot_id>/registra", methods=["GET", "POST"])
def record_for_store(slot_id):
    """On site, once the window opened: record the pickup on the store's behalf (donation.post with slot_id)."""
    slot = db.get_or_404(Slot, slot_id)
    if not any(s.user_id == current_user.id for s in slot.joined):
        abort(403, _("Solo un volontario iscritto a questo turno può registrare il ritiro."))
    now = utcnow()
    if request.method == "GET":
        return render_template("rota/record.html", slot=slot, values={}, errors={}, op_id=ops.new_op_id(),
                               categories=CATEGORIES, opened=now >= slot.window_start)
    values = {name: request.form.get(name, "") for name in ("category", "storage", "description", "kg", "crates",
                                                            "date_kind", "date")}
    end = max(slot.window_end, now + timedelta(minutes=30))
    result = ops.apply({"op_id": request.form.get("op_id") or ops.new_op_id(),
                                "kind": "donation.post", "slot_id": slot.id, **values, "date_kind": values["date_kind"] or "none",
                                "best_before_confirmed": bool(request.form.get("best_before_confirmed")),
                                "recipient_id": slot.schedule.recipient_id,
                                "window_start": slot.window_start.isoformat(), "window_end": end.isoformat()},
                               current_user._get_current_object(), source="form")
    if result["status"] == "applied" or result.get("original_status") == "applied":
        flash(_("Ritiro registrato per conto del punto vendita: ora scansiona le cassette."), "success")
        return redirect(url_for("volunteer.pickup", donation_id=result["donation_id"]))
    errors = result.get("errors") or {"_": result.get("message")}
    return render_template("rota/record.html", slot=slot, values=values, errors=errors, categories=CATEGORIES,
                           op_id=ops.new_op_id(), opened=now >= slot.window_start), 422
