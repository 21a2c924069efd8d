"""Public open data of the network's impact (CC BY 4.0): aggregated, with no personal data."""
from flask import Blueprint

bp = Blueprint("opendata", __name__, url_prefix="/open-data")

from app.opendata import routes  # noqa: E402,F401
