"""Views under /email: settings and verification, the local mailbox (not in production), bouncing addresses."""
from functools import wraps

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.mail.blueprint import bp
from app.mail.forms import settings_form
from app.notifications.forms import ButtonForm
from app.permissions import role_required
from app.services import ServiceError
from app.services.notify import channels, inbox, mail, mail_channel

# The HTML part of a mail is shown in a sandboxed frame: it has inline styles (mail clients need
# them) and must not run anything, so it gets its own policy instead of the site's.
MAIL_FRAME_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; "
                  "sandbox")


def _form_data(topics, with_digest):
    """The current choices as form data."""
    data = {"channel_" + key: value for key, value in channels.of_user(current_user, [t.key for t in topics]).items()}
    if with_digest:
        digest = channels.digest_of(current_user)
        data["digest_hour"] = str(digest.hour) if digest else ""
    return data


@bp.route("/", methods=["GET", "POST"])
@login_required
def settings():
    """The address and its verification, how each kind of notification arrives, the coordinator's digest."""
    topics = inbox.topics_for(current_user)
    with_digest = current_user.has_role("coordinator")
    verified = mail.is_verified(current_user)
    status = 200
    if request.method == "POST":
        form = settings_form(topics, with_digest, formdata=request.form)
        if form.validate():
            try:
                channels.save(current_user, {t.key: form["channel_" + t.key].data for t in topics},
                              [t.key for t in topics], verified,
                              digest_hour=form.digest_hour.data if with_digest else False)
            except ServiceError as refusal:
                flash(refusal.message, "error")
                status = 400
            else:
                flash(_("Preferenze email salvate."), "success")
                return redirect(url_for("mail.settings"))
        else:
            flash(_("Le preferenze non sono state salvate: ricarica la pagina e riprova."), "error")
            status = 400
    else:
        form = settings_form(topics, with_digest, data=_form_data(topics, with_digest))
    return render_template("mail/settings.html", form=form, topics=topics, with_digest=with_digest,
                           verified=verified, bouncing=bool(current_user.email) and mail.is_bouncing(
                               current_user.email), button=ButtonForm()), status


@bp.route("/verifica", methods=["POST"])
@login_required
def send_verification():
    """Send the link that confirms the user's address."""
    if ButtonForm().validate_on_submit():
        if mail_channel.send_verification(current_user) is not None:
            flash(_("Ti abbiamo mandato un link a %(email)s: aprilo per confermare l'indirizzo.",
                    email=current_user.email), "success")
        else:
            flash(_("Il tuo indirizzo è già confermato."), "info")
    return redirect(url_for("mail.settings"))


@bp.route("/conferma/<token>")
def confirm(token):
    """Open a verification link: the address is confirmed (no sign-in needed, the link is signed)."""
    try:
        mail_channel.confirm(token)
    except ServiceError as refusal:
        return render_template("mail/confirm_invalid.html", message=refusal.message), (
            410 if refusal.code == "expired" else 404)
    flash(_("Indirizzo email confermato. Ora puoi ricevere le notifiche per email."), "success")
    return redirect(url_for("mail.settings") if current_user.is_authenticated else url_for("auth.login"))


# --- the local mailbox (development only) ------------------------------------------------

def development_only(view):
    """The mailbox shows every queued mail, links included: in production it does not exist (404), for anyone."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_app.config["ENV_NAME"] == "production":
            abort(404)
        return view(*args, **kwargs)

    return wrapped


@bp.route("/posta")
@development_only
@role_required("coordinator")
def mailbox():
    """Every mail the app has queued, newest first: what would have been sent (development)."""
    rows, more = mail.mailbox(before_id=request.args.get("prima", type=int))
    return render_template("mail/mailbox.html", rows=rows, more=more, server=current_app.config.get("MAIL_SERVER"))


@bp.route("/posta/<int:delivery_id>")
@development_only
@role_required("coordinator")
def mailbox_item(delivery_id):
    """One mail: its headers, the plain-text part and the HTML part."""
    row = mail.get(delivery_id) or abort(404)
    return render_template("mail/mailbox_item.html", row=row)


@bp.route("/posta/<int:delivery_id>/html")
@development_only
@role_required("coordinator")
def mailbox_html(delivery_id):
    """The HTML part alone, for the sandboxed frame of the mailbox page."""
    row = mail.get(delivery_id) or abort(404)
    response = make_response(row.body_html)
    response.headers["Content-Security-Policy"] = MAIL_FRAME_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


# --- bouncing addresses (production too) -----------------------------------------------

@bp.route("/rimbalzi")
@role_required("coordinator")
def bounces():
    """Addresses whose server refused our mail: nothing more goes to them until cleared."""
    return render_template("mail/bounces.html", rows=mail.bouncing_addresses(), button=ButtonForm())


@bp.route("/rimbalzi/<int:address_id>/riattiva", methods=["POST"])
@role_required("coordinator")
def clear_bounce(address_id):
    """The person fixed the mailbox: mail may go to the address again."""
    if ButtonForm().validate_on_submit():
        if mail.clear_bounce(address_id) is None:
            abort(404)
        flash(_("Indirizzo riattivato: le prossime email partiranno di nuovo."), "success")
    return redirect(url_for("mail.bounces"))
