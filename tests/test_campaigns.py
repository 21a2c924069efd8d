"""Coordinators write campaigns: access per role, publication states, Markdown safety, covers."""
import io
import os
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models.base import utcnow
from app.models.page import Campaign, UploadedImage
from app.services.pages import images
from tests.fixtures.pages import jpeg_with_exif, make_campaign, make_event, png_bytes

AUTHORING_PAGES = ["/coordinamento/campagne", "/coordinamento/campagne/nuova", "/coordinamento/eventi",
                   "/coordinamento/eventi/nuovo", "/coordinamento/contatti"]

# Payloads that must never reach the page as live markup.
XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"javascript:alert(1)\">clic</a>",
    "\"><script>alert(1)</script>",
    "<style>body{display:none}</style>",
    "<details open ontoggle=alert(1)>",
    "[clic](&#106;avascript:alert(1))",
    "![x](x\" onerror=\"alert(1))",
]


def _campaign_form(**fields):
    data = {"title": "Natale senza spreco", "summary": "Dona, guida, partecipa.",
            "body": "Testo **importante**.", "publication": "now", "slug": "", "title_en": "",
            "summary_en": "", "body_en": "", "cover_alt": "", "cover_alt_en": "", "ends_on": ""}
    data.update(fields)
    return data


class _Elements(HTMLParser):
    """Every start tag with its attributes, as a browser would parse them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: (v or "") for k, v in attrs}))


def assert_no_live_markup(html):
    """No foreign script, frame or style, no on* handler, no javascript:/data: URL in real markup."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in ("iframe", "style", "object", "embed", "base"), tag
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("href", "src", "action", "formaction"):
            value = re.sub(r"\s", "", attrs.get(name, "")).lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)


@pytest.mark.parametrize("path", AUTHORING_PAGES)
def test_authoring_pages_are_for_coordinators(client, as_role, path):
    as_role("coordinator")
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("role", ["store", "charity", "volunteer", None])
@pytest.mark.parametrize("path", AUTHORING_PAGES)
def test_authoring_pages_refuse_other_roles(client, as_role, role, path):
    as_role(role)
    response = client.get(path)
    assert response.status_code == 403
    assert "riservata" in response.get_data(as_text=True)


def test_authoring_needs_login(client):
    response = client.get("/coordinamento/campagne")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/coordinamento/anteprima", data={"body": "x"}).status_code == 302


def test_coordinator_publishes_a_campaign(client, as_role):
    as_role("coordinator")
    response = client.post("/coordinamento/campagne/nuova", data=_campaign_form())
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    assert campaign.slug == "natale-senza-spreco" and campaign.state == "published"
    assert campaign.body_html == "<p>Testo <strong>importante</strong>.</p>\n"
    page = client.get("/campagne/natale-senza-spreco").get_data(as_text=True)
    assert "Natale senza spreco" in page and "<strong>importante</strong>" in page


def test_draft_campaign_is_saved_but_not_public(client, as_role):
    as_role("coordinator")
    client.post("/coordinamento/campagne/nuova", data=_campaign_form(publication="draft"))
    campaign = db.session.scalar(select(Campaign))
    assert campaign.state == "draft"
    assert client.get(f"/campagne/{campaign.slug}").status_code == 404
    assert "Bozza" in client.get("/coordinamento/campagne").get_data(as_text=True)


def test_scheduled_campaign_needs_a_future_date(client, as_role):
    as_role("coordinator")
    response = client.post("/coordinamento/campagne/nuova", data=_campaign_form(publication="scheduled"))
    assert response.status_code == 400
    assert "Indica quando pubblicare" in response.get_data(as_text=True)
    past = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/coordinamento/campagne/nuova",
                           data=_campaign_form(publication="scheduled", publish_at=past))
    assert "è già passata" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_scheduled_campaign_publishes_itself_at_its_time(client, as_role):
    as_role("coordinator")
    tomorrow = (utcnow() + timedelta(days=1)).astimezone(images_zone()).strftime("%Y-%m-%dT%H:%M")
    client.post("/coordinamento/campagne/nuova", data=_campaign_form(publication="scheduled", publish_at=tomorrow))
    campaign = db.session.scalar(select(Campaign))
    assert campaign.state == "scheduled"
    assert client.get(f"/campagne/{campaign.slug}").status_code == 404
    campaign.publish_at = utcnow() - timedelta(minutes=1)  # time passes
    db.session.commit()
    assert client.get(f"/campagne/{campaign.slug}").status_code == 200


