"""Coordinators write campaigns and events and read the public contact requests."""
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
    from app.services.pages import unread_contacts

    return {"unread": unread_contacts()}


from app.campaigns import routes  # noqa: E402,F401
