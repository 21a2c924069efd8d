"""Coordinator: volunteers, the register, organisations, invitations."""
import re

import pytest

from app.extensions import db
from app.models import Organisation, VolunteerRegisterEntry
from app.services.people import accounts, register
from app.services.people.orgs import format_hours, parse_hours


def test_coordinator_approves_a_volunteer_with_htmx(client, as_role, make_user):
    as_role("coordinator")
    volunteer = make_user("volunteer", volunteer_status="pending", name="Giovanna Neri")
    listing = client.get("/coordinamento/volontari?stato=pending").get_data(as_text=True)
    assert "Giovanna Neri" in listing
    response = client.post(f"/coordinamento/volontari/{volunteer.id}/approve",
                           headers={"HX-Request": "true"}, data={"note": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and "è stato approvato" in body
    assert "HX-Request" in response.headers["Vary"]
    db.session.refresh(volunteer)
    assert volunteer.volunteer.status == "approved"


def test_rejecting_an_approved_volunteer_is_refused(client, as_role, make_user):
    coordinator = as_role("coordinator")
    volunteer = make_user("volunteer", volunteer_status="pending")
    accounts.decide_volunteer(volunteer, coordinator, "approve")
    response = client.post(f"/coordinamento/volontari/{volunteer.id}/reject", headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "non si applica" in response.get_data(as_text=True)


def test_register_detects_tampering(client, as_role, make_user):
    coordinator = as_role("coordinator")
    for _ in range(3):
        accounts.decide_volunteer(make_user("volunteer", volunteer_status="pending"), coordinator, "approve")
    assert register.verify_register() is None
    entry = db.session.scalar(db.select(VolunteerRegisterEntry).where(VolunteerRegisterEntry.seq == 2))
    entry.volunteer_name = "Qualcun altro"
    db.session.commit()
    assert register.verify_register() == 2
    assert "alterato a partire dalla riga 2" in client.get("/coordinamento/registro-volontari").get_data(as_text=True)


CHARITY = {"name": "Emporio Nuovo", "address": "Via Po 1", "municipality": "Imola",
           "receiving_hours": "lun-ven 9-12, 15:00-18:30; sab 9-12", "categories_accepted": ["dispensa", "pane_forno"],
           "cold_storage": "y", "people_served_week": "80", "vat_number": "", "phone": "", "email": "", "notes": ""}


def test_coordinator_creates_a_charity(client, as_role):
    as_role("coordinator")
    response = client.post("/coordinamento/organizzazioni/nuova/charity", data=CHARITY)
    assert response.status_code == 302
    org = db.session.scalar(db.select(Organisation).where(Organisation.name == "Emporio Nuovo"))
    assert org.kind == "charity" and org.cold_storage and org.people_served_week == 80
    assert [0, "09:00", "12:00"] in org.receiving_hours and [5, "09:00", "12:00"] in org.receiving_hours
    assert org.lat is not None  # from the municipality


@pytest.mark.parametrize("field,value,message", [
    ("receiving_hours", "tutti i giorni", "Orari non validi"),
    ("receiving_hours", "lun 12-9", "finisce prima di iniziare"),
    ("people_served_week", "0", "Un numero tra 1 e 100.000."),
    ("vat_number", "12345678901", "cifra di controllo errata"),
    ("vat_number", "123", "11 cifre"),
    ("name", "", "Scrivi il nome."),
])
def test_organisation_validation(client, as_role, field, value, message):
    as_role("coordinator")
    response = client.post("/coordinamento/organizzazioni/nuova/charity", data=dict(CHARITY, **{field: value}))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_hours_round_trip():
    text = "lun-ven 09:00-12:00, 15:00-18:00; sab 09:00-12:00"
    assert format_hours(parse_hours(text)) == text


def test_invitation_page_shows_link_qr_and_whatsapp(client, as_role, make_org):
    as_role("coordinator")
    store = make_org("store")
    response = client.post(f"/coordinamento/organizzazioni/{store.id}/inviti",
                           data={"email": "nuovo@example.org", "note": "cassiere"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "http://localhost/invito/" in body and "<svg" in body and "https://wa.me/?text=" in body


def test_organisations_are_searched_and_keyset_paged(client, login_as, make_user, make_org, monkeypatch):
    from app.coordination import routes

    monkeypatch.setattr(routes, "ORG_PAGE", 2)
    for name in ("Coop Alfa", "Conad Beta", "Esselunga Gamma"):
        make_org("store", name=name)
    make_org("store", name="Aldi Chiuso", active=False)
    make_org("store", name="Forno 100%_vero", municipality="Imola")
    login_as(make_user("coordinator"))
    first = client.get("/coordinamento/organizzazioni").get_data(as_text=True)
    assert "Conad Beta" in first and "Coop Alfa" in first and "Esselunga" not in first
    link = re.search(r'href="([^"]*dopo=\d+[^"]*)"', first).group(1).replace("&amp;", "&")
    second = client.get(link).get_data(as_text=True)
    assert "Esselunga Gamma" in second and "Forno 100%_vero" in second and "Coop Alfa" not in second
    third = client.get(re.search(r'href="([^"]*dopo=\d+[^"]*)"', second).group(1).replace("&amp;", "&"))
    third = third.get_data(as_text=True)
    assert "Aldi Chiuso" in third and "Altre organizzazioni" not in third  # inactive ones come last
    assert "Forno" in client.get("/coordinamento/organizzazioni?q=imola").get_data(as_text=True)
    assert "Forno" in client.get("/coordinamento/organizzazioni?q=100%25_").get_data(as_text=True)
    nothing = client.get("/coordinamento/organizzazioni?q=%25").get_data(as_text=True)  # % is a character, not a wildcard
    assert "Coop Alfa" not in nothing and "Forno 100%_vero" in nothing
    assert "Nessuna organizzazione trovata" in client.get("/coordinamento/organizzazioni?q=zzz").get_data(as_text=True)
