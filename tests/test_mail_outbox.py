"""The mail outbox against a real SMTP server on loopback: delivery, bounces (550), retries (451), the local mailbox."""
import logging
from datetime import timedelta

from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import MailDelivery
from app.models.base import utcnow
from app.services.notify import mail
from tests.mail_helpers import parts, smtp_server  # noqa: F401


def _queue(address, n=1, kind="notification"):
    rows = [mail.queue(kind, address, "notification", subject=f"Prova {i}", title=f"Prova {i}",
                       body="Corpo", urgent=False, link="http://localhost/notifiche/") for i in range(n)]
    db.session.commit()
    return rows


def _statuses():
    db.session.expire_all()
    return [row.status for row in db.session.scalars(select(MailDelivery).order_by(MailDelivery.id))]


def test_a_mail_has_a_text_part_an_html_part_a_sender_and_a_footer(app, smtp_server):
    app.config["MAIL_DEFAULT_SENDER"] = "Raccolto <noreply@example.org>"
    _queue("someone@example.org")
    assert mail.send_pending() == {"sent": 1}
    [message] = smtp_server.to("someone@example.org")
    text, html = parts(message)
    assert message["From"] == "Raccolto <noreply@example.org>" and message["Auto-Submitted"] == "auto-generated"
    assert "Prova 0" in text and "Hai ricevuto questa email perché" in text and "/email/" in text
    assert html.startswith("<!doctype html>") and "Impostazioni delle notifiche" in html
    assert _statuses() == ["sent"]
    assert mail.send_pending() is None  # nothing is sent twice


def test_a_550_marks_the_address_bouncing_and_stops_further_mail(app, smtp_server):
    smtp_server.answers["gone@example.org"] = "550 5.1.1 <gone@example.org>: user unknown"
    _queue("gone@example.org", 2)
    _queue("fine@example.org")
    counts = mail.send_pending()
    assert counts == {"bounced": 1, "suppressed": 1, "sent": 1}
    assert _statuses() == ["bounced", "suppressed", "sent"]
    assert mail.is_bouncing("gone@example.org") and not mail.is_bouncing("fine@example.org")
    assert smtp_server.rcpt_attempts["gone@example.org"] == 1  # the second was never tried
    [row] = _queue("gone@example.org")
    assert row.status == "suppressed"
    assert mail.send_pending() is None
    assert smtp_server.to("gone@example.org") == []
    [(address, _user)] = mail.bouncing_addresses()
    assert address.address == "gone@example.org" and "550" in address.bounce_reason


def test_a_451_is_retried_with_backoff_then_delivered(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_MINUTES", "1,5")
    smtp_server.answers["busy@example.org"] = "451 4.7.1 try again later"
    _queue("busy@example.org")
    start = utcnow()
    assert mail.send_pending(now=start) == {"retry": 1}
    row = db.session.scalars(select(MailDelivery)).one()
    assert row.status == "pending" and row.attempts == 1 and row.last_code == 451
    assert row.next_attempt_at == start + timedelta(minutes=1)
    assert mail.send_pending(now=start + timedelta(seconds=30)) is None  # not due yet
    assert mail.send_pending(now=start + timedelta(minutes=1)) == {"retry": 1}
    db.session.expire_all()
    assert row.next_attempt_at == start + timedelta(minutes=6)
    del smtp_server.answers["busy@example.org"]
    assert mail.send_pending(now=start + timedelta(minutes=6)) == {"sent": 1}
    assert len(smtp_server.to("busy@example.org")) == 1 and not mail.is_bouncing("busy@example.org")


def test_a_451_that_never_ends_is_given_up(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_MINUTES", "1")
    smtp_server.answers["busy@example.org"] = "451 4.7.1 try again later"
    _queue("busy@example.org")
    start = utcnow()
    mail.send_pending(now=start)
    assert mail.send_pending(now=start + timedelta(minutes=1)) == {"failed": 1}
    assert _statuses() == ["failed"] and not mail.is_bouncing("busy@example.org")


def test_a_server_that_cannot_be_reached_is_retried(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PORT", 1)  # nothing listens there
    _queue("someone@example.org")
    assert mail.send_pending() == {"retry": 1}
    row = db.session.scalars(select(MailDelivery)).one()
    assert row.status == "pending" and row.last_code is None and row.last_error


def test_without_a_server_mails_are_kept_in_the_local_mailbox(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    _queue("someone@example.org", 2)
    assert mail.send_pending() == {"kept": 2}
    assert _statuses() == ["kept", "kept"]
    rows, more = mail.mailbox()
    assert [r.subject for r in rows] == ["Prova 1", "Prova 0"] and not more


def test_a_row_left_sending_by_a_dead_worker_is_never_resent(app, smtp_server):
    [row] = _queue("someone@example.org")
    long_ago = utcnow() - timedelta(hours=1)
    row.status, row.claimed_at = "sending", long_ago
    db.session.commit()
    assert mail.send_pending() == {"interrupted": 1}
    assert _statuses() == ["failed"] and smtp_server.messages == []


def test_production_without_mail_settings_starts_and_says_mail_is_off(app, caplog):
    overrides = dict(app.config)
    overrides.update(ENV_NAME="production", SECRET_KEY="a-real-secret-for-this-test", MAIL_SERVER=None)
    with caplog.at_level(logging.WARNING, logger="raccolto.mail"):
        production = create_app(overrides)
    assert any("mail is off" in r.getMessage() for r in caplog.records)
    with production.app_context():
        db.engine.dispose()


def test_in_production_without_a_server_mails_wait_in_the_outbox(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    _queue("someone@example.org")
    assert mail.send_pending() is None
    assert _statuses() == ["pending"]


def test_contradictory_tls_settings_send_nothing_and_lose_nothing(app, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", True)
    monkeypatch.setitem(app.config, "MAIL_USE_SSL", True)
    _queue("someone@example.org")
    assert mail.send_pending() is None
    row = db.session.scalars(select(MailDelivery)).one()
    assert row.status == "pending" and row.attempts == 0 and "mutually exclusive" in row.last_error
    monkeypatch.setitem(app.config, "MAIL_USE_SSL", False)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    assert mail.send_pending() == {"sent": 1}
