"""Mail as a channel: notifications by email, invitations by email, verifying an address.

Registered hooks run inside their cause's transaction (inbox.notify, accounts.create_invitation),
so a mail row commits or rolls back with the notification or the invitation.
"""
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from sqlalchemy import delete, select

from app.extensions import db
from app.models import (MailAddress, MailDelivery, MailDigest, NotificationChannel, PasswordReset, ResetRequest,
                        User)
from app.services import ServiceError
from app.services.notify import channels, inbox, mail
from app.services.notify.inbox import site_path
from app.services.people import accounts

# Kinds that are urgent for mail even when not flagged urgent: someone must act now.
URGENT_KINDS = ("conflict",)
VERIFY_SALT = "raccolto-verify-email"


def _topic_label(topic):
    for item in inbox.TOPICS:
        if item.key == topic:
            return str(item.label)
    return None


def mail_notifications(rows, users, chosen, devices):
    """The notify() hook: mail each row whose recipient chose email (or has no push for an urgent one)."""
    by_id = {u.id: u for u in users}
    for row in rows:
        user, channel = by_id[row.user_id], chosen.get(row.user_id, "push")
        urgent = row.urgent or row.kind in URGENT_KINDS
        fallback = urgent and channel == "push" and not devices.get(user.id)
        if channel not in ("email", "both") and not fallback:
            continue
        if not mail.is_verified(user):
            continue
        db.session.flush()  # the row's id, for the link in the mail
        label = _topic_label(row.topic)

        def reason(label=label, fallback=fallback):
            if fallback:
                return _("Ti scriviamo per email perché è un avviso urgente e su nessun tuo dispositivo "
                         "sono attive le notifiche push.")
            if label:
                return _("Hai ricevuto questa email perché per «%(topic)s» hai scelto le notifiche per email.",
                         topic=label)
            return _("Hai ricevuto questa email perché hai un account su Raccolto.")

        mail.queue_for_user(user, "notification", "notification", subject=row.title, title=row.title,
                            body=row.body, urgent=urgent, notification_id=row.id, reason=reason,
                            link=mail.absolute(site_path("notifications.open_item", notification_id=row.id)))


def mail_invitation(invitation, token):
    """The create_invitation hook: an invitation with an address goes by email too (in Italian)."""
    if not invitation.email:
        return
    org = invitation.organisation
    mail.queue("invitation", invitation.email, "invitation", invitation_id=invitation.id,
               subject=lambda: _("Sei invitato su Raccolto per %(org)s", org=org.name), org_name=org.name,
               link=mail.absolute(site_path("auth.invitation", token=token)), expires_at=invitation.expires_at,
               note=invitation.note,
               reason=lambda: _("Hai ricevuto questa email perché il coordinamento di Raccolto ti ha "
                                "invitato. Se non ti riguarda, ignorala: senza il link non succede nulla."))


# --- verification --------------------------------------------------------------------

def _serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt=VERIFY_SALT)


def send_verification(user):
    """Queue the mail with the link that confirms `user`'s address. Commits; returns the row or None."""
    if not user.email or mail.is_verified(user):
        return None
    token = _serializer().dumps({"u": user.id, "e": user.email})
    row = mail.queue_for_user(
        user, "verify", "verify", subject=lambda: _("Conferma il tuo indirizzo email per Raccolto"),
        link=mail.absolute(site_path("mail.confirm", token=token)),
        hours=current_app.config["EMAIL_VERIFY_TTL_HOURS"],
        reason=lambda: _("Hai ricevuto questa email perché qualcuno ha chiesto di usare questo indirizzo "
                         "per le notifiche di Raccolto. Se non sei stato tu, ignorala."))
    db.session.commit()
    return row


def confirm(token):
    """Mark the address of a verification link verified; returns the user. Commits."""
    max_age = current_app.config["EMAIL_VERIFY_TTL_HOURS"] * 3600
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise ServiceError("expired", _("Questo link di conferma è scaduto: chiedine uno nuovo "
                                        "dalla pagina Email.")) from None
    except BadSignature:
        raise ServiceError("invalid", _("Questo link di conferma non è valido.")) from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    # The link confirms the address it was sent to: after a change of address it is void.
    if user is None or user.deleted_at is not None or accounts.normalise_email(user.email) != data.get("e"):
        raise ServiceError("invalid", _("Questo link di conferma non vale più per il tuo account."))
    mail.mark_verified(user.email)
    db.session.commit()
    return user


# --- own data: export and erasure ----------------------------------------------------------

def export(user):
    """The user's mail data, for the GDPR export (accounts.EXPORTERS)."""
    digest = channels.digest_of(user)
    return "mail", {
        "address_verified": mail.is_verified(user),
        "address_bouncing": bool(user.email) and mail.is_bouncing(user.email),
        "channels": channels.of_user(user, [t.key for t in inbox.topics_for(user)]),
        "digest_hour": digest.hour if digest else None,
        "mails": [{"at": row.created_at.isoformat(), "kind": row.kind, "subject": row.subject,
                   "status": row.status} for row in db.session.scalars(
            select(MailDelivery).where(MailDelivery.user_id == user.id).order_by(MailDelivery.id))],
    }


def erase(user):
    """Before an account is erased: its mails, its address record, its reset links and choices. No commit."""
    db.session.execute(delete(MailDelivery).where(MailDelivery.user_id == user.id))
    if user.email:
        db.session.execute(delete(MailDelivery).where(MailDelivery.to_address == user.email))
        db.session.execute(delete(MailAddress).where(MailAddress.address == user.email))
    for model in (PasswordReset, ResetRequest, NotificationChannel, MailDigest):
        db.session.execute(delete(model).where(model.user_id == user.id))


if export not in accounts.EXPORTERS:
    accounts.EXPORTERS.append(export)
if erase not in accounts.ERASERS:
    accounts.ERASERS.append(erase)
if mail_notifications not in inbox.CHANNEL_HOOKS:
    inbox.CHANNEL_HOOKS.append(mail_notifications)
if mail_invitation not in accounts.INVITATION_HOOKS:
    accounts.INVITATION_HOOKS.append(mail_invitation)
