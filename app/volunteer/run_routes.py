"""Views of my run (il mio giro) under /volontario/giro: the day's stops in order, reordering."""
from flask import render_template, request, url_for
from flask_login import current_user

from app.services.logistics import coldchain, run
from app.volunteer.actions import apply_form, respond
from app.volunteer.blueprint import bp

bp.add_app_template_filter(coldchain.hm, "hm")


def _context(now=None):
    """The run of the current volunteer today, with each pickup's cold-chain clock."""
    current = run.run_for(current_user, now=now)
    clocks = {s.donation.id: coldchain.clock(s.donation) for s in current.stops if s.kind == "delivery"}
    return {"run": current, "clocks": clocks}


@bp.route("/giro", endpoint="run")
def run_page():
    """Today's stops in the suggested (or my own) order, with everything needed at each stop."""
    return render_template("run/run.html", **_context())


@bp.route("/giro/ordine", methods=["POST"])
def reorder():
    """Move one stop up or down, or go back to the suggested order (run.reorder)."""
    current = run.run_for(current_user)
    keys = [s.key for s in current.stops]
    if request.form.get("reset"):
        keys = []
    else:
        keys = run.moved(keys, request.form.get("stop", ""), request.form.get("direction", ""))
    result = apply_form("run.reorder", day=current.day.isoformat(), stops=keys)
    return respond(result, "run/_stops.html", url_for("volunteer.run"), **_context())
