"""The volunteer blueprint: its URL prefix, the checks before every view, its template helpers.

Its views live in the other modules of this package, which `__init__` imports.
"""
from flask import Blueprint

from app.permissions import role_required
from app.services.ops import new_op_id

bp = Blueprint("volunteer", __name__, url_prefix="/volontario")
# Action forms anywhere (crate pages included) render a fresh op_id with new_op_id().
bp.add_app_template_global(new_op_id, "new_op_id")


@bp.before_request
@role_required("volunteer", "coordinator")
def _only_volunteer():
    """Every view here needs the volunteer role (coordinators may look too)."""
