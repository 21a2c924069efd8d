"""Language, CSRF, security headers, error pages, health check."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_pages_are_italian_by_default(client):
    body = client.get("/login").get_data(as_text=True)
    assert '<html lang="it">' in body and "Accedi" in body


def test_accept_language_english(client):
    body = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in body and "Sign in" in body


def test_switching_language_sticks(client):
    response = client.post("/profilo/lingua", data={"lang": "en"}, headers={"Referer": "http://localhost/login"})
    assert response.status_code == 302
    body = client.get("/login").get_data(as_text=True)
    assert "Sign in" in body and "Password" in body
    client.post("/profilo/lingua", data={"lang": "it"})
    assert "Entra" in client.get("/login").get_data(as_text=True)


def test_user_locale_wins(client, as_role):
    from app.extensions import db

    user = as_role("store")
    user.locale = "en"
    db.session.commit()
    assert '<html lang="en">' in client.get("/negozio/").get_data(as_text=True)


@pytest.mark.parametrize("url,data", [
    ("/login", {"email": "a@example.org", "password": "x"}),
    ("/registrati", {"name": "x"}),
    ("/logout", {}),
    ("/profilo/lingua", {"lang": "en"}),
])
def test_post_without_csrf_token_is_refused(client, url, data):
    response = client.post(url, data=data, csrf=False)
    assert response.status_code == 400
    assert "token di sicurezza" in response.get_data(as_text=True)


def test_htmx_post_without_header_is_refused(client, as_role, make_user):
    as_role("coordinator")
    volunteer = make_user("volunteer", volunteer_status="pending")
    response = client.post(f"/coordinamento/volontari/{volunteer.id}/approve",
                           headers={"HX-Request": "true"}, csrf=False)
    assert response.status_code == 400


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]


def test_no_inline_script_in_any_template():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                offenders.append(f"{path}: {tag}")
        if re.search(r"\son[a-z]+\s*=", text) or "hx-on" in text or "javascript:" in text:
            offenders.append(f"{path}: inline handler")
    assert offenders == []


@pytest.mark.parametrize("path", ["/", "/login", "/registrati"])
def test_rendered_pages_have_no_inline_script(client, path):
    body = client.get(path).get_data(as_text=True)
    assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", body))


def test_404_page_is_italian(client):
    response = client.get("/non-esiste")
    assert response.status_code == 404
    assert "Pagina non trovata." in response.get_data(as_text=True)


def test_500_page_is_italian(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)

    def boom():
        raise RuntimeError("boom")

    app.view_functions["public.home"] = boom
    try:
        response = client.get("/")
    finally:
        from app.public.routes import home
        app.view_functions["public.home"] = home
    assert response.status_code == 500
    assert "Si è verificato un errore" in response.get_data(as_text=True)


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_production_refuses_default_secret(monkeypatch):
    from app import create_app
    from app.config import DEV_SECRET

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": DEV_SECRET,
                    "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_vendored_htmx_is_2_0_with_licence():
    vendor = ROOT / "static" / "js" / "vendor"
    assert (vendor / "htmx-2.0.11.min.js").exists() and (vendor / "htmx-2.0.11.LICENSE").exists()
def test_privacy_notice_is_public(client):
    body = client.get('/privacy').get_data(as_text=True)
    assert 'Informativa privacy' in body and 'codice anonimo' in body
