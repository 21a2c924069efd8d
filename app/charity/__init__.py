"""The charity area under /ente."""
from flask import Blueprint

from app.permissions import role_required

bp = Blueprint("charity", __name__, url_prefix="/ente")


@bp.before_request
@role_required("charity", "coordinator")
def _only_charity():
    """Every view here needs the charity role (coordinators may look too)."""


from app.charity import routes  # noqa: E402,F401
