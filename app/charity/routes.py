"""Views under /ente."""
from flask import render_template
from flask_login import current_user

from app.charity import bp
from app.services.orgs import format_hours


@bp.route("/")
def home():
    """The charity's start page."""
    org = current_user.org_for("charity")
    return render_template("charity/home.html", org=org,
                           hours=format_hours(org.receiving_hours) if org else "")
