"""The store area under /negozio."""
from flask import Blueprint

from app.permissions import role_required

bp = Blueprint("store", __name__, url_prefix="/negozio")


@bp.before_request
@role_required("store", "coordinator")
def _only_store():
    """Every view here needs the store role (coordinators may look too)."""


from app.store import routes  # noqa: E402,F401
