"""Views: /login, /logout, /registrati, /invito/<token>."""
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth.blueprint import bp
from app.auth.forms import AcceptInvitationForm, InvitationAccountForm, LoginForm, VolunteerSignupForm
from app.extensions import db
from app.models.base import utcnow
from app.permissions import home_endpoint
from app.services import ServiceError
from app.services.notify import mail_channel
from app.services.people import accounts, ratelimit


def _safe_next(default):
    """Only same-site relative paths are followed after login."""
    target = request.args.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and not parts.scheme:
        return target
    return default


def _client_address():
    return (request.remote_addr or "unknown")[:64]


def _lock_message():
    from flask import current_app

    return _("Troppi tentativi di accesso non riusciti. Per sicurezza l'accesso è bloccato: "
             "riprova tra %(minutes)d minuti o chiedi al coordinatore di reimpostare la password.",
             minutes=current_app.config["LOGIN_LOCK_MINUTES"])


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password (rate-limited per account and address)."""
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data)
        address = _client_address()
        if ratelimit.is_locked(email, address):
            error, status = _lock_message(), 429
        else:
            user = accounts.find_user_by_email(email)
            if accounts.check_password(user, form.password.data):
                ratelimit.record(email, address, success=True)
                user.last_login_at = utcnow()
                db.session.commit()
                login_user(user, remember=form.remember.data)
                return redirect(_safe_next(url_for(home_endpoint(user))))
            ratelimit.record(email, address, success=False)
            if ratelimit.is_locked(email, address):
                error, status = _lock_message(), 429
            else:
                error, status = _("Email o password non corretti."), 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out (POST only, with CSRF); this device stops receiving the user's pushes."""
    subscription_id = session.pop("push_subscription_id", None)
    if subscription_id and current_user.is_authenticated:
        from app.services.notify import push

        push.remove_subscription(current_user, subscription_id=subscription_id)
    logout_user()
    flash(_("Sei uscito da Raccolto."), "info")
    return redirect(url_for("public.home"))


@bp.route("/registrati", methods=["GET", "POST"])
def signup():
    """Volunteer self-signup; the account stays pending until a coordinator approves."""
    form = VolunteerSignupForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.signup_volunteer(
                form.email.data, form.name.data, form.password.data, form.phone.data,
                form.municipality.data, form.vehicle.data, form.cold_transport.data,
                form.hygiene_training_on.data, locale=None)
        except ServiceError as error:
            form.email.errors.append(error.message)
            status = 400
        else:
            mail_channel.send_verification(user)  # notifications by email wait for the address to be confirmed
            login_user(user)
            flash(_("Grazie! La tua iscrizione è in attesa di approvazione da parte del "
                    "coordinatore. Ti avviseremo appena potrai prenotare i ritiri."), "success")
            return redirect(url_for("volunteer.home"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/signup.html", form=form), status


@bp.route("/invito/<token>", methods=["GET", "POST"])
def invitation(token):
    """Join an organisation through a single-use invitation link."""
    try:
        invite = accounts.find_invitation(token)
    except ServiceError as error:
        status = 404 if error.code == "invalid" else 410
        return render_template("auth/invitation_invalid.html", message=error.message), status
    if current_user.is_authenticated:
        form = AcceptInvitationForm()
        if form.validate_on_submit():
            try:
                accounts.accept_invitation(token, user=current_user)
            except ServiceError as error:
                return render_template("auth/invitation_invalid.html", message=error.message), 409
            flash(_("Ora fai parte di %(org)s.", org=invite.organisation.name), "success")
            return redirect(url_for(home_endpoint(current_user)))
        return render_template("auth/invitation.html", invite=invite, form=form)
    form = InvitationAccountForm(email=invite.email or None)
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(token, email=form.email.data, name=form.name.data,
                                              password=form.password.data, phone=form.phone.data)
        except ServiceError as error:
            db.session.rollback()
            if error.code == "email_taken":
                form.email.errors.append(error.message)
                status = 400
            else:
                return render_template("auth/invitation_invalid.html", message=error.message), 410
        else:
            login_user(user)
            flash(_("Benvenuto in Raccolto! Ora fai parte di %(org)s.", org=invite.organisation.name),
                  "success")
            return redirect(url_for(home_endpoint(user)))
    elif request.method == "POST":
        status = 400
    return render_template("auth/invitation.html", invite=invite, form=form), status


@bp.route("/sessione")
@login_required
def whoami():
    """A tiny JSON view of the session, used by the service worker to detect expiry."""
    return {"user": current_user.pseudonym, "roles": sorted(current_user.roles)}


@bp.route("/privacy")
def privacy():
    """The privacy notice (GDPR art. 13) linked from signup and every footer."""
    return render_template("auth/privacy.html")
