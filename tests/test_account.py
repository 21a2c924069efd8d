"""Profile, password, own data export and account deletion."""
import json

from app.extensions import db
from app.models import User
from app.services.people import accounts


def test_profile_update(client, as_role):
    user = as_role("volunteer")
    response = client.post("/profilo/", data={"name": "Nome Nuovo", "phone": "+39 333 0000000",
                                              "locale": "en", "municipality": "Imola", "vehicle": "van",
                                              "cold_transport": "y", "hygiene_training_on": "2025-01-10"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.locale, user.volunteer.municipality, user.volunteer.vehicle) == \
        ("Nome Nuovo", "en", "Imola", "van")
    assert round(user.volunteer.base_lat, 2) == 44.35


def test_change_password_checks_the_current_one(client, as_role):
    user = as_role("store", password="vecchia-password")
    wrong = client.post("/profilo/password", data={"current": "no", "password": "nuovissima-123",
                                                   "confirm": "nuovissima-123"})
    assert wrong.status_code == 400 and "La password attuale non è corretta." in wrong.get_data(as_text=True)
    ok = client.post("/profilo/password", data={"current": "vecchia-password", "password": "nuovissima-123",
                                                "confirm": "nuovissima-123"})
    assert ok.status_code == 302
    assert accounts.check_password(db.session.get(User, user.id), "nuovissima-123")
    assert client.get("/negozio/").status_code == 200  # this session survives


def test_export_contains_my_data(client, as_role):
    user = as_role("volunteer", email="me@example.org")
    response = client.get("/profilo/dati.json")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "me@example.org"
    assert data["volunteer"]["status"] == "approved"
    assert data["account"]["pseudonym"] == user.pseudonym


def test_delete_account_keeps_only_a_pseudonym(client, as_role):
    user = as_role("volunteer", email="me@example.org", password="la-mia-password")
    refused = client.post("/profilo/elimina", data={"password": "sbagliata"})
    assert refused.status_code == 400
    assert client.post("/profilo/elimina", data={"password": "la-mia-password"}).status_code == 302
    row = db.session.get(User, user.id)
    assert row.email is None and row.phone == "" and row.volunteer is None
    assert row.pseudonym in row.name and row.deleted_at is not None
    assert accounts.find_user_by_email("me@example.org") is None
