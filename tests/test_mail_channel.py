"""Mail as a notification channel: per-topic choice, urgent fallback, verification first, invitations by mail."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Invitation, MailDelivery, Notification, PushDelivery, PushSubscription
from app.services.notify import channels, inbox, mail, mail_channel
from app.services.people import accounts
from tests.mail_helpers import link_in, parts, smtp_server  # noqa: F401
from tests.test_notify_triggers import apply, net, post  # noqa: F401  (the triggers' network and helpers)


def _texts():
    return "Titolo di prova", "Corpo di prova"


def _verified(user):
    mail.mark_verified(user.email)
    db.session.commit()
    return user


def _device(user, n=1):
    sub = PushSubscription(user_id=user.id, endpoint=f"https://fcm.googleapis.com/fcm/send/{user.id}-{n}",
                           endpoint_hash=f"{user.id:032d}{n:032d}", p256dh="x" * 87, auth="y" * 22)
    db.session.add(sub)
    db.session.commit()
    return sub


def _mails(kind=None):
    query = select(MailDelivery).order_by(MailDelivery.id)
    if kind:
        query = query.where(MailDelivery.kind == kind)
    return db.session.scalars(query).all()


def _notify(user, topic="store_updates", urgent=False, kind="claimed"):
    rows = inbox.notify([user], kind, topic, _texts, url="/negozio/", urgent=urgent)
    db.session.commit()
    return rows


@pytest.mark.parametrize("channel, pushes, mails", [("push", 1, 0), ("email", 0, 1), ("both", 1, 1), ("app", 0, 0)])
def test_each_topic_goes_by_the_channel_the_user_chose(make_user, channel, pushes, mails):
    clerk = _verified(make_user("store"))
    _device(clerk)
    channels.set_channels(clerk, {"store_updates": channel}, ["store_updates"])
    db.session.commit()
    [row] = _notify(clerk)
    assert len(row.deliveries) == pushes and len(_mails()) == mails
    assert db.session.scalar(select(Notification.id).where(Notification.user_id == clerk.id)) == row.id  # inbox


def test_a_mailed_notification_links_to_it_and_says_why(make_user, smtp_server):
    clerk = _verified(make_user("store"))
    channels.set_channels(clerk, {"store_updates": "email"}, ["store_updates"])
    [row] = _notify(clerk)
    mail.send_pending()
    [message] = smtp_server.to(clerk.email)
    text, html = parts(message)
    assert message["Subject"] == "Titolo di prova"
    assert link_in(text, "/notifiche/") == f"/notifiche/{row.id}"
    assert "«Le donazioni del mio punto vendita» hai scelto le notifiche per email" in text
    assert "Corpo di prova" in html


def test_nothing_but_reset_and_invitation_is_mailed_to_an_unverified_address(make_user):
    clerk = make_user("store")
    channels.set_channels(clerk, {"store_updates": "email"}, ["store_updates"])
    _notify(clerk)
    assert _mails() == []
    assert mail.queue_for_user(clerk, "digest", "digest", subject="x") is None


def test_an_urgent_alert_goes_by_mail_to_who_has_no_push(net):
    _verified(net.near)
    _verified(net.middle)
    _device(net.middle)
    post(net, hours_to_start=0.1, hours_open=1)
    urgent = [m for m in _mails("notification")]
    assert [m.to_address for m in urgent] == [net.near.email]  # net.middle has a phone with push
    assert "URGENTE" in urgent[0].body_text and "avviso urgente" in urgent[0].body_text
    assert db.session.scalar(select(PushDelivery.id)) is not None  # net.middle's push


def test_a_custody_conflict_goes_by_mail_to_a_coordinator_without_push(net):
    _verified(net.coordinator)
    donation = post(net)
    apply(net.near, "donation.claim", donation_id=donation.id)
    apply(net.near_no_cold, "crate.scan", token=donation.crates[0].token, stage="pickup")
    assert [m.to_address for m in _mails("notification")] == [net.coordinator.email]


def test_an_urgent_alert_respects_only_in_the_app(make_user):
    volunteer = _verified(make_user("volunteer"))
    channels.set_channels(volunteer, {"urgent": "app"}, ["urgent"])
    _notify(volunteer, topic="urgent", urgent=True, kind="urgent")
    assert _mails() == []


def test_a_mail_rolls_back_with_its_notification(make_user):
    clerk = _verified(make_user("store"))
    channels.set_channels(clerk, {"store_updates": "email"}, ["store_updates"])
    db.session.commit()
    inbox.notify([clerk], "claimed", "store_updates", _texts)
    db.session.rollback()
    assert _mails() == [] and db.session.scalar(select(Notification.id)) is None


# --- verification ---------------------------------------------------------------------

def test_verifying_an_address_through_its_link(client, as_role, smtp_server):
    clerk = as_role("store")
    page = client.get("/email/")
    assert page.status_code == 200 and "non ancora confermato" in page.get_data(as_text=True)
    assert client.post("/email/verifica").status_code == 302
    mail.send_pending()
    [message] = smtp_server.to(clerk.email)
    path = link_in(parts(message)[0], "/email/conferma/")
    assert client.get(path).status_code == 302
    assert mail.is_verified(clerk)
    assert "confermato" in client.get("/email/").get_data(as_text=True)


def test_a_verification_link_is_void_after_a_change_of_address(client, make_user):
    clerk = make_user("store")
    mail_channel.send_verification(clerk)
    path = link_in(_mails("verify")[0].body_text, "/email/conferma/")
    clerk.email = "new@example.org"
    db.session.commit()
    answer = client.get(path)
    assert answer.status_code == 404 and "non vale più" in answer.get_data(as_text=True)
    assert not mail.is_verified(clerk)


def test_a_tampered_verification_link_is_refused(client):
    assert client.get("/email/conferma/abc.def").status_code == 404


# --- the settings page -----------------------------------------------------------------

def test_email_channels_are_refused_until_the_address_is_verified(client, as_role):
    clerk = as_role("store")
    answer = client.post("/email/", data={"channel_store_updates": "email", "channel_event_reminder": "push"})
    assert answer.status_code == 400 and "Prima conferma il tuo indirizzo" in answer.get_data(as_text=True)
    assert channels.of_user(clerk, ["store_updates"]) == {"store_updates": "push"}


def test_saving_channels_and_the_digest_hour(client, as_role):
    coordinator = _verified(as_role("coordinator"))
    topics = [t.key for t in inbox.topics_for(coordinator)]
    data = {f"channel_{key}": "both" for key in topics} | {"digest_hour": "7"}
    assert client.post("/email/", data=data).status_code == 302
    assert set(channels.of_user(coordinator, topics).values()) == {"both"}
    assert channels.digest_of(coordinator).hour == 7
    assert client.post("/email/", data={**data, "digest_hour": ""}).status_code == 302
    assert channels.digest_of(coordinator) is None


@pytest.mark.parametrize("bad", [{"channel_store_updates": "fax", "channel_event_reminder": "push"},
                                 {"channel_store_updates": "", "channel_event_reminder": "push"},
                                 {"channel_event_reminder": "push"}])
def test_a_bad_channel_is_a_400_and_changes_nothing(client, as_role, bad):
    clerk = _verified(as_role("store"))
    answer = client.post("/email/", data=bad)
    assert answer.status_code == 400 and "non sono state salvate" in answer.get_data(as_text=True)
    assert channels.of_user(clerk, ["store_updates"]) == {"store_updates": "push"}


def test_only_coordinators_get_the_digest_choice(client, as_role):
    clerk = _verified(as_role("store"))
    assert "digest_hour" not in client.get("/email/").get_data(as_text=True)
    saved = client.post("/email/", data={"channel_store_updates": "email", "channel_event_reminder": "app",
                                         "digest_hour": "7"})
    assert saved.status_code == 302 and channels.digest_of(clerk) is None
    assert channels.of_user(clerk, ["store_updates", "event_reminder"]) == {"store_updates": "email",
                                                                          "event_reminder": "app"}


@pytest.mark.parametrize("role", ["coordinator", "store", "charity", "volunteer", None])
def test_every_signed_in_user_has_the_email_settings(client, as_role, role):
    as_role(role)
    page = client.get("/email/")
    assert page.status_code == 200 and "Come vuoi ricevere ogni notifica" in page.get_data(as_text=True)


def test_the_settings_page_needs_a_sign_in(client):
    assert client.get("/email/").status_code == 302
    assert client.post("/email/verifica").status_code == 302


def test_settings_forms_need_csrf(client, as_role):
    as_role("store")
    assert client.post("/email/", data={"channel_store_updates": "app"}, csrf=False).status_code == 400
    assert client.post("/email/verifica", csrf=False).status_code == 400


# --- invitations by mail ------------------------------------------------------------------

def test_an_invitation_with_an_address_goes_by_mail_and_its_status_shows(client, as_role, make_org, smtp_server):
    as_role("coordinator")
    store = make_org("store")
    created = client.post(f"/coordinamento/organizzazioni/{store.id}/inviti",
                          data={"email": "Nuovo@Example.org", "note": "Cassiera"})
    assert created.status_code == 200 and "parte anche per email" in created.get_data(as_text=True)
    page = client.get(f"/coordinamento/organizzazioni/{store.id}").get_data(as_text=True)
    assert "email in partenza" in page
    mail.send_pending()
    [message] = smtp_server.to("nuovo@example.org")
    text, _html = parts(message)
    assert message["Subject"] == f"Sei invitato su Raccolto per {store.name}"
    path = link_in(text, "/invito/")
    assert path and path in created.get_data(as_text=True)
    assert "email inviata" in client.get(f"/coordinamento/organizzazioni/{store.id}").get_data(as_text=True)
    # The invited person uses it.
    other = client.application.test_client()
    other.post(path, data={"name": "Nuova Persona", "email": "nuovo@example.org", "phone": "",
                           "password": "password-nuova-1", "confirm": "password-nuova-1"})
    page = client.get(f"/coordinamento/organizzazioni/{store.id}").get_data(as_text=True)
    assert re.search(r"nuovo@example.org ·\s+usato", page)


def test_a_bounced_invitation_shows_as_bounced(client, as_role, make_org, smtp_server):
    as_role("coordinator")
    store = make_org("store")
    smtp_server.answers["typo@example.org"] = "550 5.1.1 no such user"
    client.post(f"/coordinamento/organizzazioni/{store.id}/inviti", data={"email": "typo@example.org", "note": ""})
    mail.send_pending()
    assert "email rimbalzata" in client.get(f"/coordinamento/organizzazioni/{store.id}").get_data(as_text=True)
    assert "typo@example.org" in client.get("/email/rimbalzi").get_data(as_text=True)


def test_an_invitation_without_an_address_sends_nothing(make_user, make_org):
    accounts.create_invitation(make_org("store"), make_user("coordinator"))
    assert _mails() == [] and db.session.scalar(select(Invitation.id)) is not None


def test_an_invitation_with_a_bad_address_is_refused(client, as_role, make_org):
    as_role("coordinator")
    store = make_org("store")
    answer = client.post(f"/coordinamento/organizzazioni/{store.id}/inviti", data={"email": "non-valida"})
    assert answer.status_code == 302 and db.session.scalar(select(Invitation.id)) is None


# --- own data ------------------------------------------------------------------------------

def test_mail_data_is_exported_and_erased_with_the_account(client, make_user):
    from app.models import PasswordReset
    from app.services.notify import password_reset

    clerk = _verified(make_user("store", email="clerk@example.org"))
    channels.set_channels(clerk, {"store_updates": "email"}, ["store_updates"])
    password_reset.request_reset("clerk@example.org", "127.0.0.1")
    exported = accounts.export_user_data(clerk)["mail"]
    assert exported["address_verified"] and exported["channels"]["store_updates"] == "email"
    assert [m["kind"] for m in exported["mails"]] == ["reset"]
    accounts.delete_account(clerk)
    assert _mails() == [] and mail.address_row("clerk@example.org") is None
    assert db.session.scalar(select(PasswordReset.id)) is None
    assert channels.of_user(clerk, ["store_updates"]) == {"store_updates": "push"}
