"""Impact: the coordinator's dashboard and CSV export, and each store's, charity's and volunteer's own numbers.

The views live under their area's path (/coordinamento, /negozio, /ente,
/volontario) but in this blueprint; each checks its role itself.
"""
from flask import Blueprint

bp = Blueprint("impact", __name__)

from app.impact import routes  # noqa: E402,F401
