"""Views under /foto: add a photo at pickup, at receipt or with a problem; read one."""
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.htmx import htmx_response, wants_fragment
from app.models import Donation, DonationPhoto, Operation
from app.models.run import PHOTO_STAGES
from app.photos.blueprint import bp
from app.services import ServiceError, ops
from app.services.logistics import photos, pickups


def _donation(donation_id):
    """A donation whose photos the current user may see (403 otherwise, 404 if none)."""
    donation = db.get_or_404(Donation, donation_id)
    if not photos.can_view(current_user, donation):
        abort(403, _("Le foto di questa donazione sono visibili solo a chi la gestisce."))
    return donation


def _back(donation, stage):
    """Where a plain (non-htmx) form goes back to."""
    if stage == "pickup" and current_user.has_role("volunteer"):
        return url_for("volunteer.pickup", donation_id=donation.id)
    if current_user.has_role("charity") or current_user.has_role("coordinator"):
        return url_for("charity.delivery", donation_id=donation.id)
    return url_for("store.donation", donation_id=donation.id)


def _answer(donation, stage, result, status):
    """The gallery fragment for htmx, else a flash and a redirect."""
    refused = result["status"] == "refused"
    if result["status"] == "duplicate":
        notice = _("Foto già ricevuta: era arrivata prima.")
    else:
        notice = result.get("message") if refused else _("Foto salvata.")
    if wants_fragment():
        body = render_template("photos/_gallery.html", donation=donation, stage=stage,
                               photos=photos.photos_of(donation, stage), crates=pickups.taken_crates(donation),
                               notice=notice, notice_category="error" if refused else "success")
        return htmx_response(body, status)
    flash(notice, "error" if refused else "success")
    return redirect(_back(donation, stage))


@bp.route("/donazioni/<int:donation_id>", methods=["POST"])
@login_required
def upload(donation_id):
    """Attach a photo to a donation (donation.photo): checked, resized and stripped again here."""
    donation = _donation(donation_id)
    stage = request.form.get("stage", "")
    stage = stage if stage in PHOTO_STAGES else "pickup"
    op = {"op_id": request.form.get("op_id") or ops.new_op_id(), "kind": "donation.photo",
          "occurred_at": request.form.get("occurred_at") or None, "donation_id": donation.id,
          "stage": request.form.get("stage", ""), "token": request.form.get("token", "")}
    if db.session.scalar(select(Operation.id).where(Operation.op_id == str(op["op_id"]))):
        # A replay from the offline outbox: the first copy decided; no second file, no second row.
        return _answer(donation, stage, ops.apply(op, current_user), 200)
    upload_file = request.files.get("photo")
    if upload_file is None or not upload_file.filename:
        return _answer(donation, stage, {"status": "refused", "code": "invalid",
                                         "message": _("Scegli o scatta una foto prima di inviarla.")}, 422)
    try:
        op["photo"] = photos.prepare(upload_file.read())
    except ServiceError as error:
        return _answer(donation, stage, {"status": "refused", "code": error.code, "message": error.message}, 422)
    result = ops.apply(op, current_user, source="form")
    if result["status"] == "refused":
        photos.discard_unused(op["photo"]["key"])
    return _answer(donation, stage, result, 409 if result["status"] == "refused" else 200)


@bp.route("/<int:photo_id>.jpg")
@login_required
def show(photo_id):
    """One photo, only for the donation's store, driver, charity and coordinators."""
    row = db.get_or_404(DonationPhoto, photo_id)
    _donation(row.donation_id)
    try:
        path = photos.path_of(row.key)
    except ValueError:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=0, conditional=True)
    # Personal evidence: the browser may keep it, shared caches never.
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