def images_zone():
    from app.services.pages.content import ROME

    return ROME


def test_editing_keeps_the_first_publication_date(client, as_role):
    as_role("coordinator")
    campaign = make_campaign(publish_at=utcnow() - timedelta(days=30))
    first = campaign.publish_at
    response = client.post(f"/coordinamento/campagne/{campaign.id}",
                           data=_campaign_form(title="Nuovo titolo", slug=campaign.slug))
    assert response.status_code == 302
    db.session.refresh(campaign)
    assert campaign.title == "Nuovo titolo" and campaign.publish_at == first


def test_slug_is_unique_and_a_taken_slug_is_refused(client, as_role):
    as_role("coordinator")
    make_campaign(slug="natale-senza-spreco")
    client.post("/coordinamento/campagne/nuova", data=_campaign_form())
    assert db.session.scalar(select(Campaign).order_by(Campaign.id.desc())).slug == "natale-senza-spreco-2"
    response = client.post("/coordinamento/campagne/nuova", data=_campaign_form(slug="natale-senza-spreco"))
    assert response.status_code == 400
    assert "già usato da un&#39;altra pagina" in response.get_data(as_text=True)


@pytest.mark.parametrize("fields,message", [
    ({"title": ""}, "Scrivi il titolo."),
    ({"summary": ""}, "Scrivi un sommario"),
    ({"summary": "x" * 301}, "al massimo 300 caratteri"),
    ({"slug": "Natale Spreco!"}, "Solo lettere minuscole"),
    ({"title_en": "Christmas"}, "Per la versione inglese servono"),
    ({"ends_on": "31/12"}, "data"),
])
def test_invalid_campaign_gets_italian_messages(client, as_role, fields, message):
    as_role("coordinator")
    response = client.post("/coordinamento/campagne/nuova", data=_campaign_form(**fields))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body and "Non ho salvato" in body
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_markdown_body_and_title_is_neutralised(client, as_role, payload):
    as_role("coordinator")
    client.post("/coordinamento/campagne/nuova", data=_campaign_form(
        title=f"Titolo {payload}", summary=f"Sommario {payload}", body=f"Testo\n\n{payload}\n\n**fine**",
        slug="pagina-xss", cover_alt=""))
    campaign = db.session.scalar(select(Campaign))
    assert_no_live_markup(campaign.body_html)
    for path in ("/campagne/pagina-xss", "/campagne", "/"):
        assert_no_live_markup(client.get(path).get_data(as_text=True))
    assert_no_live_markup(client.get(f"/coordinamento/campagne/{campaign.id}").get_data(as_text=True))


def test_links_in_markdown_get_rel_noopener(client, as_role):
    as_role("coordinator")
    client.post("/coordinamento/campagne/nuova", data=_campaign_form(
        body="Leggi [la legge](https://www.gazzettaufficiale.it/eli/id/2016/08/30/16G00179/sg)."))
    html = db.session.scalar(select(Campaign)).body_html
    assert 'rel="noopener noreferrer"' in html and 'href="https://www.gazzettaufficiale.it' in html


def test_markdown_headings_start_below_the_page_title(client, as_role):
    from app.services.pages.markdown import render

    assert render("# Grande\n\n## Medio") == "<h2>Grande</h2>\n<h3>Medio</h3>\n"


