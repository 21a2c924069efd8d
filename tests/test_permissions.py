"""Every area: anonymous -> login, wrong role -> 403, own role -> 200."""
import pytest

AREAS = {
    # area: (url, role that may enter)
    "coordinamento": ("/coordinamento/", "coordinator"),
    "coordinamento-volontari": ("/coordinamento/volontari", "coordinator"),
    "coordinamento-organizzazioni": ("/coordinamento/organizzazioni", "coordinator"),
    "coordinamento-registro": ("/coordinamento/registro-volontari", "coordinator"),
    "coordinamento-ritiri": ("/coordinamento/ritiri", "coordinator"),
    "coordinamento-campagne": ("/coordinamento/campagne", "coordinator"),
    "coordinamento-eventi": ("/coordinamento/eventi", "coordinator"),
    "coordinamento-contatti": ("/coordinamento/contatti", "coordinator"),
    "coordinamento-impatto": ("/coordinamento/impatto", "coordinator"),
    "coordinamento-documenti": ("/coordinamento/documenti", "coordinator"),
    "negozio": ("/negozio/", "store"),
    "negozio-nuova": ("/negozio/nuova", "store"),
    "negozio-storico": ("/negozio/storico", "store"),
    "negozio-token": ("/negozio/token-api", "store"),
    "negozio-impatto": ("/negozio/impatto", "store"),
    "negozio-documenti": ("/negozio/documenti", "store"),
    "volontario": ("/volontario/", "volunteer"),
    "volontario-miei": ("/volontario/miei", "volunteer"),
    "volontario-impatto": ("/volontario/impatto", "volunteer"),
    "ente": ("/ente/", "charity"),
    "ente-impatto": ("/ente/impatto", "charity"),
    "ente-documenti": ("/ente/documenti", "charity"),
    "profilo": ("/profilo/", None),
    "notifiche": ("/notifiche/", None),
    "notifiche-impostazioni": ("/notifiche/impostazioni", None),
}
ROLES = ("coordinator", "store", "volunteer", "charity")


@pytest.mark.parametrize("area", AREAS)
def test_anonymous_is_sent_to_login(client, area):
    url, _role = AREAS[area]
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("area", AREAS)
def test_own_role_gets_the_page(client, as_role, area):
    url, role = AREAS[area]
    as_role(role or "volunteer")
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("area,role", [(a, r) for a, (_u, own) in AREAS.items() if own
                                       for r in ROLES if r != own and r != "coordinator"])
def test_wrong_role_is_forbidden(client, as_role, area, role):
    url, _own = AREAS[area]
    as_role(role)
    response = client.get(url)
    assert response.status_code == 403
    assert "Questa sezione è riservata" in response.get_data(as_text=True)


def test_user_without_role_lands_on_profile(client, make_user):
    make_user(None, email="nobody@example.org", password="una-password-lunga")
    response = client.post("/login", data={"email": "nobody@example.org", "password": "una-password-lunga"})
    assert response.headers["Location"] == "/profilo/"


def test_coordinator_actions_are_refused_to_others(client, as_role, make_user):
    volunteer = make_user("volunteer", volunteer_status="pending")
    as_role("store")
    assert client.post(f"/coordinamento/volontari/{volunteer.id}/approve").status_code == 403
    assert volunteer.volunteer.status == "pending"


def test_deleted_user_session_ends(client, as_role):
    from app.services.people.accounts import delete_account

    user = as_role("store")
    delete_account(user)
    assert client.get("/negozio/").status_code == 302


def test_htmx_request_without_session_is_told_to_log_in(client):
    response = client.get("/negozio/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=/negozio/")
    assert response.get_data(as_text=True) == ""
