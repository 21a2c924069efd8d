"""Mail: the outbox of mails, written in the caller's transaction and sent by the worker (Flask-Mailman).

Like push (push.py): a worker claims a batch of due rows (`FOR UPDATE SKIP LOCKED`
on PostgreSQL, the single writer lock on SQLite) and marks them `sending` in the
same transaction, sends outside any transaction and records the outcome, so a
row is never sent twice, whatever the number of workers. A 5xx answer to the
recipient marks the address bouncing and stops every further mail to it; a 4xx
(or a server that cannot be reached) is retried with backoff. With no
MAIL_SERVER the worker keeps mails in the local mailbox (status `kept`).
"""
import logging
import smtplib
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mailman import EmailMultiAlternatives
from sqlalchemy import func, select, update

from app.extensions import db, mail as mailman, write_transaction
from app.models import MailAddress, MailDelivery, User
from app.models.base import utcnow
from app.services.notify import outbox
from app.services.notify.inbox import site_path
from app.services.people.accounts import normalise_email
from app.worker import job

log = logging.getLogger("raccolto.mail")
# What turns a mail's template name and context into (text, html): the web layer plugs
# its renderer in (app/mail_render.py, from the app factory), so this service never
# imports a template or a module that renders one (tests/test_layout.py).
RENDERERS = []


def render(name, **context):
    """(text, html) of mail `name`, made by the renderer the app registered."""
    if not RENDERERS:
        raise RuntimeError("no mail renderer registered: create the app with create_app()")
    return RENDERERS[0](name, **context)
STALE_SENDING = timedelta(minutes=10)
MAX_BATCHES_PER_TICK = 20
# Kinds mailed even to an address nobody has verified: they are how one proves it.
UNVERIFIED_OK = ("reset", "invitation", "verify")


def enabled():
    """True when a real SMTP server is configured (MAIL_SERVER)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def absolute(path):
    """PUBLIC_BASE_URL + a site path: links in mails must work from any mail client."""
    return current_app.config["PUBLIC_BASE_URL"] + path


# --- addresses --------------------------------------------------------------------------

def address_row(address, create=False):
    """The MailAddress of `address` (normalised); created (not committed) when asked."""
    address = normalise_email(address)
    row = db.session.scalar(select(MailAddress).where(MailAddress.address == address))
    if row is None and create:
        row = MailAddress(address=address)
        db.session.add(row)
    return row


def is_verified(user):
    """True when the user's current address was confirmed by opening a link sent to it."""
    if user is None or not user.email:
        return False
    row = address_row(user.email)
    return row is not None and row.verified_at is not None


def is_bouncing(address):
    """True when a server answered 5xx for this address (until a coordinator clears it)."""
    row = address_row(address)
    return row is not None and row.bouncing_at is not None


def mark_verified(address, now=None):
    """Record that whoever reads `address` opened a link sent to it (a bounce is forgotten). No commit."""
    row = address_row(address, create=True)
    row.verified_at = row.verified_at or now or utcnow()
    row.bouncing_at, row.bounce_reason = None, ""
    return row


def bouncing_addresses(limit=200):
    """Addresses that bounce, newest first, with the account that uses each (or None)."""
    rows = db.session.execute(
        select(MailAddress, User).outerjoin(User, User.email == MailAddress.address)
        .where(MailAddress.bouncing_at.is_not(None)).order_by(MailAddress.bouncing_at.desc()).limit(limit)).all()
    return [(address, user) for address, user in rows]


def clear_bounce(address_id):
    """A coordinator says the address works again (the person fixed the mailbox). Commits."""
    row = db.session.get(MailAddress, address_id)
    if row is not None:
        row.bouncing_at, row.bounce_reason = None, ""
        db.session.commit()
    return row


# --- queueing ---------------------------------------------------------------------------

def queue(kind, to, template, locale=None, user=None, reason=None, notification_id=None, invitation_id=None,
          now=None, **context):
    """Render templates/mail/<template> in `locale` and add one outbox row; returns it. No commit.

    An address that bounces gets a row marked `suppressed` (a record that nothing went).
    """
    now = now or utcnow()
    address = normalise_email(to)
    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        context.setdefault("settings_url", absolute(site_path("mail.settings")))
        context["reason"] = str(reason() if callable(reason) else reason or _(
            "Hai ricevuto questa email perché hai un account su Raccolto."))
        context["locale"] = locale
        subject = context.pop("subject")
        subject = str(subject() if callable(subject) else subject)[:200]
        text, html = render(template, subject=subject, **context)
    row = MailDelivery(kind=kind, to_address=address, user_id=user.id if user is not None else None,
                       notification_id=notification_id, invitation_id=invitation_id, locale=locale,
                       subject=subject, body_text=text, body_html=html, next_attempt_at=now, created_at=now,
                       status="suppressed" if is_bouncing(address) else "pending")
    if row.status == "suppressed":
        row.last_error = "address bouncing"
    db.session.add(row)
    return row


