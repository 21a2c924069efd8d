"""Views under /coordinamento/turni: the week of every store's slots, schedules, proposals, fairness rules."""
from datetime import date, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from app.coordination.blueprint import bp
from app.extensions import db
from app.impact import choices
from app.models.base import utcnow
from app.models.rota import PickupSchedule
from app.rota.forms import organisation_fields, schedule_payload, values_of
from app.services import ops
from app.services.rota import fairness, queries
from app.services.rota.recurrence import local_day


def _apply(kind, **fields):
    op = {"op_id": request.form.get("op_id") or ops.new_op_id(), "kind": kind, **fields}
    return ops.apply(op, current_user._get_current_object(), source="form")


def _ok(result):
    return result["status"] == "applied" or result.get("original_status") == "applied"


@bp.route("/turni")
def rota():
    """The week view of every store's slots (empty ones first), proposals, trainees and the rules."""
    try:
        monday = queries.week_start(date.fromisoformat(request.args.get("settimana", "")))
    except ValueError:
        monday = queries.week_start(local_day(utcnow()))
    return render_template("rota/coordination.html", monday=monday, slots=queries.week_view(monday),
                           previous=monday - timedelta(days=7), next=monday + timedelta(days=7),
                           schedules=queries.active_schedules(), proposals=queries.proposals(),
                           trainees=queries.trainees(), rules=fairness.settings(), op_id=ops.new_op_id())


def _schedule_page(schedule, values, errors, status=200):
    """The schedule form; the store (new schedules) and the charity are searched, never listed in full."""
    search = request.form if request.method == "POST" else request.args
    fields = organisation_fields(values, search, errors, store=schedule.store if schedule else None,
                                 choose_store=schedule is None)
    return render_template("rota/schedule_form.html", schedule=schedule, values=values, errors=errors,
                           org_fields=fields, op_id=ops.new_op_id()), status


@bp.route("/turni/nuovo", methods=["GET", "POST"])
def new_schedule():
    """Create a store's pickup schedule (schedule.create); its slots are generated at once."""
    if request.method == "GET":
        return _schedule_page(None, values_of(), {})
    if choices.searching(request.form):  # the search without script: the form again, nothing applied
        return _schedule_page(None, values_of(form=request.form), {})
    result = _apply("schedule.create", store_id=request.form.get("store_id"), **schedule_payload(request.form))
    if _ok(result):
        flash(_("Ritiro programmato creato: %(n)d turni generati.", n=result.get("slots_created", 0)), "success")
        return redirect(url_for("coordination.rota"))
    return _schedule_page(None, values_of(form=request.form), result.get("errors") or {"_": result["message"]}, 422)


@bp.route("/turni/<int:schedule_id>/modifica", methods=["GET", "POST"])
def edit_schedule(schedule_id):
    """Change a schedule (schedule.edit): free future slots are regenerated, signed-up volunteers told."""
    schedule = db.get_or_404(PickupSchedule, schedule_id)
    if request.method == "GET":
        return _schedule_page(schedule, values_of(schedule), {})
    if choices.searching(request.form):
        return _schedule_page(schedule, values_of(form=request.form), {})
    result = _apply("schedule.edit", schedule_id=schedule.id, **schedule_payload(request.form))
    if _ok(result):
        flash(_("Ritiro programmato aggiornato.") if result.get("changed") else _("Nessuna modifica."), "success")
        return redirect(url_for("coordination.rota"))
    return _schedule_page(schedule, values_of(form=request.form), result.get("errors") or {"_": result["message"]},
                          422)


@bp.route("/turni/proposte/<int:schedule_id>", methods=["POST"])
def decide_proposal(schedule_id):
    """Approve or reject a store's proposal (schedule.decide)."""
    result = _apply("schedule.decide", schedule_id=schedule_id, decision=request.form.get("decision"))
    flash(result.get("message") if not _ok(result) else (
        _("Proposta approvata.") if request.form.get("decision") == "approve" else _("Proposta respinta.")),
        "success" if _ok(result) else "error")
    return redirect(url_for("coordination.rota"))


@bp.route("/turni/regole", methods=["POST"])
def rota_rules():
    """Set the weekly cap, when it lifts and the trial pickups (rota.settings)."""
    result = _apply("rota.settings", weekly_cap=request.form.get("weekly_cap"),
                    cap_lift_hours=request.form.get("cap_lift_hours"), trial_pickups=request.form.get("trial_pickups"))
    flash(_("Regole dei turni salvate.") if _ok(result) else result.get("message"), "success" if _ok(result) else "error")
    return redirect(url_for("coordination.rota"))


@bp.route("/turni/affiancamento/<int:user_id>", methods=["POST"])
def confirm_trainee(user_id):
    """Confirm that a volunteer in training may pick up alone (rota.confirm_trainee)."""
    result = _apply("rota.confirm_trainee", user_id=user_id)
    flash(_("Volontario confermato: ora può fare ritiri da solo.") if _ok(result) else result.get("message"),
          "success" if _ok(result) else "error")
    return redirect(url_for("coordination.rota"))
