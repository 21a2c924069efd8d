"""The partners blueprint and what its views share: applying a form's operation and answering.

Its views live in the other modules of this package, which `__init__` imports.
Every view checks the role (and the organisation) itself: coordinators manage
agreements, each store or charity reads its own, charity staff edit their
capacity and needs.
"""
from flask import Blueprint, abort, flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user

from app.services import ops

bp = Blueprint("partners", __name__)


def apply_form(op_kind, **fields):
    """Apply the form's operation (op_id from the page, so a double tap is a duplicate)."""
    raw = {"op_id": request.form.get("op_id") or ops.new_op_id(), **fields, "kind": op_kind}
    return ops.apply(raw, current_user._get_current_object(), source="form")


def answer(result, back_to, done):
    """Flash what happened (the engine's Italian message on a refusal) and go back."""
    if result["status"] == "refused":
        flash(result.get("message") or _("Operazione non riuscita."), "error")
    elif result["status"] == "duplicate":
        flash(_("Già registrato: questa azione era arrivata prima."), "info")
    else:
        flash(done, "success")
    return redirect(back_to)


def own_org_ids():
    """The organisations the current user acts for as store or charity staff."""
    return {org.id for org in (current_user.org_for("store"), current_user.org_for("charity")) if org is not None}


def require_party(organisation_id):
    """403 unless the user is a coordinator or staff of this organisation."""
    if current_user.has_role("coordinator") or organisation_id in own_org_ids():
        return
    abort(403, _("Questa convenzione è di un'altra organizzazione."))


@bp.app_context_processor
def _partner_helpers():
    """Callables other areas' templates include: agreements of an organisation, those about to lapse, needs."""
    from app.domain import category_label
    from app.services.partners import agreements, capacity

    return {"category_label": category_label, "partner_agreements": agreements.for_organisation, "lapsing_agreements": lambda: agreements.lapsing(
        agreements.today(), limit=10), "partner_today": agreements.today, "partner_state": agreements.state_label,
        "charity_needs": capacity.get, "proposal_for": _proposal_for, "own_agreement": _own_agreement}


def _own_agreement(organisation_id):
    """(required, the agreement in force today or None, days left) for a store's or charity's own page."""
    from app.services.partners import agreements

    day = agreements.today()
    current = agreements.current_for(organisation_id, day)
    return agreements.required(), current, (current.ends_on - day).days if current else None


def _proposal_for(donation_id):
    """The candidates recorded when the donation was posted (the engine's result), or []."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Operation

    result = db.session.scalar(select(Operation.result).where(
        Operation.donation_id == donation_id, Operation.kind.in_(("donation.post", "donation.repost")),
        Operation.status == "applied").order_by(Operation.id).limit(1))
    return (result or {}).get("candidates") or []