def queue_for_user(user, kind, template, **context):
    """Queue a mail to `user`'s address in their language, if it may be mailed; returns the row or None.

    Anything but a reset, an invitation or the verification itself waits for a verified address.
    """
    if user is None or not user.email or user.deleted_at is not None:
        return None
    if kind not in UNVERIFIED_OK and not is_verified(user):
        return None
    context.setdefault("user_name", user.name)
    return queue(kind, user.email, template, locale=user.locale, user=user, **context)


def mailbox(limit=100, before_id=None):
    """The outbox, newest first (the local mailbox page); returns (rows, more)."""
    query = select(MailDelivery)
    if before_id:
        query = query.where(MailDelivery.id < before_id)
    rows = db.session.scalars(query.order_by(MailDelivery.id.desc()).limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


def get(delivery_id):
    """One outbox row, or None."""
    return db.session.get(MailDelivery, delivery_id)


def latest_for_invitations(invitation_ids):
    """{invitation_id: its latest MailDelivery} for the coordinator's list of invitations."""
    if not invitation_ids:
        return {}
    newest = (select(func.max(MailDelivery.id)).where(MailDelivery.invitation_id.in_(invitation_ids))
              .group_by(MailDelivery.invitation_id))
    return {row.invitation_id: row for row in db.session.scalars(
        select(MailDelivery).where(MailDelivery.id.in_(newest)))}


# --- sending ----------------------------------------------------------------------------

def retry_delays():
    """Seconds to wait after the 1st, 2nd, ... failed attempt; after the last, give up."""
    return outbox.retry_delays("MAIL_RETRY_MINUTES", "1,5,30,120")


def claim_batch(now, limit):
    """Claim up to `limit` due mails for this worker and mark them sending; returns their ids."""
    return outbox.claim_batch(MailDelivery, now, limit)


def _connection():
    """A Flask-Mailman SMTP connection built from the current settings (tests change them)."""
    cfg = current_app.config
    return mailman.get_connection(
        backend="smtp", host=cfg["MAIL_SERVER"], port=cfg["MAIL_PORT"], username=cfg.get("MAIL_USERNAME"),
        password=cfg.get("MAIL_PASSWORD"), use_tls=cfg.get("MAIL_USE_TLS", False),
        use_ssl=cfg.get("MAIL_USE_SSL", False), timeout=cfg.get("MAIL_TIMEOUT", 15))


def message(row, connection=None):
    """The EmailMultiAlternatives of one outbox row: plain text, an HTML alternative, reply-to."""
    cfg = current_app.config
    msg = EmailMultiAlternatives(
        subject=row.subject, body=row.body_text, from_email=cfg["MAIL_DEFAULT_SENDER"], to=[row.to_address],
        reply_to=[cfg["MAIL_REPLY_TO"]] if cfg.get("MAIL_REPLY_TO") else None, connection=connection,
        headers={"Auto-Submitted": "auto-generated", "Content-Language": row.locale,
                 "X-Raccolto-Mail": str(row.id)})
    msg.attach_alternative(row.body_html, "text/html")
    return msg


def _send(row, connection):
    """Send one mail; returns (SMTP code or None, error text, bounced: the recipient was refused 5xx)."""
    try:
        connection.open()  # once per batch: later mails reuse the SMTP session
        message(row, connection).send()
        return 250, "", False
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        return code, _reply(code, text), code >= 500
    except smtplib.SMTPResponseException as error:
        _close(connection)  # the session is in an unknown state: start a new one for the next mail
        return error.smtp_code, _reply(error.smtp_code, error.smtp_error), False
    except (smtplib.SMTPException, OSError) as error:
        _close(connection)
        return None, f"{type(error).__name__}: {error}"[:300], False


def _close(connection):
    """Close an SMTP session that may already be broken."""
    try:
        connection.close()
    except (smtplib.SMTPException, OSError):
        connection.connection = None


def _reply(code, text):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}"[:300]


