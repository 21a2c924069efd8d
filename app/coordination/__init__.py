"""The coordinator's area: volunteers, organisations, invitations."""
from flask import Blueprint

from app.permissions import role_required

bp = Blueprint("coordination", __name__, url_prefix="/coordinamento")


@bp.before_request
@role_required("coordinator")
def _only_coordinators():
    """Every view here is for coordinators only."""


from app.coordination import routes  # noqa: E402,F401
from app.coordination import board  # noqa: E402,F401  (the live board of pickups)