def test_live_preview_returns_the_sanitised_fragment(client, as_role):
    as_role("coordinator")
    response = client.post("/coordinamento/anteprima", headers={"HX-Request": "true"}, data={
        "title": "Titolo <b>grassetto</b>", "body": "## Sezione\n\n<script>alert(1)</script> *ciao*",
        "title_en": "Title", "body_en": "Hello"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert "<h3>Sezione</h3>" in body and "<em>ciao</em>" in body and "Hello" in body
    assert "Titolo &lt;b&gt;grassetto&lt;/b&gt;" in body
    assert_no_live_markup(body)


def test_preview_needs_the_csrf_token(client, as_role):
    as_role("coordinator")
    assert client.post("/coordinamento/anteprima", data={"body": "x"}, csrf=False).status_code == 400


def _with_cover(data, content, filename="foto.jpg"):
    data = dict(data)
    data["cover"] = (io.BytesIO(content), filename)
    return data


@pytest.mark.parametrize("content,filename", [
    (b"%PDF-1.4 non sono una foto", "foto.jpg"),
    (b"<?php system($_GET['c']); ?>", "foto.png"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "disegno.svg"),
    (b"\xff\xd8\xff\xe0 troncato", "rotta.jpg"),
])
def test_an_upload_that_is_not_an_image_is_refused_with_a_message(client, as_role, content, filename):
    as_role("coordinator")
    response = client.post("/coordinamento/campagne/nuova", content_type="multipart/form-data",
                           data=_with_cover(_campaign_form(cover_alt="Foto"), content, filename))
    assert response.status_code == 400
    assert "non è un&#39;immagine" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0
    assert db.session.scalar(select(func.count()).select_from(UploadedImage)) == 0


def test_accepted_jpeg_is_resized_and_loses_its_exif(client, as_role, app):
    as_role("coordinator")
    original = jpeg_with_exif()
    assert Image.open(io.BytesIO(original)).getexif()  # the test photo does carry EXIF
    response = client.post("/coordinamento/campagne/nuova", content_type="multipart/form-data",
                           data=_with_cover(_campaign_form(cover_alt="Cassette di frutta"), original))
    assert response.status_code == 302
    cover = db.session.scalar(select(Campaign)).cover
    assert cover.width_list == [480, 960, 1600]
    for width in cover.width_list:
        path = os.path.join(images.image_dir(), cover.filename(width))
        stored = Image.open(path)
        assert stored.format == "JPEG" and stored.width == width
        assert not stored.getexif()
        assert not {"exif", "comment", "icc_profile", "xmp"} & set(stored.info)
        with open(path, "rb") as handle:
            raw = handle.read()
        assert b"FotoCamera" not in raw and b"posizione di casa" not in raw
    served = client.get(f"/media/{cover.filename(960)}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "immutable" in served.headers["Cache-Control"]
    page = client.get(f"/campagne/{db.session.scalar(select(Campaign)).slug}").get_data(as_text=True)
    assert f"{cover.filename(480)} 480w" in page and 'alt="Cassette di frutta"' in page


def test_transparent_png_is_flattened_and_small_images_are_not_enlarged(app):
    image = images.decode(png_bytes((800, 600)))
    row = images.store(image)
    assert row.width_list == [480, 800]
    assert Image.open(os.path.join(images.image_dir(), row.filename(800))).mode == "RGB"


def test_tiny_image_is_refused(app):
    from app.services import ServiceError

    with pytest.raises(ServiceError, match="troppo piccola"):
        images.decode(png_bytes((50, 50), mode="RGB"))


def test_cover_needs_a_description(client, as_role):
    as_role("coordinator")
    response = client.post("/coordinamento/campagne/nuova", content_type="multipart/form-data",
                           data=_with_cover(_campaign_form(), jpeg_with_exif()))
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "immagine in poche parole" in body
    # The photo was fine: it is kept, so the coordinator need not choose it again.
    image = db.session.scalar(select(UploadedImage))
    assert image is not None and f'value="{image.key}"' in body
    response = client.post("/coordinamento/campagne/nuova",
                           data=_campaign_form(cover_alt="Cassette", pending_cover=image.key))
    assert response.status_code == 302
    assert db.session.scalar(select(Campaign)).cover_id == image.id


def test_cover_can_be_removed(client, as_role):
    as_role("coordinator")
    campaign = make_campaign(cover=images.store(images.decode(jpeg_with_exif())), cover_alt="Foto")
    client.post(f"/coordinamento/campagne/{campaign.id}",
                data=_campaign_form(slug=campaign.slug, remove_cover="y"))
    db.session.refresh(campaign)
    assert campaign.cover is None


def test_media_route_refuses_other_names(client):
    assert client.get("/media/..%2Fraccolto.sqlite3").status_code == 404
    assert client.get("/media/abc.jpg").status_code == 404


def test_campaign_page_lists_its_upcoming_events(client):
    campaign = make_campaign()
    make_event(title="Cena solidale", campaign_id=campaign.id)
    make_event(title="Evento in bozza", campaign_id=campaign.id, status="draft")
    page = client.get(f"/campagne/{campaign.slug}").get_data(as_text=True)
    assert "Cena solidale" in page and "Evento in bozza" not in page


def test_huge_image_is_refused_before_decoding(app, monkeypatch):
    from app.services import ServiceError

    monkeypatch.setattr(images, "MAX_PIXELS", 1000 * 1000)
    with pytest.raises(ServiceError, match="troppo grande"):
        images.decode(png_bytes((1200, 1000), mode="RGB"))
