"""Public pages: visibility of drafts, caching, social tags, sitemap, contact form, impact counters."""
import sys
import types
from datetime import date, timedelta
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.base import utcnow
from app.models.page import ContactRequest
from app.services.pages import content as pages, images
from tests.fixtures.pages import jpeg_with_exif, make_campaign, make_event


def _hidden_pages():
    """A draft and a scheduled campaign and event, each with a unique title."""
    later = utcnow() + timedelta(days=2)
    return [make_campaign(title="Campagna Bozza", slug="bozza", status="draft"),
            make_campaign(title="Campagna Futura", slug="futura", publish_at=later),
            make_event(title="Evento Bozza", slug="evento-bozza", status="draft"),
            make_event(title="Evento Futuro", slug="evento-futuro", publish_at=later)]


def test_home_shows_current_campaigns_and_next_events(client):
    make_campaign(title="Natale senza spreco")
    make_campaign(title="Campagna finita", ends_on=date.today() - timedelta(days=1))
    make_event(title="Cena solidale")
    make_event(title="Evento passato", starts_at=utcnow() - timedelta(days=3))
    body = client.get("/").get_data(as_text=True)
    assert "Natale senza spreco" in body and "Cena solidale" in body
    assert "Campagna finita" not in body and "Evento passato" not in body
    assert "Campagna finita" in client.get("/campagne").get_data(as_text=True)  # listed among the ended
    assert "Diventa volontario" in body and "/contatti?tipo=donor" in body


def test_drafts_and_scheduled_pages_are_invisible_to_the_public(client):
    hidden = _hidden_pages()
    for path in ("/campagne/bozza", "/campagne/futura", "/eventi/evento-bozza", "/eventi/evento-futuro",
                 "/eventi/evento-bozza.ics", "/eventi/evento-futuro.ics"):
        assert client.get(path).status_code == 404, path
    for path in ("/", "/campagne", "/eventi", "/eventi.ics", "/sitemap.xml"):
        body = client.get(path).get_data(as_text=True)
        for title in ("Campagna Bozza", "Campagna Futura", "Evento Bozza", "Evento Futuro"):
            assert title not in body, (path, title)
        assert "bozza" not in body and "futur" not in body, path
    rsvp = client.post("/eventi/evento-futuro/partecipa", data={"name": "A", "email": "a@example.org",
                                                                 "people": "1"})
    assert rsvp.status_code == 404
    # Published, or their time comes: now they appear.
    for item in hidden:
        item.status, item.publish_at = "published", utcnow() - timedelta(minutes=1)
    db.session.commit()
    for path in ("/campagne/bozza", "/campagne/futura", "/eventi/evento-bozza", "/eventi/evento-futuro"):
        assert client.get(path).status_code == 200, path
    assert "Evento Futuro" in client.get("/eventi").get_data(as_text=True)


