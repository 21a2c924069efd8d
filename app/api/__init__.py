"""The JSON operations API: POST /api/ops (DESIGN.md "The operations API", docs/api.md).

The blueprint is exempt from the global CSRFProtect because it answers JSON,
never a redirect or an HTML error page: routes.py checks the X-CSRFToken header
itself for session-authenticated calls, and bearer tokens need none.
"""
from app.api.blueprint import bp  # noqa: F401
from app.api import routes  # noqa: F401  (importing them adds their views)
