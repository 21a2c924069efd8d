"""The local mailbox (development only), bouncing addresses, and the coordinators' daily digest."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Flag, MailDelivery
from app.models.base import utcnow
from app.services.notify import channels, digest, mail, password_reset
from tests.mail_helpers import parts, smtp_server  # noqa: F401
from tests.test_notify_triggers import net, post  # noqa: F401

ROME = ZoneInfo("Europe/Rome")


def _reset_mail_for(make_user):
    make_user("store", email="clerk@example.org")
    password_reset.request_reset("clerk@example.org", "127.0.0.1")
    return db.session.scalars(select(MailDelivery)).one()


@pytest.mark.parametrize("role, status", [("coordinator", 200), ("store", 403), ("charity", 403),
                                          ("volunteer", 403)])
def test_the_local_mailbox_is_for_coordinators(client, as_role, make_user, role, status):
    row = _reset_mail_for(make_user)
    as_role(role)
    for url in ("/email/posta", f"/email/posta/{row.id}", f"/email/posta/{row.id}/html"):
        assert client.get(url).status_code == status, url


def test_the_local_mailbox_needs_a_sign_in(client, make_user):
    row = _reset_mail_for(make_user)
    assert client.get("/email/posta").status_code == 302
    assert client.get(f"/email/posta/{row.id}").status_code == 302


def test_the_mailbox_shows_what_would_have_been_sent(client, as_role, make_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    row = _reset_mail_for(make_user)
    as_role("coordinator")
    mail.send_pending()
    listing = client.get("/email/posta").get_data(as_text=True)
    assert "Nessun server di posta configurato" in listing and "Reimposta la tua password" in listing
    assert "clerk@example.org" in listing and "tenuta qui" in listing
    item = client.get(f"/email/posta/{row.id}").get_data(as_text=True)
    assert 'href="http://localhost/password/' in item and 'sandbox=""' in item
    frame = client.get(f"/email/posta/{row.id}/html")
    assert "sandbox" in frame.headers["Content-Security-Policy"] and "Scegli una nuova password" in frame.get_data(
        as_text=True)
    assert client.get("/email/posta/999999").status_code == 404


def test_in_production_the_mailbox_is_a_404(client, as_role, make_user, app, monkeypatch):
    row = _reset_mail_for(make_user)
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    urls = ("/email/posta", f"/email/posta/{row.id}", f"/email/posta/{row.id}/html")
    assert [client.get(url).status_code for url in urls] == [404] * 3  # signed out too
    as_role("coordinator")
    assert [client.get(url).status_code for url in urls] == [404] * 3
    assert client.get("/email/rimbalzi").status_code == 200  # the bounce list is not development-only


@pytest.mark.parametrize("role, status", [("coordinator", 200), ("store", 403), ("volunteer", 403)])
def test_bouncing_addresses_are_shown_to_coordinators(client, as_role, role, status):
    mail.address_row("gone@example.org", create=True).bouncing_at = utcnow()
    db.session.commit()
    as_role(role)
    assert client.get("/email/rimbalzi").status_code == status


def test_a_coordinator_clears_a_bounce(client, as_role):
    row = mail.address_row("gone@example.org", create=True)
    row.bouncing_at, row.bounce_reason = utcnow(), "550 user unknown"
    db.session.commit()
    as_role("coordinator")
    assert "gone@example.org" in client.get("/email/rimbalzi").get_data(as_text=True)
    assert client.post(f"/email/rimbalzi/{row.id}/riattiva").status_code == 302
    assert not mail.is_bouncing("gone@example.org")
    assert client.post("/email/rimbalzi/999999/riattiva").status_code == 404
    assert client.post(f"/email/rimbalzi/{row.id}/riattiva", csrf=False).status_code == 400


# --- the daily digest -----------------------------------------------------------------------

def _at_rome(hour, days=0):
    today = utcnow().astimezone(ROME).date() + timedelta(days=days)
    return datetime(today.year, today.month, today.day, hour, 5, tzinfo=ROME)


def _coordinator_with_digest(make_user, hour=7):
    coordinator = make_user("coordinator", email="carla@example.org")
    mail.mark_verified(coordinator.email)
    channels.set_digest(coordinator, hour)
    db.session.commit()
    return coordinator


def test_the_digest_goes_once_a_day_at_the_chosen_hour(make_user, smtp_server):
    _coordinator_with_digest(make_user, hour=7)
    assert digest.send_due(now=_at_rome(6)) is None
    assert digest.send_due(now=_at_rome(7)) == 1
    assert digest.send_due(now=_at_rome(9)) is None  # already sent today
    assert digest.send_due(now=_at_rome(7, days=1)) == 1
    mail.send_pending(now=_at_rome(7, days=1))
    messages = smtp_server.to("carla@example.org")
    assert len(messages) == 2
    text, html = parts(messages[0])
    assert "Ieri" in text and "Segnalazioni aperte" in text and "riepilogo giornaliero" in text
    assert "<h2" in html


def test_the_digest_counts_yesterday_and_lists_open_flags(net, make_user):
    donation = post(net)
    db.session.add(Flag(donation_id=donation.id, kind="late_unclaim", message="Rinuncia all'ultimo momento"))
    db.session.commit()
    coordinator = _coordinator_with_digest(make_user)
    tomorrow = utcnow() + timedelta(days=1)
    lines = {s.title: s.lines for s in digest.sections(coordinator, tomorrow.astimezone(ROME).date(), tomorrow)}
    assert "Donazioni pubblicate: 1 (15 kg)" in lines["Ieri"]
    assert lines["Segnalazioni aperte: 1"] == [f"#{donation.id}: Rinuncia all'ultimo momento"]


def test_other_areas_add_sections_to_the_digest(make_user, monkeypatch):
    """The hook the rota uses for tomorrow's empty slots."""
    coordinator = _coordinator_with_digest(make_user)

    def empty_slots(user, day, now):
        return digest.Section("Turni di domani scoperti", [f"Coop Andrea Costa, {day + timedelta(days=1)}"])

    monkeypatch.setattr(digest, "DIGEST_SECTIONS", digest.DIGEST_SECTIONS + [empty_slots, lambda *a: None])
    row = digest.queue_digest(coordinator, _at_rome(7).date(), _at_rome(7))
    assert "Turni di domani scoperti" in row.body_text and "Coop Andrea Costa" in row.body_html


