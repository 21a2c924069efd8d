"""Views under /ente/turni: the scheduled pickups coming to this charity, and no-shows."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.charity.blueprint import bp
from app.extensions import db
from app.models.base import utcnow
from app.models.rota import Slot
from app.services import ops
from app.services.rota import queries


@bp.route("/turni")
def rota():
    """Scheduled pickups for this charity from two days ago to tomorrow, with who signed up."""
    org = current_user.org_for("charity")
    if org is None:
        abort(403, _("Questa sezione è per il personale di un ente beneficiario."))
    return render_template("rota/charity.html", org=org, slots=queries.recent_for_charity(org.id), now=utcnow())


@bp.route("/turni/<int:slot_id>/non-presentato", methods=["POST"])
def no_show(slot_id):
    """A signed-up volunteer did not bring the food (slot.no_show); the engine checks the charity."""
    slot = db.get_or_404(Slot, slot_id)
    op = {"op_id": request.form.get("op_id") or ops.new_op_id(), "kind": "slot.no_show", "slot_id": slot.id,
          "user_id": request.form.get("user_id")}
    result = ops.apply(op, current_user._get_current_object(), source="form")
    ok = result["status"] == "applied" or result.get("original_status") == "applied"
    flash(_("Assenza del volontario registrata.") if ok else result.get("message"), "success" if ok else "error")
    return redirect(url_for("charity.rota"))
