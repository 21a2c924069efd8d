"""Public pages for citizens (no login): home, campaigns, events, RSVP, feeds."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import feeds, routes  # noqa: E402,F401
