"""The charity blueprint: its URL prefix, the checks before every view, its template helpers.

Its views live in the other modules of this package, which `__init__` imports.
"""
from flask import Blueprint

from app.permissions import role_required

bp = Blueprint("charity", __name__, url_prefix="/ente")


@bp.before_request
@role_required("charity", "coordinator")
def _only_charity():
    """Every view here needs the charity role (coordinators may look too)."""
