"""Impact: the coordinator's dashboard and CSV export, and each store's, charity's and volunteer's own numbers.

The views live under their area's path (/coordinamento, /negozio, /ente,
/volontario) but in this blueprint; each checks its role itself.
"""
from app.impact.blueprint import bp  # noqa: F401
from app.impact import routes  # noqa: F401  (importing them adds their views)
