"""Views under /ente: incoming deliveries, receipt by scan or "all arrived", problems per crate."""
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.charity.blueprint import bp
from app.extensions import db
from app.models import Crate, Donation
from app.services.logistics import pickups
from app.services.ops.pickups import PROBLEM_KINDS, problem_label
from app.services.people.orgs import format_hours
from app.services.food.timeline import timeline
from app.services.people.tokens import normalise_token
from app.volunteer.actions import apply_form, respond


@bp.route("/")
def home():
    """The charity's start page: deliveries on the way, scheduled ones, what arrived lately."""
    org = current_user.org_for("charity")
    on_the_way, scheduled, received = pickups.incoming(org) if org else ([], [], [])
    return render_template("charity/home.html", org=org, on_the_way=on_the_way, scheduled=scheduled,
                           received=received, hours=format_hours(org.receiving_hours) if org else "")


def _delivery(donation_id):
    """A donation addressed to the current user's charity (coordinators see any)."""
    donation = db.get_or_404(Donation, donation_id)
    if current_user.has_role("coordinator"):
        return donation
    org = current_user.org_for("charity")
    if org is None or donation.recipient_id != org.id:
        abort(403, _("Questa consegna è destinata a un altro ente."))
    return donation


def _context(donation):
    """What the receipt templates need (with the DDT, photos and cold-chain limit, issue 14)."""
    from app.domain import max_pickup_temperature
    from app.services.impact import documents
    from app.services.logistics import photos
    from app.services.ops import rules

    issued = donation.status in documents.ISSUED_STATUSES
    return {"donation": donation, "taken": pickups.taken_crates(donation),
            "problem_kinds": [(kind, problem_label(kind)) for kind in PROBLEM_KINDS],
            "ddt": documents.for_donation(donation.id) if issued else None,
            "receipt_photos": photos.photos_of(donation, "receipt") if issued else [],
            "problem_photos": photos.photos_of(donation, "problem") if issued else [],
            "cold": rules.needs_cold(donation),
            "max_temperature": max_pickup_temperature(donation.category, donation.storage)}


@bp.route("/consegne/<int:donation_id>")
def delivery(donation_id):
    """One delivery: what comes, who brings it, receipt by scan or confirmation, the timeline."""
    donation = _delivery(donation_id)
    return render_template("charity/delivery.html", timeline=timeline(donation), **_context(donation))


def _back(donation_id):
    return url_for("charity.delivery", donation_id=donation_id)


@bp.route("/consegne/<int:donation_id>/scansione", methods=["POST"])
def scan(donation_id):
    """A crate scanned on arrival (crate.scan, stage receipt)."""
    donation = _delivery(donation_id)
    typed = request.form.get("token", "")
    token = normalise_token(typed)
    other = token and db.session.scalar(select(Crate.donation_id).where(Crate.token == token))
    if other and other != donation.id:
        result = {"status": "refused", "code": "other_donation", "kind": "crate.scan", "message": _(
            "Questa cassetta è di un'altra consegna (n. %(id)d): confermala dalla sua pagina.", id=other)}
    else:
        result = apply_form("crate.scan", token=typed, stage="receipt")
        db.session.refresh(donation)
    return respond(result, "charity/_receipt_panel.html", _back(donation_id), **_context(donation))


@bp.route("/consegne/<int:donation_id>/ricevuta", methods=["POST"])
def receive(donation_id):
    """Confirm receipt with the weighed kg and a problem per crate, if any (donation.receive)."""
    donation = _delivery(donation_id)
    problems = []
    for crate in pickups.taken_crates(donation):
        kind = request.form.get(f"problem-{crate.token}", "")
        if kind:
            problems.append({"token": crate.token, "kind": kind,
                             "note": request.form.get(f"note-{crate.token}", "")})
    result = apply_form("donation.receive", donation_id=donation_id,
                        received_kg=request.form.get("received_kg"), problems=problems,
                        temperature_c=request.form.get("temperature_c"))
    db.session.refresh(donation)
    return respond(result, "charity/_receipt_panel.html", _back(donation_id), **_context(donation))


@bp.route("/consegne/<int:donation_id>/problema", methods=["POST"])
def report_problem(donation_id):
    """Report a problem found later with one crate (crate.problem)."""
    donation = _delivery(donation_id)
    result = apply_form("crate.problem", token=request.form.get("token", ""),
                        problem=request.form.get("problem", ""), note=request.form.get("note", ""))
    db.session.refresh(donation)
    return respond(result, "charity/_receipt_panel.html", _back(donation_id), **_context(donation))
