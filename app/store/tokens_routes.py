"""Personal API tokens of store staff (for the store's own systems): create, list, revoke."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.api import tokens
from app.services import ServiceError
from app.store.blueprint import bp


def _store_staff_only():
    if current_user.org_for("store") is None:
        abort(403, _("I token API sono per il personale dei punti vendita."))


@bp.route("/token-api", methods=["GET", "POST"])
def api_tokens():
    """List my tokens; a POST makes a new one and shows it this once."""
    _store_staff_only()
    created, error, status = None, None, 200
    if request.method == "POST":
        try:
            row, secret = tokens.create(current_user, request.form.get("name", ""))
            created = {"row": row, "secret": secret}
            status = 201
        except ServiceError as exc:
            error, status = exc.message, 422
    return render_template("store/api_tokens.html", active_tokens=tokens.active_tokens(current_user),
                           created=created, error=error, name=request.form.get("name", "")), status


@bp.route("/token-api/<int:token_id>/revoca", methods=["POST"])
def revoke_api_token(token_id):
    """Revoke one of my tokens: systems using it stop working at once."""
    _store_staff_only()
    try:
        row = tokens.revoke(current_user, token_id)
    except ServiceError:
        abort(404)
    flash(_("Token «%(name)s» revocato.", name=row.name), "success")
    return redirect(url_for("store.api_tokens"))
