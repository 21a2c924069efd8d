"""The pages under /notifiche: inbox, badge, settings, devices, per role and refused."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Notification, NotificationSetting, PushDelivery, PushSubscription
from app.services.notify import inbox, push, texts
from tests.fake_push_service import fake_push, vapid_key  # noqa: F401  (fixtures)

ROLES = ("coordinator", "store", "charity", "volunteer")


def _note(user, title="Donazione prenotata", url="/negozio/", **fields):
    [row] = inbox.notify([user], fields.pop("kind", "claimed"), "store_updates", lambda: (title, "Testo"), url=url,
                         **fields)
    db.session.commit()
    return row


@pytest.mark.parametrize("role", ROLES)
def test_every_role_has_the_bell_with_the_unread_count(client, as_role, role):
    user = as_role(role)
    _note(user)
    _note(user)
    page = client.get("/profilo/").get_data(as_text=True)
    bell = re.search(r'<a href="/notifiche/"[^>]*>(.*?)</a>', page, re.S)
    assert bell and 'class="badge">2<span class="visually-hidden"> da leggere' in bell.group(1)


def test_signed_out_people_are_sent_to_login(client):
    for path in ("/notifiche/", "/notifiche/impostazioni", "/notifiche/1"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/notifiche/dispositivi", json={}).status_code == 302


def test_opening_the_inbox_shows_new_ones_once_and_clears_the_badge(client, as_role):
    user = as_role("store")
    _note(user, "Prima")
    _note(user, "Seconda", urgent=True)
    page = client.get("/notifiche/").get_data(as_text=True)
    assert page.index("Seconda") < page.index("Prima")  # newest first
    assert page.count('class="tag">Nuova<') == 2 and ">Urgente<" in page
    assert "da leggere" not in page  # read as soon as shown: no count on the bell
    assert inbox.unread_count(user) == 0
    assert 'class="tag">Nuova<' not in client.get("/notifiche/").get_data(as_text=True)


def test_the_inbox_pages_older_notifications_with_htmx(client, as_role, monkeypatch):
    monkeypatch.setattr(inbox, "INBOX_PAGE", 2)
    user = as_role("charity")
    rows = [_note(user, f"Avviso {i}") for i in range(5)]
    page = client.get("/notifiche/").get_data(as_text=True)
    assert "Avviso 4" in page and "Avviso 2" not in page and f"prima={rows[3].id}" in page
    fragment = client.get(f"/notifiche/?prima={rows[3].id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "Avviso 2" in fragment and "Avviso 1" in fragment
    assert "Avviso 4" not in fragment


def test_empty_inbox_points_to_the_settings(client, as_role):
    as_role("volunteer")
    page = client.get("/notifiche/").get_data(as_text=True)
    assert "Nessuna notifica per ora" in page and 'href="/notifiche/impostazioni"' in page


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client, as_role):
    user = as_role("store")
    row = _note(user, url="/negozio/storico")
    response = client.get(f"/notifiche/{row.id}")
    assert response.status_code == 302 and response.headers["Location"] == "/negozio/storico"
    db.session.refresh(row)
    assert row.read_at is not None


def test_someone_elses_notification_is_not_found(client, as_role, make_user):
    as_role("store")
    other = _note(make_user("store"))
    assert client.get(f"/notifiche/{other.id}").status_code == 404


def test_a_stored_link_never_leaves_the_site(client, as_role):
    user = as_role("store")
    row = _note(user, url="//evil.example/")
    assert client.get(f"/notifiche/{row.id}").headers["Location"] == "/notifiche/"


@pytest.mark.parametrize("role,shown,hidden", [
    ("volunteer", ["Nuove donazioni vicino a me", "Ritiri urgenti", "I miei ritiri"], ["Consegne in arrivo"]),
    ("store", ["Le donazioni del mio punto vendita"], ["Ritiri urgenti"]),
    ("charity", ["Consegne in arrivo"], ["Nuove donazioni vicino a me"]),
    ("coordinator", ["Segnalazioni per il coordinamento"], ["Consegne in arrivo"]),
])
def test_settings_offer_the_topics_of_each_role(client, as_role, vapid_key, role, shown, hidden):
    as_role(role)
    page = client.get("/notifiche/impostazioni").get_data(as_text=True)
    for label in shown + ["Promemoria degli eventi"]:
        assert label in page
    for label in hidden:
        assert label not in page
    assert "Aggiungi alla schermata Home" in page  # the iPhone explanation
    assert re.search(r'<script src="/static/js/push.js\?v=\w+" defer></script>', page)


def test_saving_preferences(client, as_role):
    user = as_role("volunteer")
    response = client.post("/notifiche/impostazioni", data={"urgent": "y", "event_reminder": "y"})
    assert response.status_code == 302
    assert inbox.preferences(user) == {"new_donation": False, "urgent": True, "my_pickups": False,
                                       "event_reminder": True}
    client.post("/notifiche/impostazioni", data={"new_donation": "y", "urgent": "y", "my_pickups": "y",
                                                 "event_reminder": "y"})
    assert all(inbox.preferences(user).values())
    assert db.session.query(NotificationSetting).count() == 4


def test_preferences_without_csrf_are_refused(client, as_role):
    user = as_role("volunteer")
    assert client.post("/notifiche/impostazioni", data={}, csrf=False).status_code == 400
    assert all(inbox.preferences(user).values())


def test_subscribe_and_unsubscribe_this_device(client, as_role, fake_push):
    user = as_role("volunteer")
    device = fake_push.subscription()
    headers = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"}
    response = client.post("/notifiche/dispositivi", json=device, headers=headers)
    assert response.status_code == 201 and response.get_json()["device"] == "Chrome su Android"
    assert client.post("/notifiche/dispositivi", json=device).status_code == 201  # again: the same row
    assert [d.endpoint for d in push.devices(user)] == [device["endpoint"]]
    listing = client.get("/notifiche/dispositivi", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in listing and "Browser" in listing
    response = client.post("/notifiche/dispositivi/rimuovi", json={"endpoint": device["endpoint"]})
    assert response.get_json() == {"status": "removed"}
    assert push.devices(user) == []


def test_a_phone_used_by_someone_else_moves_to_them(client, make_user, login_as, fake_push):
    device = fake_push.subscription()
    first, second = make_user("volunteer"), make_user("store")
    push.save_subscription(first, device)
    login_as(second)
    client.post("/notifiche/dispositivi", json=device)
    assert push.devices(first) == [] and len(push.devices(second)) == 1


@pytest.mark.parametrize("change", [
    {"endpoint": "https://attacker.example/push/1"},
    {"endpoint": "http://fcm.googleapis.com/fcm/send/x"},
    {"keys": {"p256dh": "bm90IGEga2V5", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}},
    {"keys": {}},
])
def test_subscriptions_that_are_not_real_push_services_are_refused(client, as_role, fake_push, change, monkeypatch):
    monkeypatch.setitem(client.application.config, "PUSH_ENDPOINT_HOSTS", ("fcm.googleapis.com", "127.0.0.1"))
    as_role("volunteer")
    device = {**fake_push.subscription(), **change}
    response = client.post("/notifiche/dispositivi", json=device)
    assert response.status_code == 400 and response.get_json()["message"]
    assert db.session.query(PushSubscription).count() == 0


def test_subscribe_without_csrf_header_is_refused(client, as_role, fake_push):
    as_role("volunteer")
    assert client.post("/notifiche/dispositivi", json=fake_push.subscription(), csrf=False).status_code == 400


def test_removing_a_device_from_the_list(client, as_role, make_user, fake_push):
    user = as_role("store")
    mine = push.save_subscription(user, fake_push.subscription())
    theirs = push.save_subscription(make_user("store"), fake_push.subscription())
    response = client.post("/notifiche/dispositivi/rimuovi", data={"device_id": theirs.id},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and db.session.get(PushSubscription, theirs.id) is not None
    response = client.post("/notifiche/dispositivi/rimuovi", data={"device_id": mine.id})
    assert response.status_code == 302 and push.devices(user) == []


def test_the_test_button_queues_a_push_to_each_device(client, as_role, fake_push):
    user = as_role("charity")
    push.save_subscription(user, fake_push.subscription())
    response = client.post("/notifiche/prova", follow_redirects=True)
    assert "Notifica di prova inviata" in response.get_data(as_text=True)
    assert db.session.query(PushDelivery).count() == 1
    push.send_pending()
    assert [m["title"] for m in fake_push.messages()] == ["Notifica di prova"]


def test_a_device_limit_forgets_the_oldest(app, make_user, fake_push, monkeypatch):
    monkeypatch.setattr(push, "MAX_DEVICES", 2)
    user = make_user("volunteer")
    first, *rest = [fake_push.subscription() for _ in range(3)]
    for device in (first, *rest):
        push.save_subscription(user, device)
    assert sorted(d.endpoint for d in push.devices(user)) == sorted(d["endpoint"] for d in rest)


def test_my_data_export_includes_notifications(client, as_role, fake_push):
    user = as_role("store")
    push.save_subscription(user, fake_push.subscription(), "Mozilla/5.0 (iPhone) Version/17.0 Mobile Safari/604.1")
    _note(user, "Da esportare")
    data = client.get("/profilo/dati.json").get_json()["notifications"]
    assert data["devices"][0]["device"] == "Safari su iPhone"
    assert data["inbox"][0]["title"] == "Da esportare"


def test_deleted_accounts_lose_their_notifications_and_devices(app, make_user, fake_push):
    from app.services.people import accounts
    from app.services.notify import triggers as notify

    user = make_user("store")
    push.save_subscription(user, fake_push.subscription())
    inbox.notify([user], "test", "test", texts.test)
    db.session.commit()
    accounts.delete_account(user)
    notify.purge()
    assert db.session.scalars(select(Notification)).all() == []
    assert db.session.scalars(select(PushSubscription)).all() == []


def test_signing_out_silences_this_device(client, as_role, fake_push):
    user = as_role("volunteer")
    device = fake_push.subscription()
    assert client.post("/notifiche/dispositivi", json=device).status_code == 201
    other = fake_push.subscription()
    push.save_subscription(user, other)  # another phone of the same person stays subscribed
    assert client.post("/logout").status_code == 302
    assert [d.endpoint for d in push.devices(user)] == [other["endpoint"]]


def test_the_bell_count_rides_with_the_session_user_and_counts_again_after_a_change(app, client, as_role):
    from sqlalchemy import event

    user = as_role("volunteer")
    _note(user)
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = client.get("/volontario/").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert 'class="badge">1<span class="visually-hidden"> da leggere' in page
    # One statement loads the user and counts the bell: no separate count.
    assert sum("FROM notification" in s for s in seen) == 1 and "FROM user_account" in next(
        s for s in seen if "FROM notification" in s)
    with app.test_request_context("/"):
        inbox.remember_unread(user.id, 7)
        assert inbox.unread_count(user) == 7  # what the user's statement read
        _note(user)  # a new notification in this request: counted again
        assert inbox.unread_count(user) == 2
        inbox.remember_unread(user.id, 9)
        inbox.mark_read(user)  # a bulk update: counted again
        assert inbox.unread_count(user) == 0
        other = as_role("store")
        inbox.remember_unread(user.id, 5)
        assert inbox.unread_count(other) == 0  # someone else's count is never the remembered one
