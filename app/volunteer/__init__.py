"""The volunteer area under /volontario."""
from flask import Blueprint

from app.permissions import role_required

bp = Blueprint("volunteer", __name__, url_prefix="/volontario")


@bp.before_request
@role_required("volunteer", "coordinator")
def _only_volunteer():
    """Every view here needs the volunteer role (coordinators may look too)."""


from app.volunteer import routes  # noqa: E402,F401
