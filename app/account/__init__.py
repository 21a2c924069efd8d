"""A user's own profile, password, language, data export and deletion."""
from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/profilo")

from app.account import routes  # noqa: E402,F401
