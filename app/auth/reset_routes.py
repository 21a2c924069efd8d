"""Views: /password-dimenticata (ask for a link) and /password/<token> (choose a new password)."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user

from app.auth.blueprint import bp
from app.auth.reset_forms import NewPasswordForm, ResetRequestForm
from app.permissions import home_endpoint
from app.services import ServiceError
from app.services.notify import password_reset


@bp.route("/password-dimenticata", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    form = ResetRequestForm()
    status, sent, error = 200, False, None
    if form.validate_on_submit():
        try:
            password_reset.request_reset(form.email.data, (request.remote_addr or "unknown")[:64])
        except ServiceError as refusal:
            error, status = refusal.message, 429
        else:
            sent = True
    elif request.method == "POST":
        status = 400
    return render_template("auth/forgot_password.html", form=form, sent=sent, error=error), status


@bp.route("/password/<token>", methods=["GET", "POST"])
def reset_password(token):
    """Choose a new password through a reset link (single use); signs in here, out everywhere else."""
    try:
        password_reset.find_reset(token)
    except ServiceError as refusal:
        return render_template("auth/reset_invalid.html", message=refusal.message), (
            404 if refusal.code == "invalid" else 410)
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = password_reset.reset_password(token, form.password.data)
        except ServiceError as refusal:
            return render_template("auth/reset_invalid.html", message=refusal.message), 410
        login_user(user)
        flash(_("Password cambiata. Sei entrato con la nuova password; le altre sessioni sono state chiuse."),
              "success")
        return redirect(url_for(home_endpoint(user)))
    elif request.method == "POST":
        status = 400
    return render_template("auth/reset_password.html", form=form, token=token), status
