"""Public files: iCalendar, sitemap.xml, robots.txt and the uploaded images."""
import re
from urllib.parse import urlsplit

from flask import Response, abort, current_app, render_template, send_from_directory
from flask_babel import get_locale
from flask_babel import gettext as _

from app.public.blueprint import bp
from app.public.caching import public_file
from app.services.pages import content as pages, ical, images
from app.urls import public_url

ICS = "text/calendar"
IMAGE_NAME = re.compile(r"^[0-9a-f]{24}-[0-9]{2,4}\.jpg$")


def _host():
    """The public host name, for the events' stable UIDs."""
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "raccolto"


def _ics(events, filename, name=None):
    """An iCalendar response (public, cacheable, revalidated by ETag)."""
    body = ical.calendar_bytes(events, lambda e: public_url("public.event", slug=e.slug), _host(),
                               locale=str(get_locale() or "it"), name=name)
    response = public_file(body, ICS, max_age=900)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.route("/eventi.ics")
def events_feed():
    """iCalendar feed of the public events (upcoming and of the last three months)."""
    return _ics(pages.public_events_for_feed(), "raccolto-eventi.ics", name=_("Raccolto: eventi"))


@bp.route("/eventi/<slug>.ics")
def event_ics(slug):
    """One event as an .ics file, to add it to the phone's calendar."""
    event = pages.public_event(slug) or abort(404)
    return _ics([event], f"{event.slug}.ics")


@bp.route("/sitemap.xml")
def sitemap():
    """Every public page, for search engines (drafts and scheduled pages are not listed)."""
    body = render_template("public/sitemap.xml", entries=pages.sitemap_entries())
    return public_file(body, "application/xml", max_age=3600)


@bp.route("/robots.txt")
def robots():
    """Crawlers may read the public pages, not the private areas."""
    lines = ["User-agent: *"] + [f"Disallow: {p}" for p in (
        "/coordinamento", "/negozio", "/volontario", "/ente", "/profilo", "/api", "/c/", "/invito",
        "/partecipazione")]
    lines.append(f"Sitemap: {public_url('public.sitemap')}")
    return Response("\n".join(lines) + "\n", mimetype="text/plain",
                    headers={"Cache-Control": "public, max-age=86400"})


@bp.route("/media/<name>")
def media(name):
    """An uploaded image; its name never changes content, so caches keep it for a year."""
    if not IMAGE_NAME.match(name):
        abort(404)
    response = send_from_directory(images.image_dir(), name, max_age=31536000, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
