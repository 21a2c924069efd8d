"""Events: authoring, RSVP with capacity and waitlist, private cancel links, iCalendar, reminders."""
import re
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from app.extensions import db
from app.models.base import utcnow
from app.models.page import Event, Rsvp
from app.services.pages import rsvp
from tests.fixtures.pages import make_event
from tests.test_campaigns import XSS, assert_no_live_markup

ROME = ZoneInfo("Europe/Rome")


def _event_form(**fields):
    data = {"title": "Cena solidale", "summary": "Si cena con le eccedenze.", "body": "Menu **vegetariano**.",
            "publication": "now", "slug": "", "title_en": "", "summary_en": "", "body_en": "",
            "cover_alt": "", "cover_alt_en": "", "starts_at": "2031-07-10T19:30", "ends_at": "2031-07-10T22:00",
            "place_name": "Emporio Case Zanardi", "address": "Via Capo di Lucca 37", "municipality": "Bologna",
            "lat": "", "lon": "", "capacity": "40", "rsvp_open": "y", "campaign_id": "0"}
    data.update(fields)
    return data


def _rsvp(client, event, name="Anna Rossi", email=None, people=1, htmx=False):
    email = email or re.sub(r"\W+", ".", name.lower()) + "@example.org"
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/eventi/{event.slug}/partecipa", headers=headers,
                       data={"name": name, "email": email, "people": str(people), "website": ""})


def _token(response):
    return re.search(r"/partecipazione/([A-Za-z0-9_-]+)", response.headers.get("Location")
                     or response.get_data(as_text=True)).group(1)


# --- authoring ------------------------------------------------------------------------

def test_coordinator_creates_an_event_in_rome_time(client, as_role):
    as_role("coordinator")
    response = client.post("/coordinamento/eventi/nuovo", data=_event_form())
    assert response.status_code == 302
    event = db.session.scalar(select(Event))
    # 19:30 in Rome in July (CEST, UTC+2) is 17:30 UTC.
    assert event.starts_at == datetime(2031, 7, 10, 17, 30, tzinfo=timezone.utc)
    assert event.capacity == 40 and event.rsvp_open and event.slug == "cena-solidale"
    page = client.get(f"/coordinamento/eventi/{event.id}").get_data(as_text=True)
    assert 'value="2031-07-10T19:30"' in page


@pytest.mark.parametrize("fields,message", [
    ({"ends_at": "2031-07-10T18:00"}, "La fine deve venire dopo l"),
    ({"starts_at": ""}, "Indica giorno e ora di inizio."),
    ({"place_name": ""}, "Scrivi dove si svolge"),
    ({"capacity": "0"}, "Un numero da 1 a 100.000"),
    ({"municipality": ""}, "Scegli il comune."),
])
def test_invalid_event_gets_italian_messages(client, as_role, fields, message):
    as_role("coordinator")
    response = client.post("/coordinamento/eventi/nuovo", data=_event_form(**fields))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


@pytest.mark.parametrize("role", ["store", "charity", "volunteer"])
def test_rsvp_list_is_for_coordinators_only(client, as_role, role):
    event = make_event()
    as_role(role)
    assert client.get(f"/coordinamento/eventi/{event.id}/iscritti").status_code == 403


def test_raising_capacity_moves_the_waitlist_up(client, as_role):
    event = make_event(capacity=1)
    _rsvp(client, event, "Primo")
    _rsvp(client, event, "Secondo")
    as_role("coordinator")
    client.post(f"/coordinamento/eventi/{event.id}", data=_event_form(
        title=event.title, slug=event.slug, capacity="2",
        starts_at=event.starts_at.astimezone(ROME).strftime("%Y-%m-%dT%H:%M"),
        ends_at=event.ends_at.astimezone(ROME).strftime("%Y-%m-%dT%H:%M")))
    assert {r.name: r.status for r in db.session.scalars(select(Rsvp))} == {"Primo": "confirmed",
                                                                            "Secondo": "confirmed"}


