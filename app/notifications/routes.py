"""Views under /notifiche: the inbox, opening one notification, settings and devices."""
from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.htmx import render_page_or_fragment, wants_fragment
from app.notifications.blueprint import bp
from app.notifications.forms import ButtonForm, preferences_form
from app.services import ServiceError
from app.services.notify import inbox, push
from app.services.notify.vapid import public_key


@bp.route("/")
def index():
    """The inbox, newest first; what it shows counts as read (new ones stay marked this once)."""
    before = request.args.get("prima", type=int)
    rows, more = inbox.page(current_user, before_id=before)
    fresh = {n.id for n in rows if n.read_at is None}
    if fresh:
        inbox.mark_read(current_user, ids=list(fresh))
    return render_page_or_fragment("notifications/index.html", "notifications/_items.html",
                                   rows=rows, fresh=fresh, more=more)


@bp.route("/<int:notification_id>")
def open_item(notification_id):
    """Open one notification (from the list or a push): mark it read, go to its page."""
    item = inbox.get(current_user, notification_id)
    if item is None:
        abort(404)
    inbox.mark_read(current_user, ids=[item.id])
    target = item.url or ""
    # Only paths on this site: a stored link never sends anyone elsewhere.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("notifications.index")
    return redirect(target)


@bp.route("/impostazioni", methods=["GET", "POST"])
def settings():
    """Push on this device, the devices that receive notifications, and what to hear about."""
    topics = inbox.topics_for(current_user)
    if request.method == "POST":
        form = preferences_form(topics, None, formdata=request.form)
        if form.validate():
            inbox.set_preferences(current_user, {t.key: form[t.key].data for t in topics})
            flash(_("Preferenze salvate."), "success")
            return redirect(url_for("notifications.settings"))
        flash(_("Le preferenze non sono state salvate: ricarica la pagina e riprova."), "error")
        status = 400
    else:
        form = preferences_form(topics, inbox.preferences(current_user))
        status = 200
    return render_template("notifications/settings.html", form=form, topics=topics,
                           devices=push.devices(current_user)), status


@bp.route("/dispositivi")
def devices():
    """The list of this user's devices, a fragment htmx refreshes after subscribing."""
    if not wants_fragment():
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/_devices.html", devices=push.devices(current_user))


@bp.route("/dispositivi", methods=["POST"])
def subscribe():
    """Store this browser's PushSubscription (JSON from static/js/push.js)."""
    try:
        sub = push.save_subscription(current_user, request.get_json(silent=True),
                                     request.headers.get("User-Agent", ""))
    except ServiceError as error:
        return jsonify({"status": "refused", "code": error.code, "message": error.message}), 400
    # Remembered in the session so that signing out silences this device (auth.logout).
    session["push_subscription_id"] = sub.id
    return jsonify({"status": "subscribed", "id": sub.id, "device": sub.device}), 201


@bp.route("/dispositivi/rimuovi", methods=["POST"])
def unsubscribe():
    """Forget this browser's subscription, by endpoint (JSON) or by id (the device list's button)."""
    data = request.get_json(silent=True) or {}
    device_id = request.form.get("device_id", type=int)
    found = push.remove_subscription(current_user, endpoint=data.get("endpoint"), subscription_id=device_id)
    if request.is_json:
        return jsonify({"status": "removed" if found else "unknown"})
    if wants_fragment():
        return render_template("notifications/_devices.html", devices=push.devices(current_user))
    if found:
        flash(_("Dispositivo rimosso: non riceverà più notifiche."), "success")
    return redirect(url_for("notifications.settings"))


@bp.route("/prova", methods=["POST"])
def send_test():
    """Queue a test notification to every device of mine (the worker sends it in a few seconds)."""
    if ButtonForm().validate_on_submit():
        if inbox.send_test(current_user):
            flash(_("Notifica di prova inviata: arriva entro pochi secondi."), "success")
        else:
            flash(_("Notifica di prova aggiunta alla lista. Per riceverla anche sul telefono attiva "
                    "le notifiche su questo dispositivo."), "info")
    return redirect(url_for("notifications.settings"))


@bp.route("/chiave.json")
def vapid_key():
    """The VAPID public key (applicationServerKey) as JSON."""
    return jsonify({"publicKey": public_key()})
