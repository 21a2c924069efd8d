"""Login, rate limiting, logout, volunteer signup, invitations."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Invitation
from app.models.base import utcnow
from app.services.people import accounts, register


def _login(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


def test_login_with_right_password_lands_on_role_home(client, make_user):
    make_user("store", email="clerk@example.org", password="una-password-lunga")
    response = _login(client, "Clerk@Example.org", "una-password-lunga")
    assert response.status_code == 302
    assert response.headers["Location"] == "/negozio/"
    assert client.get("/negozio/").status_code == 200


@pytest.mark.parametrize("role,home", [("coordinator", "/coordinamento/"), ("store", "/negozio/"),
                                       ("charity", "/ente/"), ("volunteer", "/volontario/")])
def test_each_role_lands_on_its_home(client, make_user, role, home):
    make_user(role, email="x@example.org", password="una-password-lunga")
    assert _login(client, "x@example.org", "una-password-lunga").headers["Location"] == home


def test_wrong_password_is_refused_in_italian(client, make_user):
    make_user("store", email="clerk@example.org")
    response = _login(client, "clerk@example.org", "sbagliata")
    assert response.status_code == 401
    assert "Email o password non corretti." in response.get_data(as_text=True)


def test_five_wrong_passwords_lock_the_account(client, make_user):
    make_user("store", email="clerk@example.org", password="quella-giusta-123")
    for _ in range(4):
        assert _login(client, "clerk@example.org", "sbagliata").status_code == 401
    fifth = _login(client, "clerk@example.org", "sbagliata")
    assert fifth.status_code == 429
    assert "Troppi tentativi di accesso" in fifth.get_data(as_text=True)
    # Even the right password is refused while locked.
    assert _login(client, "clerk@example.org", "quella-giusta-123").status_code == 429


def test_lock_ends_after_the_window(client, make_user, app):
    from app.models import LoginAttempt

    make_user("store", email="clerk@example.org", password="quella-giusta-123")
    for _ in range(5):
        _login(client, "clerk@example.org", "sbagliata")
    for attempt in db.session.scalars(db.select(LoginAttempt)):
        attempt.at = utcnow() - timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"] + 1)
    db.session.commit()
    assert _login(client, "clerk@example.org", "quella-giusta-123").status_code == 302


def test_next_parameter_only_follows_local_paths(client, make_user):
    make_user("store", email="c@example.org", password="una-password-lunga")
    response = client.post("/login?next=https://evil.example/x",
                           data={"email": "c@example.org", "password": "una-password-lunga"})
    assert response.headers["Location"] == "/negozio/"


def test_logout_is_post_only_and_ends_the_session(client, as_role):
    as_role("store")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/negozio/").status_code == 302


def test_password_is_stored_with_a_slow_kdf(app, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "scrypt")
    assert accounts.hash_password("x" * 12).startswith("scrypt:")


SIGNUP = {"name": "Mario Rossi", "email": "mario@example.org", "phone": "+39 333 1234567",
          "municipality": "Bologna", "vehicle": "car", "cold_transport": "y",
          "hygiene_training_on": "2025-03-01", "password": "volontario-123",
          "confirm": "volontario-123", "consent": "y"}


def test_volunteer_signup_is_pending_until_approved(client, make_user):
    response = client.post("/registrati", data=SIGNUP)
    assert response.status_code == 302
    user = accounts.find_user_by_email("mario@example.org")
    assert user.volunteer.status == "pending"
    assert not user.is_approved_volunteer
    page = client.get("/volontario/").get_data(as_text=True)
    assert "in attesa di approvazione" in page
    coordinator = make_user("coordinator")
    accounts.decide_volunteer(user, coordinator, "approve")
    assert user.is_approved_volunteer
    assert register.verify_register() is None


@pytest.mark.parametrize("field,value,message", [
    ("email", "non-una-email", "Questa email non sembra valida"),
    ("confirm", "diversa-123456", "Le due password non coincidono."),
    ("password", "corta", "almeno 10 caratteri"),
    ("municipality", "", "Scegli il comune da cui parti."),
    ("phone", "12", "Numero di telefono non valido."),
    ("consent", "", "Per iscriverti serve il consenso."),
    ("hygiene_training_on", "2999-01-01", "non può essere nel futuro"),
])
def test_signup_validation_messages(client, field, value, message):
    data = dict(SIGNUP, **{field: value})
    if not value:
        data.pop(field)
    response = client.post("/registrati", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_signup_with_taken_email_says_so(client, make_user):
    make_user(email="mario@example.org")
    response = client.post("/registrati", data=SIGNUP)
    assert response.status_code == 400
    assert "Esiste già un account con questa email" in response.get_data(as_text=True)


def _invite(make_org, make_user, kind="store"):
    org = make_org(kind)
    coordinator = make_user("coordinator")
    invitation, token = accounts.create_invitation(org, coordinator, email="nuovo@example.org")
    return org, invitation, token


NEW_ACCOUNT = {"name": "Nuova Persona", "email": "nuovo@example.org", "password": "benvenuto-123",
               "confirm": "benvenuto-123"}


def test_invitation_works_once_then_refuses_clearly(app, client, make_org, make_user):
    org, invitation, token = _invite(make_org, make_user)
    assert client.get(f"/invito/{token}").status_code == 200
    response = client.post(f"/invito/{token}", data=NEW_ACCOUNT)
    assert response.status_code == 302
    user = accounts.find_user_by_email("nuovo@example.org")
    assert user.org_for("store").id == org.id
    other = app.test_client()
    second = other.get(f"/invito/{token}")
    assert second.status_code == 410
    assert "già stato usato" in second.get_data(as_text=True)
    again = other.post(f"/invito/{token}", data=dict(NEW_ACCOUNT, email="altro@example.org"))
    assert again.status_code == 410
    assert accounts.find_user_by_email("altro@example.org") is None


def test_expired_invitation_refuses(client, make_org, make_user):
    _org, invitation, token = _invite(make_org, make_user)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.get(f"/invito/{token}")
    assert response.status_code == 410
    assert "è scaduto" in response.get_data(as_text=True)


def test_unknown_invitation_is_404_with_help(client):
    response = client.get("/invito/non-esiste")
    assert response.status_code == 404
    assert "Questo invito non esiste" in response.get_data(as_text=True)


def test_logged_in_user_can_accept_an_invitation(client, make_org, make_user, login_as):
    org, _invitation, token = _invite(make_org, make_user, kind="charity")
    volunteer = login_as(make_user("volunteer"))
    assert client.post(f"/invito/{token}").status_code == 302
    db.session.refresh(volunteer)
    assert volunteer.has_role("charity") and volunteer.has_role("volunteer")


def test_invitation_token_is_stored_hashed(make_org, make_user):
    _org, invitation, token = _invite(make_org, make_user)
    assert token not in {invitation.token_hash}
    assert db.session.scalar(db.select(Invitation).where(Invitation.token_hash == token)) is None


def test_revoked_invitation_refuses(client, make_org, make_user):
    _org, invitation, token = _invite(make_org, make_user)
    accounts.revoke_invitation(invitation)
    response = client.get(f"/invito/{token}")
    assert response.status_code == 410
    assert "annullato" in response.get_data(as_text=True)
