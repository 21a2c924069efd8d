"""Entering a pickup after the fact (/coordinamento/ritiri/registra): done without the app, named volunteer."""
from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.coordination.blueprint import bp
from app.extensions import db
from app.models import Donation, User
from app.models.base import utcnow
from app.services import ops
from app.services.logistics import backfill
from app.services.ops import rules


def _int(name):
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        return None


def _local_time(text):
    """A datetime-local value ("2026-12-01T09:30", Italian time) as aware UTC, or None."""
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=rules.ROME) if text and "T" in text else None
    except ValueError:
        return None


def _page(values, status=200, error=None):
    now = utcnow()
    return render_template("coordination/backfill.html", donations=backfill.candidates(now),
                           volunteers=backfill.volunteers(), values=values, error=error,
                           op_id=values.get("op_id") or ops.new_op_id(),
                           max_time=now.astimezone(rules.ROME).strftime("%Y-%m-%dT%H:%M")), status


@bp.route("/ritiri/registra", methods=["GET"])
def backfill_form():
    """The form to record a pickup that happened without the app."""
    return _page({"donation_id": request.args.get("donazione", type=int)})


@bp.route("/ritiri/registra", methods=["POST"])
def backfill_pickup():
    """Record the pickup for the named volunteer; the log keeps who entered it."""
    values = {k: request.form.get(k, "") for k in ("op_id", "occurred_at", "temperature_c", "crates")}
    values.update(donation_id=_int("donation_id"), volunteer_id=_int("volunteer_id"),
                  best_before_confirmed=bool(request.form.get("best_before_confirmed")))
    donation = db.session.get(Donation, values["donation_id"]) if values["donation_id"] else None
    volunteer = db.session.get(User, values["volunteer_id"]) if values["volunteer_id"] else None
    occurred_at = _local_time(values["occurred_at"])
    crates = _int("crates") if values["crates"] else (donation.crates_count if donation else None)
    result = backfill.record_pickup(current_user._get_current_object(), donation, volunteer,
                                    occurred_at,
                                    op_id=values["op_id"] or ops.new_op_id(),
                                    temperature_c=values["temperature_c"] or None, crates=crates,
                                    best_before_confirmed=values["best_before_confirmed"])
    if result["status"] == "refused" or result.get("original_status") == "refused":
        values["op_id"] = ops.new_op_id()  # corrected input is a new attempt
        return _page(values, 422, error=result)
    flash(_("Ritiro registrato per conto di %(name)s: il documento di trasporto è stato emesso.",
            name=volunteer.name), "success")
    return redirect(url_for("coordination.board_donation", donation_id=donation.id))
