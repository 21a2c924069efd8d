"""The volunteer blueprint: its URL prefix, the checks before every view, its template helpers.

Its views live in the other modules of this package, which `__init__` imports.
"""
from flask import Blueprint, abort, request
from flask_babel import gettext as _
from flask_login import current_user

from app.permissions import role_required
from app.services.ops import new_op_id

bp = Blueprint("volunteer", __name__, url_prefix="/volontario")
# Action forms anywhere (crate pages included) render a fresh op_id with new_op_id().
bp.add_app_template_global(new_op_id, "new_op_id")


@bp.before_request
def _only_volunteer():
    """Every view here needs the volunteer role (coordinators may look too).

    Someone who signed up but is not approved (pending, suspended, rejected) sees
    only the start page with their status: not the network's open pickups, with
    the stores' phones and access instructions. Their actions (a form posted from
    a page seen before a suspension) still reach the engine, which refuses them
    `not_approved` and flags what must be flagged.
    """
    user = current_user
    if user.is_authenticated and user.volunteer is not None and not user.has_role("volunteer") \
            and not user.has_role("coordinator"):
        if request.method == "GET" and request.endpoint != "volunteer.home":
            abort(403, _("La tua iscrizione da volontario non è (ancora) approvata: vedrai i ritiri "
                         "quando un coordinatore ti avrà approvato."))
        return None
    return _volunteer_or_coordinator()


@role_required("volunteer", "coordinator")
def _volunteer_or_coordinator():
    """The role check itself (login first, then 403)."""
