"""The coordination blueprint: its URL prefix, the checks before every view, its template helpers.

Its views live in the other modules of this package, which `__init__` imports.
"""
from flask import Blueprint

from app.permissions import role_required

bp = Blueprint("coordination", __name__, url_prefix="/coordinamento")


@bp.before_request
@role_required("coordinator")
def _only_coordinators():
    """Every view here is for coordinators only."""
