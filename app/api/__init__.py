"""The JSON operations API: POST /api/ops (DESIGN.md "The operations API", docs/api.md).

The blueprint is exempt from the global CSRFProtect because it answers JSON,
never a redirect or an HTML error page: routes.py checks the X-CSRFToken header
itself for session-authenticated calls, and bearer tokens need none.
"""
from flask import Blueprint

from app.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

from app.api import routes  # noqa: E402,F401
