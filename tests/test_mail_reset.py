"""Password reset by mail, against a real SMTP server on loopback (acceptance 1 and 2)."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import MailDelivery, PasswordReset, User
from app.models.base import utcnow
from app.services.notify import mail, password_reset
from app.services.people import accounts
from tests.mail_helpers import link_in, parts, smtp_server  # noqa: F401

FORGOT = "/password-dimenticata"


def _ask(client, email, **kwargs):
    return client.post(FORGOT, data={"email": email}, **kwargs)


def _without_csrf(html):
    """The page with its per-session CSRF tokens blanked, to compare two answers."""
    return re.sub(r'(csrf-token" content=|name="csrf_token" value=|X-CSRFToken": )"[^"]*"', r'\1""', html)


def test_login_page_offers_password_reset(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/password-dimenticata"' in page and "Password dimenticata?" in page


def test_reset_mail_arrives_with_text_and_html_and_its_link_works_once(app, client, make_user, login_as,
                                                                         smtp_server):
    user = make_user("store", email="clerk@example.org", password="vecchia-password-1")
    other_device = app.test_client()
    login_as(user, on=other_device)
    before = other_device.get("/notifiche/")
    assert before.status_code == 200

    assert _ask(client, "Clerk@Example.org ").status_code == 200
    assert mail.send_pending() == {"sent": 1}
    [message] = smtp_server.to("clerk@example.org")
    text, html = parts(message)
    assert message["Subject"] == "Reimposta la tua password di Raccolto"
    assert message["Reply-To"] == "coordinamento@example.org"
    assert "Ciao Utente" in text and "60 minuti" in text and "Impostazioni delle notifiche" in text
    assert "<a href=" in html and "Scegli una nuova password" in html
    path = link_in(text, "/password/")
    assert path and path in html

    assert client.get(path).status_code == 200
    short = client.post(path, data={"password": "corta", "confirm": "corta"})
    assert short.status_code == 400 and "almeno 10 caratteri" in short.get_data(as_text=True)
    done = client.post(path, data={"password": "nuova-password-1", "confirm": "nuova-password-1"})
    assert done.status_code == 302
    assert client.get("/notifiche/").status_code == 200  # signed in here
    db.session.expire_all()
    assert accounts.check_password(db.session.get(User, user.id), "nuova-password-1")
    # The other session is signed out.
    assert other_device.get("/notifiche/").status_code == 302
    # Single use.
    again = app.test_client().post(path, data={"password": "altra-password-1", "confirm": "altra-password-1"})
    assert again.status_code == 410 and "già stato usato" in again.get_data(as_text=True)
    assert app.test_client().get(path).status_code == 410
    # Opening the link proved the address.
    assert mail.is_verified(db.session.get(User, user.id))


def test_reset_mail_is_in_the_users_language(client, make_user, smtp_server):
    user = make_user("volunteer", email="driver@example.org")
    user.locale = "en"
    db.session.commit()
    _ask(client, "driver@example.org")
    mail.send_pending()
    [message] = smtp_server.to("driver@example.org")
    text, html = parts(message)
    assert message["Subject"] == "Reset your Raccolto password"
    assert "Choose a new password" in html and "60 minutes" in text
    assert message["Content-Language"] == "en"


def test_reset_link_expires(app, client, make_user, smtp_server):
    make_user("charity", email="ente@example.org")
    past = utcnow() - timedelta(minutes=61)
    password_reset.request_reset("ente@example.org", "127.0.0.1", now=past)
    mail.send_pending(now=past)
    [message] = smtp_server.to("ente@example.org")
    path = link_in(parts(message)[0], "/password/")
    expired = client.get(path)
    assert expired.status_code == 410 and "scaduto" in expired.get_data(as_text=True)
    refused = client.post(path, data={"password": "nuova-password-1", "confirm": "nuova-password-1"})
    assert refused.status_code == 410


def test_an_unknown_link_is_a_404_with_an_italian_message(client):
    answer = client.get("/password/non-esiste")
    assert answer.status_code == 404 and "non è valido" in answer.get_data(as_text=True)


def test_known_and_unknown_addresses_get_the_same_page_and_status(client, make_user):
    make_user("store", email="known@example.org")
    known = _ask(client, "known@example.org")
    unknown = _ask(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert _without_csrf(known.get_data(as_text=True)) == _without_csrf(unknown.get_data(as_text=True))
    assert "Se questo indirizzo corrisponde a un account" in known.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MailDelivery)) == 1


@pytest.mark.parametrize("email", ["known@example.org", "nobody@example.org"])
def test_the_sixth_request_in_an_hour_for_one_address_is_refused(client, make_user, email):
    make_user("store", email="known@example.org")
    answers = [_ask(client, email, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}) for n in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert "Troppe richieste" in answers[-1].get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PasswordReset)) == (
        5 if email.startswith("known") else 0)


def test_requests_from_one_client_are_limited_too(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RESET_MAX_PER_CLIENT", 3)
    codes = [_ask(client, f"p{n}@example.org").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_the_limit_counts_the_account_under_any_spelling(client, make_user):
    make_user("store", email="known@example.org")
    codes = [_ask(client, spelling).status_code for spelling in
             ["known@example.org", "KNOWN@example.org", " known@EXAMPLE.org", "Known@example.org",
              "known@example.org", "kNown@example.org"]]
    assert codes == [200] * 5 + [429]


@pytest.mark.parametrize("email, message", [("", "Scrivi la tua email."),
                                            ("not-an-address", "non sembra valida"),
                                            ("a" * 250 + "@x.it", "non sembra valida")])
def test_bad_addresses_get_an_italian_400(client, email, message):
    answer = _ask(client, email)
    assert answer.status_code == 400 and message in answer.get_data(as_text=True)


def test_reset_form_needs_csrf(client):
    assert client.post(FORGOT, data={"email": "x@example.org"}, csrf=False).status_code == 400


def test_a_deleted_account_gets_no_mail(client, make_user):
    user = make_user("store", email="gone@example.org")
    accounts.delete_account(user)
    assert _ask(client, "gone@example.org").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(MailDelivery)) == 0


def test_a_used_link_closes_the_other_open_links(client, make_user):
    make_user("store", email="twice@example.org")
    _ask(client, "twice@example.org")
    _ask(client, "twice@example.org")
    first, second = [link_in(row.body_text, "/password/") for row in
                     db.session.scalars(select(MailDelivery).order_by(MailDelivery.id))]
    assert client.post(first, data={"password": "nuova-password-1", "confirm": "nuova-password-1"}).status_code == 302
    assert client.get(second).status_code == 410