def _record(delivery_id, code, error, bounced, now):
    """Write the outcome of one attempt: sent, bounced, retry later, or give up."""
    with write_transaction():
        row = db.session.get(MailDelivery, delivery_id, with_for_update=True)
        row.last_code, row.last_error = code, error
        if code is not None and 200 <= code < 300:
            row.status, row.sent_at = "sent", now
            return "sent"
        if bounced:
            row.status = "bounced"
            address = address_row(row.to_address, create=True)
            address.bouncing_at, address.bounce_reason = now, error
            # Nothing more goes to it: what is still queued stays as a record.
            db.session.execute(update(MailDelivery).where(
                MailDelivery.to_address == row.to_address, MailDelivery.status == "pending")
                .values(status="suppressed", last_error="address bouncing")
                .execution_options(synchronize_session=False))
            return "bounced"
        delays = retry_delays()
        if (code is not None and code >= 500) or row.attempts > len(delays):
            row.status = "failed"
            return "failed"
        row.status, row.next_attempt_at = "pending", now + timedelta(seconds=delays[row.attempts - 1])
        return "retry"


def _suppress(delivery_id):
    """A claimed mail to an address that bounces: it is not sent."""
    with write_transaction():
        db.session.execute(update(MailDelivery).where(MailDelivery.id == delivery_id)
                           .values(status="suppressed", last_error="address bouncing")
                           .execution_options(synchronize_session=False))
    return "suppressed"


def _release(ids, error):
    """Put claimed mails back in the queue, untouched, when the settings make sending impossible."""
    with write_transaction():
        db.session.execute(update(MailDelivery).where(MailDelivery.id.in_(ids))
                           .values(status="pending", attempts=MailDelivery.attempts - 1, last_error=error)
                           .execution_options(synchronize_session=False))


def _keep_locally(ids, now):
    """No MAIL_SERVER: the claimed mails stay in the local mailbox page, marked kept."""
    with write_transaction():
        db.session.execute(update(MailDelivery).where(MailDelivery.id.in_(ids))
                           .values(status="kept", sent_at=now, last_error="local mailbox")
                           .execution_options(synchronize_session=False))
    return len(ids)


def _give_up_interrupted(now):
    """Rows a dead worker left 'sending': the mail may have gone out, so never resend them."""
    with write_transaction():
        result = db.session.execute(update(MailDelivery).where(
            MailDelivery.status == "sending", MailDelivery.claimed_at < now - STALE_SENDING)
            .values(status="failed", last_error="worker interrupted while sending")
            .execution_options(synchronize_session=False))
    return result.rowcount


def send_pending(now=None, limit=None, max_batches=MAX_BATCHES_PER_TICK):
    """Send every due mail (in batches, one SMTP session per batch); returns counts by outcome."""
    now = now or utcnow()
    if not enabled() and current_app.config["ENV_NAME"] == "production":
        return None  # mail is off: the outbox waits for a MAIL_SERVER (there is no local mailbox)
    limit = limit or current_app.config.get("MAIL_BATCH", 50)
    counts = {"interrupted": _give_up_interrupted(now)}
    for _batch in range(max_batches):
        ids = claim_batch(now, limit)
        if not ids:
            break
        if not enabled():
            counts["kept"] = counts.get("kept", 0) + _keep_locally(ids, now)
            continue
        try:
            connection = _connection()
        except ValueError as error:  # MAIL_USE_TLS and MAIL_USE_SSL both set: nothing can be sent
            _release(ids, str(error)[:300])
            log.error("mail not sent: %s", error)
            break
        try:
            for delivery_id in ids:
                row = db.session.get(MailDelivery, delivery_id)
                if is_bouncing(row.to_address):  # bounced earlier in this very batch
                    outcome = _suppress(delivery_id)
                else:
                    code, error, bounced = _send(row, connection)
                    outcome = _record(delivery_id, code, error, bounced, now)
                if outcome != "sent":
                    log.info("mail %s to %s: %s %s", delivery_id, row.to_address, outcome, error)
                counts[outcome] = counts.get(outcome, 0) + 1
                db.session.commit()  # end the read transaction before the next row
        finally:
            _close(connection)
    return {k: v for k, v in counts.items() if v} or None


@job("send_mail", every=5)
def _send_mail_job():
    """The worker's tick: send what is due."""
    return send_pending()