def test_public_page_revalidates_with_its_etag(client):
    event = make_event(title="Cena solidale", capacity=10)
    first = client.get(f"/eventi/{event.slug}")
    assert first.headers["Cache-Control"] == "private, no-cache" and first.headers["ETag"]
    again = client.get(f"/eventi/{event.slug}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    # A new RSVP changes the seats shown: the page is sent again.
    client.post(f"/eventi/{event.slug}/partecipa", data={"name": "Anna", "email": "a@example.org",
                                                         "people": "2"})
    changed = client.get(f"/eventi/{event.slug}", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "Restano 8 posti" in changed.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/campagne", "/eventi"])
def test_list_pages_answer_304_until_content_changes(client, path):
    make_campaign()
    etag = client.get(path).headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    make_event(title="Nuovo evento")
    make_campaign(title="Nuova campagna")
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 200


def test_etag_differs_per_visitor_and_language(app, client, as_role):
    make_campaign()
    anonymous = client.get("/").headers["ETag"]
    english = client.get("/", headers={"Accept-Language": "en"}).headers["ETag"]
    other = app.test_client().get("/").headers["ETag"]
    as_role("coordinator")
    logged_in = client.get("/").headers["ETag"]
    assert len({anonymous, english, other, logged_in}) == 4


def test_english_version_is_shown_to_english_visitors(client):
    make_campaign(title="Natale senza spreco", slug="natale", body="Testo italiano",
                  title_en="Christmas without waste", summary_en="Holiday food", body_en="English text")
    make_campaign(title="Solo italiano", slug="solo", body="Testo")
    english = client.get("/campagne/natale", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Christmas without waste" in english and "English text" in english
    assert 'lang="en"' in english and "Testo italiano" not in english
    italian = client.get("/campagne/natale").get_data(as_text=True)
    assert "Natale senza spreco" in italian and "Christmas" not in italian
    fallback = client.get("/campagne/solo", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Solo italiano" in fallback and '<article class="page-article" lang="it">' in fallback


def test_open_graph_and_twitter_tags(client, app):
    cover = images.store(images.decode(jpeg_with_exif()))
    campaign = make_campaign(title="Natale senza spreco", summary="Dona & guida", cover=cover,
                             cover_alt="Cassette di frutta")
    body = client.get(f"/campagne/{campaign.slug}").get_data(as_text=True)
    base = app.config["PUBLIC_BASE_URL"]
    assert '<meta property="og:title" content="Natale senza spreco">' in body
    assert '<meta property="og:description" content="Dona &amp; guida">' in body
    assert f'<meta property="og:url" content="{base}/campagne/{campaign.slug}">' in body
    assert f'<meta property="og:image" content="{base}/media/{cover.filename(960)}">' in body
    assert '<meta name="twitter:card" content="summary_large_image">' in body
    assert '<meta property="og:image:alt" content="Cassette di frutta">' in body
    assert "https://wa.me/?text=Natale%20senza%20spreco" in body and "share-native" in body


def test_sitemap_lists_public_pages_and_robots_points_to_it(client, app):
    campaign = make_campaign()
    event = make_event()
    _hidden_pages()
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml" and "public" in response.headers["Cache-Control"]
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [loc.text for loc in ElementTree.fromstring(response.data).findall("s:url/s:loc", namespace)]
    base = app.config["PUBLIC_BASE_URL"]
    assert f"{base}/campagne/{campaign.slug}" in locations and f"{base}/eventi/{event.slug}" in locations
    assert len(locations) == 5
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert f"Sitemap: {base}/sitemap.xml" in robots and "Disallow: /partecipazione" in robots


def test_contact_request_reaches_the_coordinators(client, as_role):
    response = client.post("/contatti", data={
        "kind": "donor", "name": "Roberta Galli", "organisation": "Frutta Galli", "email": "roberta@example.org",
        "phone": "051 612 3344", "municipality": "Bologna", "message": "Ci avanzano 3 cassette il sabato.",
        "website": ""})
    assert response.status_code == 303
    assert "Grazie!" in client.get(response.headers["Location"]).get_data(as_text=True)
    request = db.session.scalar(select(ContactRequest))
    assert request.kind == "donor" and request.read_at is None and len(request.source) == 32
    as_role("coordinator")
    listing = client.get("/coordinamento/contatti").get_data(as_text=True)
    assert "Frutta Galli" in listing and 'class="count-pill">1' in listing
    assert "1 messaggio dal sito da leggere" in client.get("/coordinamento/campagne").get_data(as_text=True)
    row = client.post(f"/coordinamento/contatti/{request.id}/letto", headers={"HX-Request": "true"})
    assert row.status_code == 200 and "Letto il" in row.get_data(as_text=True)
    assert pages.unread_contacts() == 0


def test_contact_form_preselects_the_donor_choice(client):
    body = client.get("/contatti?tipo=donor").get_data(as_text=True)
    assert '<option selected value="donor">' in body or '<option value="donor" selected>' in body


@pytest.mark.parametrize("fields,message", [
    ({"name": ""}, "Scrivi il tuo nome."),
    ({"email": "roberta"}, "Questa email non sembra valida"),
    ({"message": ""}, "Scrivi due righe"),
    ({"phone": "12"}, "Numero di telefono non valido."),
])
def test_contact_form_validation_is_italian(client, fields, message):
    data = {"kind": "other", "name": "Roberta", "email": "roberta@example.org", "message": "Ciao"}
    data.update(fields)
    response = client.post("/contatti", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_contact_honeypot_and_rate_limit(client):
    data = {"kind": "other", "name": "Roberta", "email": "roberta@example.org", "message": "Ciao"}
    bot = client.post("/contatti", data=dict(data, website="http://spam.example"))
    assert bot.status_code == 303  # the bot is told it worked...
    assert db.session.scalar(select(func.count()).select_from(ContactRequest)) == 0  # ...but nothing is kept
    for _ in range(pages.CONTACTS_PER_HOUR):
        assert client.post("/contatti", data=data).status_code == 303
    flood = client.post("/contatti", data=data)
    assert flood.status_code == 429 and "riprova più tardi" in flood.get_data(as_text=True)


@pytest.mark.parametrize("role", ["store", "charity", "volunteer"])
def test_only_coordinators_mark_contacts_read(client, as_role, role):
    request = pages.submit_contact({"name": "R", "email": "r@example.org", "message": "x"}, "s")
    as_role(role)
    assert client.post(f"/coordinamento/contatti/{request.id}/letto").status_code == 403
    assert pages.unread_contacts() == 1


def test_no_impact_counters_without_real_figures(client, monkeypatch):
    monkeypatch.setitem(sys.modules, "app.services.impact.stats", None)  # the stats module does not exist
    assert pages.public_impact() is None
    assert "kg salvati" not in client.get("/").get_data(as_text=True)
    monkeypatch.setitem(sys.modules, "app.services.impact.stats", types.ModuleType("app.services.impact.stats"))
    assert pages.public_impact() is None  # the module exists but has no public_counters yet


def test_impact_counters_come_from_the_stats_service(client, monkeypatch):
    stats = types.ModuleType("app.services.impact.stats")
    stats.public_counters = lambda: {"kg_month": 1234.5, "kg_year": 15678.0, "meals_month": 2057.0,
                                     "meals_year": 26130.0}
    monkeypatch.setitem(sys.modules, "app.services.impact.stats", stats)
    body = client.get("/").get_data(as_text=True)
    assert "kg salvati questo mese" in body and "1.234" in body and "26.130" in body


def test_an_error_inside_the_stats_module_is_not_hidden(monkeypatch):
    broken = types.ModuleType("app.services.impact.stats")

    def public_counters():
        raise RuntimeError("query rotta")

    broken.public_counters = public_counters
    monkeypatch.setitem(sys.modules, "app.services.impact.stats", broken)
    with pytest.raises(RuntimeError):
        pages.public_impact()


def test_demo_data_has_the_pages_the_issue_asks_for(runner, client):
    from app.models.page import Campaign, Event
    from app.services.pages import rsvp

    assert runner.invoke(args=["seed"]).exit_code == 0
    campaigns = db.session.scalars(select(Campaign)).all()
    assert sum(c.state == "published" for c in campaigns) >= 2 and any(c.state == "draft" for c in campaigns)
    upcoming = pages.upcoming_events()
    assert len(upcoming) >= 3
    assert any(rsvp.availability(e)["full"] and rsvp.availability(e)["waitlist"] for e in upcoming)
    assert db.session.scalar(select(func.count()).select_from(Event)) > len(upcoming)  # a scheduled one
    for path in ["/", "/campagne", "/eventi"] + [f"/eventi/{e.slug}" for e in upcoming]:
        assert client.get(path).status_code == 200, path