def test_no_digest_for_an_unverified_address_or_a_former_coordinator(make_user):
    coordinator = _coordinator_with_digest(make_user)
    mail.address_row(coordinator.email).verified_at = None
    db.session.commit()
    assert digest.send_due(now=_at_rome(8)) is None
    volunteer = make_user("volunteer")
    mail.mark_verified(volunteer.email)
    channels.set_digest(volunteer, 7)
    db.session.commit()
    assert digest.send_due(now=_at_rome(8, days=1)) is None
    assert db.session.scalars(select(MailDelivery)).all() == []


def test_the_digest_is_in_the_coordinators_language(make_user):
    coordinator = _coordinator_with_digest(make_user)
    coordinator.locale = "en"
    db.session.commit()
    row = digest.queue_digest(coordinator, _at_rome(7).date(), _at_rome(7))
    assert row.subject.startswith("Raccolto: the digest of") and "Yesterday" in row.body_text


def test_the_demo_logins_have_confirmed_addresses_and_the_coordinator_a_digest(make_user):
    from app.demo.mail import seed_mail

    coordinator = make_user("coordinator", email="coordinatore@demo.raccolto.it")
    volunteer = make_user("volunteer", email="volontario@demo.raccolto.it")
    seed_mail(None)
    db.session.commit()
    assert mail.is_verified(coordinator) and mail.is_verified(volunteer)
    assert channels.digest_of(coordinator).hour == 7 and channels.digest_of(volunteer) is None


def test_a_new_volunteer_gets_the_confirmation_link(client):
    answer = client.post("/registrati", data={
        "name": "Nuova Volontaria", "email": "nuova@example.org", "phone": "333 1234567",
        "municipality": "Bologna", "vehicle": "car", "password": "password-lunga-1",
        "confirm": "password-lunga-1", "consent": "y"})
    assert answer.status_code == 302
    [row] = db.session.scalars(select(MailDelivery)).all()
    assert row.kind == "verify" and row.to_address == "nuova@example.org" and "/email/conferma/" in row.body_text
