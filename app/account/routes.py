"""Views under /profilo, plus the language switch."""
import json
from urllib.parse import urlsplit

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user, login_user

from app.account.blueprint import bp
from app.account.forms import DeleteForm, LanguageForm, PasswordForm, ProfileForm, VolunteerProfileForm
from app.extensions import db
from app.geo import coordinates
from app.i18n import LANG_COOKIE
from app.services import ServiceError
from app.services.people import accounts


@bp.route("/", methods=["GET", "POST"])
@login_required
def profile():
    """Edit one's own name, phone, language (and volunteer details)."""
    user = current_user
    form = _profile_form()
    status = 200
    if form.validate_on_submit():
        user.name, user.phone, user.locale = form.name.data.strip(), form.phone.data.strip(), form.locale.data
        if user.volunteer:
            v = user.volunteer
            v.municipality, v.vehicle = form.municipality.data, form.vehicle.data
            v.cold_transport, v.hygiene_training_on = form.cold_transport.data, form.hygiene_training_on.data
            coords = coordinates(v.municipality)
            if coords:
                v.base_lat, v.base_lon = coords
        db.session.commit()
        flash(_("Profilo aggiornato."), "success")
        return redirect(url_for("account.profile"))
    elif request.method == "POST":
        status = 400
    return _render_profile(form=form, status=status)


def _profile_form(from_request=True):
    """The profile form for this user: the submitted data, else the stored values."""
    user = current_user
    form_class = VolunteerProfileForm if user.volunteer else ProfileForm
    form = form_class(obj=user) if from_request else form_class(formdata=None, obj=user)
    if not (from_request and form.is_submitted()):
        form.locale.data = user.locale or "it"
        if user.volunteer:
            v = user.volunteer
            form.municipality.data, form.vehicle.data = v.municipality, v.vehicle
            form.cold_transport.data = v.cold_transport
            form.hygiene_training_on.data = v.hygiene_training_on
    return form


def _render_profile(form=None, password_form=None, delete_form=None, status=200):
    return render_template("account/profile.html", form=form or _profile_form(from_request=False),
                           password_form=password_form or PasswordForm(),
                           delete_form=delete_form or DeleteForm()), status


@bp.route("/password", methods=["POST"])
@login_required
def change_password():
    """Change one's password; other sessions are logged out."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.password.data)
        except ServiceError as error:
            form.current.errors.append(error.message)
        else:
            login_user(current_user._get_current_object())  # re-issue this session with the new token
            flash(_("Password cambiata. Le altre sessioni sono state chiuse."), "success")
            return redirect(url_for("account.profile"))
    return _render_profile(password_form=form, status=400)


@bp.route("/dati.json")
@login_required
def export():
    """Download everything Raccolto keeps about me, as JSON."""
    body = json.dumps(accounts.export_user_data(current_user), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": "attachment; filename=raccolto-miei-dati.json"})


@bp.route("/elimina", methods=["POST"])
@login_required
def delete():
    """Delete my account after confirming the password; custody records keep a pseudonym."""
    form = DeleteForm()
    if form.validate_on_submit() and accounts.check_password(current_user, form.password.data):
        accounts.delete_account(current_user._get_current_object())
        logout_user()
        flash(_("Il tuo account è stato eliminato. I registri dei ritiri conservano solo un "
                "codice anonimo."), "info")
        return redirect(url_for("public.home"))
    if form.password.data:
        form.password.errors.append(_("La password non è corretta: l'account non è stato eliminato."))
    return _render_profile(delete_form=form, status=400)


@bp.route("/lingua", methods=["POST"])
def language():
    """Switch the interface language (cookie, and the user's setting when logged in)."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return redirect(url_for("public.home"))
    if current_user.is_authenticated:
        current_user.locale = form.lang.data
        db.session.commit()
    target = request.referrer or url_for("public.home")
    parts = urlsplit(target)
    if parts.netloc and parts.netloc != request.host:
        target = url_for("public.home")
    response = redirect(target)
    response.set_cookie(LANG_COOKIE, form.lang.data, max_age=365 * 24 * 3600, samesite="Lax",
                        httponly=True)
    return response
