"""Views: a charity's capacity, closures and needs board (its staff edit their own; coordinators any)."""
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.domain import CATEGORIES, category_label
from app.extensions import db
from app.models import Organisation
from app.partners.blueprint import answer, apply_form, bp
from app.permissions import role_required
from app.services.partners import agreements, capacity as capacities

CLOSURE_ROWS = 2  # empty rows offered for new closures, besides those already set


def _charity():
    """The charity being edited: ?ente=<id> for coordinators, else the user's own (403 for another's)."""
    own = current_user.org_for("charity")
    wanted = request.values.get("ente", type=int)
    if wanted is None:
        if own is None:
            abort(404, _("Scegli un ente da Organizzazioni."))
        return own
    org = db.get_or_404(Organisation, wanted)
    if org.kind != "charity":
        abort(404)
    if not current_user.has_role("coordinator") and (own is None or own.id != org.id):
        abort(403, _("Puoi modificare solo la capacità del tuo ente."))
    return org


def _back(org):
    if current_user.has_role("coordinator") and current_user.org_for("charity") != org:
        return url_for("partners.capacity", ente=org.id)
    return url_for("partners.capacity")


@bp.route("/ente/capacita")
@role_required("charity", "coordinator")
def capacity():
    """What the charity can take, when it is closed, and what it needs this week."""
    org = _charity()
    row = capacities.get(org.id)
    closures = list(row.closures or []) if row else []
    categories = [(key, category_label(key)) for key in CATEGORIES]
    return render_template("partners/capacity.html", org=org, cap=row, closures=closures,
                           blank_rows=range(len(closures), len(closures) + CLOSURE_ROWS), categories=categories,
                           today=agreements.today())


@bp.route("/ente/capacita", methods=["POST"])
@role_required("charity", "coordinator")
def save_capacity():
    """Save capacity and closures (charity.capacity)."""
    org = _charity()
    closures = []
    for i in range(int(request.form.get("closure_rows", 0) or 0)):
        start, end = request.form.get(f"closure-{i}-from", ""), request.form.get(f"closure-{i}-to", "")
        if start or end:
            closures.append({"from": start or end, "to": end or start,
                             "reason": request.form.get(f"closure-{i}-reason", "")})
    result = apply_form("charity.capacity", organisation_id=org.id, closures=closures,
                        **{name: request.form.get(name, "") for name in
                           ("kg_day", "kg_week", "cold_litres", "cold_crates")})
    return answer(result, _back(org), _("Capacità salvata."))


@bp.route("/ente/bisogni", methods=["POST"])
@role_required("charity", "coordinator")
def save_needs():
    """Save the needs board (charity.needs)."""
    org = _charity()
    # One select per category (need-<category>: "", "more" or "less"); plain lists are accepted too.
    wanted = {key: request.form.get(f"need-{key}", "") for key in CATEGORIES}
    more = request.form.getlist("needs_more") + [k for k, v in wanted.items() if v == "more"]
    less = request.form.getlist("needs_less") + [k for k, v in wanted.items() if v == "less"]
    unknown = [v for v in wanted.values() if v not in ("", "more", "less")]
    result = apply_form("charity.needs", organisation_id=org.id, needs_more=more + unknown, needs_less=less,
                        needs_note=request.form.get("needs_note", ""), full_until=request.form.get("full_until", ""))
    return answer(result, _back(org), _("Bisogni aggiornati."))