# --- RSVP ----------------------------------------------------------------------------------

def test_rsvp_is_confirmed_and_shows_the_private_link_once(client):
    event = make_event(capacity=10)
    response = _rsvp(client, event, people=3, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert "Iscrizione confermata per 3 persone." in body and response.headers["Cache-Control"] == "no-store"
    token = _token(response)
    booking = db.session.scalar(select(Rsvp))
    assert booking.status == "confirmed" and booking.token_hash != token and len(token) >= 32
    page = client.get(f"/partecipazione/{token}")
    assert page.status_code == 200 and "Anna Rossi" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    assert "Restano 7 posti" in client.get(f"/eventi/{event.slug}").get_data(as_text=True)


def test_rsvp_without_javascript_redirects_to_the_private_page(client):
    event = make_event()
    response = _rsvp(client, event)
    assert response.status_code == 303 and "/partecipazione/" in response.headers["Location"]
    assert "Iscrizione registrata." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_full_event_puts_people_on_the_waitlist_and_cancel_promotes_the_first(client):
    event = make_event(capacity=3)
    first = _token(_rsvp(client, event, "Uno", people=2))
    _rsvp(client, event, "Due", people=1)
    waiting = _rsvp(client, event, "Tre", people=1, htmx=True)
    assert "lista d&#39;attesa" in waiting.get_data(as_text=True) or "lista d'attesa" in waiting.get_data(as_text=True)
    _rsvp(client, event, "Quattro", people=1)
    assert rsvp.availability(event) == {"taken": 3, "left": 0, "waitlist": 2, "full": True}
    page = client.get(f"/eventi/{event.slug}").get_data(as_text=True)
    assert "I posti sono esauriti" in page and "Mettimi in lista d" in page

    response = client.post(f"/partecipazione/{first}/annulla")
    assert response.status_code == 303
    statuses = {r.name: r.status for r in db.session.scalars(select(Rsvp))}
    assert statuses == {"Uno": "cancelled", "Due": "confirmed", "Tre": "confirmed", "Quattro": "confirmed"}
    promoted = db.session.scalar(select(Rsvp).where(Rsvp.name == "Tre"))
    assert promoted.promoted_at is not None
    # Cancelling again changes nothing.
    client.post(f"/partecipazione/{first}/annulla")
    assert rsvp.availability(event)["taken"] == 3


def test_waitlist_is_first_come_first_served(app):
    event = make_event(capacity=4)
    rsvp.register(event.id, "Gruppo", "g@example.org", 3)
    big, _ = rsvp.register(event.id, "Famiglia", "f@example.org", 3)
    small, _ = rsvp.register(event.id, "Singolo", "s@example.org", 1)
    # One seat is free but a party is already waiting: the newcomer queues behind it.
    assert (big.status, small.status) == ("waitlist", "waitlist")
    assert rsvp.waitlist_position(small) == 2


def test_same_email_cannot_book_twice(client):
    event = make_event()
    _rsvp(client, event, email="anna@example.org")
    response = _rsvp(client, event, email="ANNA@Example.org", htmx=True)
    assert response.status_code == 409 and "già iscritta" in response.get_data(as_text=True)


@pytest.mark.parametrize("fields,message", [
    ({"name": ""}, "Scrivi il tuo nome."),
    ({"email": "non-una-email"}, "Questa email non sembra valida"),
    ({"people": "0"}, "Da 1 a 10 persone"),
    ({"people": "tanti"}, "persone"),
])
def test_invalid_rsvp_gets_italian_messages(client, fields, message):
    event = make_event()
    data = {"name": "Anna", "email": "anna@example.org", "people": "1"}
    data.update(fields)
    response = client.post(f"/eventi/{event.slug}/partecipa", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 0


def test_party_larger_than_the_event_is_refused(client):
    event = make_event(capacity=2)
    response = _rsvp(client, event, people=3, htmx=True)
    assert response.status_code == 409 and "2 posti in tutto" in response.get_data(as_text=True)


@pytest.mark.parametrize("change", [{"rsvp_open": False}, {"status": "draft"},
                                    {"starts_at": utcnow() - timedelta(hours=1)}])
def test_closed_draft_or_started_events_take_no_rsvp(client, change):
    event = make_event(**change)
    response = _rsvp(client, event)
    assert response.status_code in (404, 409)
    assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 0


def test_honeypot_rsvp_is_dropped(client):
    event = make_event()
    response = client.post(f"/eventi/{event.slug}/partecipa",
                           data={"name": "Bot", "email": "bot@example.org", "people": "1", "website": "http://x"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 0


def test_rsvp_links_the_account_with_the_same_email(client, make_user):
    user = make_user("volunteer", email="giulia@example.org")
    event = make_event()
    _rsvp(client, event, "Giulia", email="Giulia@example.org")
    assert db.session.scalar(select(Rsvp)).user_id == user.id


def test_unknown_private_link_is_404(client):
    assert client.get("/partecipazione/nonesiste").status_code == 404
    assert client.post("/partecipazione/nonesiste/annulla").status_code == 404


def test_cancel_needs_the_csrf_token(client):
    event = make_event()
    token = _token(_rsvp(client, event))
    assert client.post(f"/partecipazione/{token}/annulla", csrf=False).status_code == 400
    assert db.session.scalar(select(Rsvp)).status == "confirmed"


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_rsvp_names_is_neutralised(client, as_role, payload):
    event = make_event()
    response = _rsvp(client, event, name=f"Anna {payload}", email="anna@example.org", htmx=True)
    assert_no_live_markup(response.get_data(as_text=True))
    assert_no_live_markup(client.get(f"/partecipazione/{_token(response)}").get_data(as_text=True))
    as_role("coordinator")
    listing = client.get(f"/coordinamento/eventi/{event.id}/iscritti").get_data(as_text=True)
    assert "Anna" in listing
    assert_no_live_markup(listing)


def test_rsvp_is_rate_limited_per_connection(app):
    from app.services import ServiceError

    event = make_event()
    for i in range(rsvp.PER_SOURCE_PER_HOUR):
        rsvp.register(event.id, f"P{i}", f"p{i}@example.org", 1, source="stessa")
    with pytest.raises(ServiceError, match="Troppe iscrizioni"):
        rsvp.register(event.id, "Altro", "altro@example.org", 1, source="stessa")


def _book_at_once(app, event_id, people):
    """Book concurrently, one thread (own app context, own connection) per party."""
    barrier = threading.Barrier(len(people))
    errors = []

    def book(i, n):
        with app.app_context():
            try:
                barrier.wait(10)
                rsvp.register(event_id, f"Persona {i}", f"persona{i}@example.org", n)
            except Exception as error:  # surfaced below
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=book, args=(i, n)) for i, n in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []


def test_concurrent_rsvps_never_exceed_capacity(app):
    """Many RSVPs at once (PostgreSQL in CI): capacity holds, the rest wait, a cancel promotes."""
    event = make_event(capacity=5)
    event_id = event.id
    db.session.remove()  # the threads must not wait on this test's own connection
    _book_at_once(app, event_id, [1] * 12)
    rows = db.session.scalars(select(Rsvp).where(Rsvp.event_id == event_id).order_by(Rsvp.id)).all()
    confirmed = [r for r in rows if r.status == "confirmed"]
    assert sum(r.people for r in confirmed) == 5 and len(rows) == 12
    assert [r.status for r in rows].count("waitlist") == 7
    # Cancel one confirmed booking through the service with its token: the first waiting moves up.
    first_waiting = min((r for r in rows if r.status == "waitlist"), key=lambda r: r.id)
    token = "token-di-prova"
    from app.models.auth import hash_token

    confirmed[0].token_hash = hash_token(token)
    db.session.commit()
    _, promoted = rsvp.cancel(token)
    assert [r.id for r in promoted] == [first_waiting.id]
    assert rsvp.seats_taken(event_id) == 5


def test_concurrent_parties_of_mixed_sizes_never_exceed_capacity(app):
    event = make_event(capacity=10)
    event_id = event.id
    db.session.remove()
    _book_at_once(app, event_id, [3, 2, 4, 1, 3, 2, 1, 4])
    assert rsvp.seats_taken(event_id) <= 10
    waiting = db.session.scalars(select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.status == "waitlist")
                                 .order_by(Rsvp.id)).all()
    assert waiting, "some parties must wait"
    # Nobody was confirmed after the first person put on the waitlist (first come, first served).
    later_confirmed = db.session.scalar(select(func.count()).select_from(Rsvp).where(
        Rsvp.event_id == event_id, Rsvp.status == "confirmed", Rsvp.id > waiting[0].id))
    assert later_confirmed == 0


# --- iCalendar --------------------------------------------------------------------------

def test_event_ics_parses_with_rome_times(client):
    start = datetime(2031, 12, 5, 18, 0, tzinfo=ROME)  # winter: UTC+1
    event = make_event(title="Cena; \"di Natale\", insieme", starts_at=start.astimezone(timezone.utc),
                       ends_at=(start + timedelta(hours=3)).astimezone(timezone.utc))
    response = client.get(f"/eventi/{event.slug}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"].startswith("public")
    calendar = Calendar.from_ical(response.data)
    [vevent] = calendar.walk("VEVENT")
    dtstart = vevent.decoded("dtstart")
    assert dtstart == start and str(dtstart.tzinfo) == "Europe/Rome"
    assert vevent.decoded("dtend").astimezone(timezone.utc) == datetime(2031, 12, 5, 20, 0, tzinfo=timezone.utc)
    assert vevent["dtstart"].params["TZID"] == "Europe/Rome"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Rome"]
    assert str(vevent["summary"]) == "Cena; \"di Natale\", insieme"
    assert str(vevent["url"]).endswith(f"/eventi/{event.slug}")


def test_feed_lists_public_events_with_their_zone(client):
    summer = datetime(2031, 7, 1, 21, 0, tzinfo=ROME)  # UTC+2
    public = make_event(title="Estate", starts_at=summer.astimezone(timezone.utc))
    make_event(title="Bozza", status="draft")
    make_event(title="Programmato", publish_at=utcnow() + timedelta(days=2))
    response = client.get("/eventi.ics")
    calendar = Calendar.from_ical(response.data)
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Estate"}
    assert events["Estate"].decoded("dtstart") == summer
    assert events["Estate"].decoded("dtstart").utcoffset() == timedelta(hours=2)
    assert str(events["Estate"]["uid"]).startswith(f"event-{public.id}@")
    assert str(calendar["x-wr-timezone"]) == "Europe/Rome"
    again = client.get("/eventi.ics", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_ics_of_a_draft_is_404(client):
    assert client.get(f"/eventi/{make_event(status='draft').slug}.ics").status_code == 404


# --- reminders ----------------------------------------------------------------------------

def test_due_reminders_are_for_confirmed_account_holders_within_a_day(app, make_user):
    user = make_user("volunteer", email="giulia@example.org")
    soon = make_event(starts_at=utcnow() + timedelta(hours=20))
    later = make_event(starts_at=utcnow() + timedelta(days=3))
    rsvp.register(soon.id, "Giulia", "giulia@example.org", 2)
    rsvp.register(soon.id, "Senza account", "anonimo@example.org", 1)
    rsvp.register(later.id, "Giulia", "giulia@example.org", 1)
    due = rsvp.due_event_reminders()
    assert [(r.user.id, r.event.id) for r in due] == [(user.id, soon.id)]
    assert rsvp.mark_reminded(due[0]) is True
    assert rsvp.mark_reminded(due[0]) is False  # never twice
    db.session.commit()
    assert rsvp.due_event_reminders() == []
