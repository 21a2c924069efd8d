"""Views under /negozio/turni: today's scheduled pickups, «niente oggi», no-shows, the pre-filled post, proposals."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.impact import choices
from app.models.base import utcnow
from app.models.rota import PickupSchedule, Slot
from app.rota.forms import organisation_fields, schedule_payload, values_of
from app.services import ops
from app.services.food.donations import local
from app.services.rota import queries
from app.store import forms
from app.store.access import my_store
from app.store.blueprint import bp


def own_slot(slot_id):
    """A slot of the current user's store (coordinators see every store's), else 404/403."""
    slot = db.get_or_404(Slot, slot_id)
    store = my_store()
    if not current_user.has_role("coordinator") and (store is None or store.id != slot.store_id):
        abort(403, _("Puoi agire solo per la tua organizzazione."))
    return slot


def _apply(kind, **fields):
    op = {"op_id": request.form.get("op_id") or ops.new_op_id(), "kind": kind, **fields}
    result = ops.apply(op, current_user._get_current_object(), source="form")
    ok = result["status"] == "applied" or result.get("original_status") == "applied"
    return result, ok


def prefilled_form(slot, now):
    """The donation form pre-filled from a slot: its window, the schedule's charity and storage, slot_id."""
    form = forms.blank(now)
    start, end = local(slot.window_start), local(slot.window_end)
    form.values.update(window_day=start.date().isoformat(), window_from=start.strftime("%H:%M"),
                       window_to=end.strftime("%H:%M"), recipient_id=str(slot.schedule.recipient_id or ""),
                       storage=(slot.schedule.storages or ["ambient"])[0], slot_id=str(slot.id))
    return form


@bp.route("/turni/<int:slot_id>/niente-oggi", methods=["POST"])
def nothing_today(slot_id):
    """Nothing to collect today (slot.nothing_today): the volunteers are told not to come."""
    slot = own_slot(slot_id)
    result, ok = _apply("slot.nothing_today", slot_id=slot.id)
    flash(_("Turno chiuso: i volontari sono avvisati di non venire.") if ok else result.get("message"),
          "success" if ok else "error")
    return redirect(url_for("store.home"))


@bp.route("/turni/<int:slot_id>/non-presentato", methods=["POST"])
def no_show(slot_id):
    """A signed-up volunteer did not come (slot.no_show)."""
    slot = own_slot(slot_id)
    result, ok = _apply("slot.no_show", slot_id=slot.id, user_id=request.form.get("user_id"))
    flash(_("Assenza del volontario registrata.") if ok else result.get("message"), "success" if ok else "error")
    return redirect(url_for("store.home"))


def _proposal_page(store, schedule, values, errors, status=200):
    """The proposal form: the charities nearest to the store first, any other by search."""
    search = request.form if request.method == "POST" else request.args
    return render_template("rota/schedule_form.html", schedule=schedule, values=values, errors=errors,
                           org_fields=organisation_fields(values, search, errors, store=store), proposing=True,
                           op_id=ops.new_op_id()), status


@bp.route("/turni/proposta", methods=["GET", "POST"])
@bp.route("/turni/<int:schedule_id>/proposta", methods=["GET", "POST"])
def propose_schedule(schedule_id=None):
    """Propose a new schedule or a change to one (schedule.propose); a coordinator decides."""
    store = my_store()
    if store is None or not current_user.has_role("store"):
        return render_template("store/no_store.html"), 403
    schedule = None
    if schedule_id is not None:
        schedule = db.get_or_404(PickupSchedule, schedule_id)
        if schedule.store_id != store.id:
            abort(403, _("Puoi agire solo per la tua organizzazione."))
    if request.method == "GET":
        return _proposal_page(store, schedule, values_of(schedule), {})
    if choices.searching(request.form):  # the search without script: the form again, nothing applied
        return _proposal_page(store, schedule, values_of(form=request.form), {})
    extra = {"schedule_id": schedule.id} if schedule else {}
    result, ok = _apply("schedule.propose", **extra, **schedule_payload(request.form))
    if ok:
        flash(_("Proposta inviata al coordinamento."), "success")
        return redirect(url_for("store.rota"))
    return _proposal_page(store, schedule, values_of(form=request.form),
                          result.get("errors") or {"_": result["message"]}, 422)


@bp.route("/turni")
def rota():
    """The store's schedules and proposals waiting for the coordinator."""
    store = my_store()
    if store is None:
        return render_template("store/no_store.html"), 403
    return render_template("rota/store.html", org=store, schedules=queries.active_schedules(store.id),
                           proposals=queries.proposals(store.id), today=queries.today_for_store(store.id, utcnow()))
