"""The offline shell's routes: worker scripts, manifest, offline page, outbox page, icons."""
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from app.pwa import shell

ROOT = Path(__file__).resolve().parents[1]


def _worker(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    return response, response.get_data(as_text=True)


def _constant(source, name):
    match = re.search(rf"var {name} = (.+?);\n", source)
    return json.loads(match.group(1))


def test_service_worker_is_served_at_the_root_with_its_scope_and_no_cache(client):
    response, source = _worker(client)
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "__VERSION__" not in source and "/*__PRECACHE__*/" not in source
    assert re.search(r'var VERSION = "[0-9a-f]{12}";', source)


def test_service_worker_answers_304_to_a_revalidation(client):
    response, _source = _worker(client)
    again = client.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_precache_lists_the_shell_with_content_hashes_and_not_the_qr_decoder(client):
    _response, source = _worker(client)
    precache = _constant(source, "PRECACHE")
    assert "/offline" in precache and "/offline/salvato" in precache
    static = [url for url in precache if url.startswith("/static/")]
    assert all(re.search(r"\?v=[0-9a-f]{10}$", url) for url in static)
    names = {url.split("?")[0] for url in static}
    for needed in ("css/app.css", "js/app.js", "js/offline.js", "js/idb-outbox.js", "icons/sprite.svg",
                   "icons/icon-192.png"):
        assert f"/static/{needed}" in names
    assert not any("jsQR" in name for name in names)
    for url in precache:
        assert client.get(url).status_code == 200


def test_version_changes_when_a_precached_file_changes(app, monkeypatch, tmp_path):
    from app import assets

    before = shell.version()
    real = shell._file_digest
    monkeypatch.setattr(shell, "_file_digest",
                        lambda path: "changed" if path.endswith("app.css") else real(path))
    assert shell.version() != before
    assert assets  # the static URLs themselves carry app/assets.py hashes


def test_service_worker_caches_only_safe_responses():
    """The rules of DESIGN.md, checked in the source: GET, 200, ours, never an htmx fragment."""
    source = (ROOT / "service_worker" / "sw.js").read_text()
    assert 'request.headers.has("HX-Request")' in source
    assert "response.status === 200 && response.ok && response.type === \"basic\"" in source
    assert source.count("skipWaiting()") == 1  # only on a page's request, once installed
    for event in ("install", "activate", "fetch", "sync", "message"):
        assert source.count(f'addEventListener("{event}"') == 1


def test_push_script_is_served_when_the_notifications_file_exists(client, monkeypatch, tmp_path):
    missing = tmp_path / "push.js"
    monkeypatch.setattr(shell, "PUSH_SOURCE", str(missing))
    assert client.get("/sw-push.js").status_code == 404
    missing.write_text("self.addEventListener('push', () => {});\n")
    response = client.get("/sw-push.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache" and "addEventListener('push'" in response.get_data(as_text=True)


def test_worker_survives_a_missing_push_script():
    source = (ROOT / "service_worker" / "sw.js").read_text()
    assert re.search(r"try \{[^}]*importScripts\(CONFIG\.push_script\);\s*\} catch", source)


def test_manifest_for_visitors_starts_at_home(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    data = response.get_json()
    assert data["start_url"] == "/" and data["id"] == "/" and data["scope"] == "/"
    assert data["lang"] == "it" and data["display"] == "standalone"
    assert data["theme_color"] == "#1d6b3f"
    assert data["name"] and data["short_name"]
    purposes = {(icon["sizes"], icon["purpose"]) for icon in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200


@pytest.mark.parametrize("role,start", [("volunteer", "/volontario/"), ("charity", "/ente/"),
                                        ("store", "/negozio/"), ("coordinator", "/coordinamento/")])
def test_manifest_start_url_is_the_users_home(client, as_role, role, start):
    as_role(role)
    assert client.get("/manifest.webmanifest").get_json()["start_url"] == start


@pytest.mark.parametrize("name,size", [("icon-192.png", 192), ("icon-512.png", 512),
                                       ("icon-maskable-192.png", 192), ("icon-maskable-512.png", 512),
                                       ("apple-touch-icon.png", 180)])
def test_icons_are_real_artwork_of_the_right_size(name, size):
    image = Image.open(ROOT / "static" / "icons" / name)
    assert image.format == "PNG" and image.size == (size, size)
    colours = image.convert("RGB").getcolors(maxcolors=100000)
    assert len(colours) > 20  # the brand mark, antialiased: not a flat placeholder
    if "maskable" in name or "apple" in name:
        assert image.mode == "RGB"  # opaque: the platform masks it
        assert image.getpixel((2, 2))[:3] == (0x1d, 0x6b, 0x3f)


def test_pages_link_the_manifest_and_the_offline_scripts(client, as_role):
    user = as_role("volunteer")
    body = client.get("/volontario/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest" crossorigin="use-credentials">' in body
    assert 'rel="apple-touch-icon"' in body
    assert f'<meta name="raccolto-user" content="{user.pseudonym}">' in body
    assert "/static/js/offline.js?v=" in body and "/static/js/idb-outbox.js?v=" in body
    assert 'href="/coda"' in body and "data-outbox-count" in body


def test_pickups_page_does_not_load_the_qr_decoder(client, as_role):
    as_role("volunteer")
    assert "jsQR" not in client.get("/volontario/").get_data(as_text=True)


def test_offline_page_is_public_and_has_no_personal_data(client, as_role):
    user = as_role("volunteer")
    body = client.get("/offline").get_data(as_text=True)
    assert "Sei offline" in body
    assert user.pseudonym not in body and user.name not in body and "csrf" not in body


def test_queued_fragment_says_it_is_saved_on_the_phone(client):
    body = client.get("/offline/salvato").get_data(as_text=True)
    assert "Salvato sul telefono: verrà inviato appena torna la connessione" in body
    assert "__LABEL__" in body and "<html" not in body


def test_outbox_page_needs_login(client):
    response = client.get("/coda")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["volunteer", "charity"])
def test_outbox_page_is_a_shell_filled_by_script(client, as_role, role):
    as_role(role)
    body = client.get("/coda").get_data(as_text=True)
    assert 'id="outbox"' in body and 'id="outbox-item"' in body
    assert "/static/js/outbox-page.js?v=" in body


def test_session_state_is_401_json_when_signed_out(client):
    response = client.get("/coda/stato")
    assert response.status_code == 401
    assert response.get_json()["user"] is None
    assert response.headers["Cache-Control"] == "no-store"


def test_session_state_gives_the_user_and_a_csrf_token_that_the_api_accepts(client, as_role):
    user = as_role("volunteer")
    data = client.get("/coda/stato").get_json()
    assert data["user"] == user.pseudonym and data["csrf"]
    response = client.post("/api/ops", json={"ops": []}, headers={"X-CSRFToken": data["csrf"]}, csrf=False)
    assert response.status_code == 200


def test_volunteers_see_the_outbox_in_the_tab_bar(client, as_role):
    as_role("volunteer")
    body = client.get("/volontario/").get_data(as_text=True)
    assert re.search(r'<a href="/coda"[^>]*>\s*<svg[^>]*><use href="[^"]+#outbox"', body)


def test_pickups_list_names_the_pages_to_keep_offline(client, as_role, make_user, make_org):
    from tests.pickups_helpers import post_donation, send

    volunteer = as_role("volunteer")
    donation = post_donation(make_user("store"), make_org("charity"))
    other = post_donation(make_user("store"), make_org("charity"))
    assert send(volunteer, "donation.claim", donation_id=donation.id)["status"] == "applied"
    body = client.get("/volontario/").get_data(as_text=True)
    listed = re.search(r'<meta name="raccolto-prefetch" content="([^"]+)">', body).group(1).split()
    assert f"/volontario/ritiri/{donation.id}/scansione" in listed
    assert {f"/c/{crate.token}" for crate in donation.crates} <= set(listed)
    assert not any(f"/c/{crate.token}" in listed for crate in other.crates)
    assert "raccolto-prefetch" not in client.get("/profilo").get_data(as_text=True)
