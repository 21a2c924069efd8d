"""Views under /negozio."""
from flask import render_template
from flask_login import current_user

from app.store import bp


@bp.route("/")
def home():
    """The store's start page."""
    return render_template("store/home.html", org=current_user.org_for("store"))
