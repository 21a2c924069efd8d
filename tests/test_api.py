"""POST /api/ops: authentication (session + CSRF, bearer tokens), errors as JSON, token pages."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiToken, Donation
from tests.conftest import csrf_from
from tests.donations_support import clock, op, payload, shop, unescape  # noqa: F401


def _token(client, name="gestionale"):
    """Create a token through the store page; returns the secret shown once."""
    import re

    body = client.post("/negozio/token-api", data={"name": name}).get_data(as_text=True)
    return re.search(r'id="new-token" class="copy-source" value="([^"]+)"', body).group(1)


def test_no_auth_is_401_json_not_a_redirect(client, shop, clock):
    response = client.post("/api/ops", json={"ops": [op("donation.post", **payload(clock))]})
    assert response.status_code == 401 and response.is_json
    assert response.get_json()["error"] == "unauthorized" and "Accedi" in response.get_json()["message"]
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_session_without_csrf_header_is_refused(client, login_as, shop, clock):
    login_as(shop.clerk)
    response = client.post("/api/ops", json={"ops": [op("donation.post", **payload(clock))]}, csrf=False)
    assert response.status_code == 400 and response.get_json()["error"] == "csrf"
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0


def test_session_with_the_page_csrf_token_works(client, login_as, shop, clock):
    login_as(shop.clerk)
    token = csrf_from(client.get("/negozio/").get_data(as_text=True))
    response = client.post("/api/ops", json={"ops": [op("donation.post", **payload(clock))]}, csrf=False,
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert response.get_json()["results"][0]["status"] == "applied"


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '{"ops": "donation.post"}', '{"operazioni": []}'])
def test_bad_json_is_400_with_an_italian_message(client, login_as, shop, body):
    login_as(shop.clerk)
    response = client.post("/api/ops", data=body, content_type="application/json")
    assert response.status_code == 400 and response.is_json
    assert response.get_json()["error"] == "bad_json"
    assert "Il corpo della richiesta deve essere JSON" in response.get_json()["message"]


def test_too_many_operations_in_one_batch(client, login_as, shop):
    login_as(shop.clerk)
    response = client.post("/api/ops", json={"ops": [{}] * 201})
    assert response.status_code == 400 and response.get_json()["error"] == "too_many"


def test_batch_results_come_in_order(client, login_as, shop, clock):
    login_as(shop.clerk)
    response = client.post("/api/ops", json={"ops": [op("donation.post", **payload(clock)),
                                                     op("donation.post", **payload(clock, kg=0)),
                                                     {"kind": "donation.post"}]})
    statuses = [(r["status"], r.get("code")) for r in response.get_json()["results"]]
    assert statuses == [("applied", None), ("refused", "kg_out_of_range"), ("refused", "invalid")]


def test_bearer_token_posts_without_session_or_csrf(app, client, login_as, shop, clock):
    login_as(shop.clerk)
    secret = _token(client)
    machine = app.test_client()
    response = machine.post("/api/ops", json={"ops": [op("donation.post", **payload(clock))]}, csrf=False,
                            headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    result = response.get_json()["results"][0]
    assert result["status"] == "applied"
    donation = db.session.get(Donation, result["donation_id"])
    assert donation.posted_by_id == shop.clerk.id and donation.store_id == shop.store.id
    row = db.session.scalar(select(ApiToken))
    assert row.last_used_at is not None


def test_tokens_are_stored_hashed_and_shown_once(client, login_as, shop):
    login_as(shop.clerk)
    secret = _token(client, "cassa 2")
    row = db.session.scalar(select(ApiToken))
    assert secret.startswith("rac_") and len(secret) > 30
    assert row.token_hash != secret and secret not in row.token_hash and row.prefix == secret[:8]
    page = client.get("/negozio/token-api").get_data(as_text=True)
    assert "cassa 2" in page and secret not in page and row.prefix in page


def test_revoked_or_wrong_token_is_401(app, client, login_as, shop, clock):
    login_as(shop.clerk)
    secret = _token(client)
    row = db.session.scalar(select(ApiToken))
    assert client.post(f"/negozio/token-api/{row.id}/revoca").status_code == 302
    machine = app.test_client()
    for header in (f"Bearer {secret}", "Bearer rac_nonesiste", "Basic abc", f"Token {secret}"):
        response = machine.post("/api/ops", json={"ops": []}, csrf=False, headers={"Authorization": header})
        assert response.status_code == 401 and response.is_json, header
        assert "Token API non valido" in response.get_json()["message"]


def test_nobody_revokes_someone_elses_token(client, login_as, shop, make_user):
    login_as(shop.clerk)
    _token(client)
    row = db.session.scalar(select(ApiToken))
    login_as(make_user("store"))
    assert client.post(f"/negozio/token-api/{row.id}/revoca").status_code == 404
    db.session.refresh(row)
    assert row.revoked_at is None


def test_token_needs_a_name(client, login_as, shop):
    login_as(shop.clerk)
    response = client.post("/negozio/token-api", data={"name": "  "})
    assert response.status_code == 422
    assert "Dai un nome al token" in unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("role", ["coordinator", "volunteer", "charity"])
def test_token_page_is_for_store_staff(client, as_role, role):
    as_role(role)
    assert client.get("/negozio/token-api").status_code == 403


def test_api_documentation_covers_every_kind_and_refusal_code():
    """docs/api.md documents every operation kind and every refusal code the handlers can give."""
    import pathlib
    import re

    from app.services.ops import HANDLERS

    root = pathlib.Path(__file__).resolve().parents[1]
    docs = (root / "docs" / "api.md").read_text()
    assert [kind for kind in HANDLERS if f"`{kind}`" not in docs] == []
    sources = [root / "app" / "services" / "food" / "donations.py", *(root / "app" / "services" / "ops").glob("*.py"),
               *(root / "app" / "services" / "rota").glob("*.py")]
    patterns = (r'Refused\(\s*"([a-z_]+)"', r'_refusal\([^,]+,\s*"([a-z_]+)"',
                r'problem\(\s*"[a-z_]+",\s*"([a-z_]+)"')
    codes = {code for path in sources for pattern in patterns for code in re.findall(pattern, path.read_text())}
    assert {"use_by_passed", "kg_out_of_range", "not_allowed", "implausible_time"} <= codes
    assert sorted(code for code in codes if f"| `{code}` |" not in docs) == []
