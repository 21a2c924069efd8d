"""The campaigns blueprint: its URL prefix, the checks before every view, its template helpers.

Its views live in the other modules of this package, which `__init__` imports.
"""
from flask import Blueprint

from app.permissions import role_required

bp = Blueprint("campaigns", __name__, url_prefix="/coordinamento")


@bp.before_request
@role_required("coordinator")
def _only_coordinators():
    """Every view here is for coordinators only."""


@bp.context_processor
def _unread():
    """The unread contact requests, shown in this area's sub-navigation."""
    from app.services.pages.content import unread_contacts

    return {"unread": unread_contacts()}
