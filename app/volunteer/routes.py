"""Views under /volontario."""
from flask import render_template
from flask_login import current_user

from app.volunteer import bp


@bp.route("/")
def home():
    """The volunteer's start page (their approval status first)."""
    return render_template("volunteer/home.html", profile=current_user.volunteer)
