"""Campaigns and events: what the public may see, saving what coordinators write, contacts."""
import hashlib
import re
import unicodedata
from datetime import timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models.base import utcnow
from app.models.page import Campaign, ContactRequest, Event, UploadedImage
from app.services import ServiceError
from app.services.pages import images, markdown as md, rsvp
from app.services.pages.published import ROME, today_rome, visible  # noqa: F401  (content.ROME, content.visible)

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TEXT_FIELDS = ("title", "summary", "title_en", "summary_en", "cover_alt", "cover_alt_en")
CONTACTS_PER_HOUR = 5


# --- what the public sees ------------------------------------------------------

def current_campaigns(now=None, limit=None):
    """Public campaigns that have not ended, newest first."""
    query = (select(Campaign).where(visible(Campaign, now),
                                    or_(Campaign.ends_on.is_(None), Campaign.ends_on >= today_rome()))
             .order_by(Campaign.publish_at.desc()))
    return db.session.scalars(query.limit(limit) if limit else query).all()


def public_campaigns(now=None):
    """Every public campaign, newest first (ended ones too)."""
    return db.session.scalars(select(Campaign).where(visible(Campaign, now))
                              .order_by(Campaign.publish_at.desc())).all()


def upcoming_events(now=None, limit=None, campaign=None):
    """Public events that have not ended yet, soonest first."""
    now = now or utcnow()
    query = select(Event).where(visible(Event, now), Event.ends_at >= now).order_by(Event.starts_at)
    if campaign is not None:
        query = query.where(Event.campaign_id == campaign.id)
    return db.session.scalars(query.limit(limit) if limit else query).all()


def public_events_for_feed(now=None):
    """Public events for the iCalendar feed: upcoming ones and those of the last 90 days."""
    now = now or utcnow()
    return db.session.scalars(select(Event).where(visible(Event, now), Event.ends_at >= now - timedelta(days=90))
                              .order_by(Event.starts_at)).all()


def public_campaign(slug):
    """The public campaign with `slug`, or None (drafts and scheduled ones do not exist for citizens)."""
    return db.session.scalar(select(Campaign).where(Campaign.slug == slug, visible(Campaign)))


def public_event(slug):
    """The public event with `slug`, or None."""
    return db.session.scalar(select(Event).where(Event.slug == slug, visible(Event)))


def sitemap_entries():
    """(endpoint, slug, last change) for every public campaign and event."""
    entries = [("public.campaign", c.slug, c.updated_at) for c in public_campaigns()]
    entries += [("public.event", e.slug, e.updated_at) for e in db.session.scalars(
        select(Event).where(visible(Event)).order_by(Event.starts_at.desc()))]
    return entries


def public_impact():
    """Impact counters for the home page, or None when no real figures exist.

    The figures come from `app.services.impact.stats.public_counters()` (computed from
    the operation log), whose contract is a dict with the floats kg_month,
    kg_year, meals_month and meals_year. Until that module and function exist
    this returns None and the home page shows no counters: nothing is made up.
    An import error from inside an existing stats module is not hidden.
    """
    try:
        from app.services.impact.stats import public_counters
    except ImportError as error:
        if error.name != "app.services.impact.stats":
            raise
        return None
    figures = public_counters()
    keys = ("kg_month", "kg_year", "meals_month", "meals_year")
    if not figures or any(figures.get(k) is None for k in keys):
        return None
    return {k: float(figures[k]) for k in keys}


# --- writing pages ---------------------------------------------------------------

def slugify(text):
    """'Natale senza spreco!' -> 'natale-senza-spreco' (ASCII, at most 70 characters)."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:70].rstrip("-") or "pagina"


def slug_taken(model, slug, exclude_id=None):
    """True when another campaign (or event) already uses `slug`."""
    query = select(model.id).where(model.slug == slug)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return db.session.scalar(query) is not None


def _choose_slug(item, wanted):
    """The coordinator's slug (refused if taken), else one made from the title."""
    model = type(item)
    if wanted:
        if not SLUG_RE.match(wanted):
            raise ServiceError("bad_slug", _("L'indirizzo può contenere solo lettere minuscole senza "
                                             "accenti, numeri e trattini."))
        if slug_taken(model, wanted, item.id):
            raise ServiceError("slug_taken", _("Questo indirizzo è già usato da un'altra pagina: "
                                               "scegline un altro."))
        return wanted
    if item.slug:
        return item.slug
    base = slugify(item.title)
    slug, n = base, 1
    while slug_taken(model, slug, item.id):
        n += 1
        slug = f"{base}-{n}"
    return slug


def _publication(item, mode, publish_at):
    """Apply 'draft', 'now' or 'scheduled' (publish_at is an aware datetime)."""
    if mode == "draft":
        item.status = "draft"
    elif mode == "scheduled":
        if publish_at is None:
            raise ServiceError("no_date", _("Indica la data e l'ora di pubblicazione."))
        item.status, item.publish_at = "published", publish_at.astimezone(timezone.utc)
    else:
        # Keep the original date of a page that was already public.
        if not item.is_public():
            item.publish_at = utcnow()
        item.status = "published"


def find_image(key):
    """An uploaded image by its key, or None."""
    return db.session.scalar(select(UploadedImage).where(UploadedImage.key == (key or "")))


def apply_content(item, data, user, cover_file=None):
    """Copy the shared fields of a campaign or event from `data` (a form's .data); not committed.

    On a ServiceError the caller rolls back: nothing of the attempt is kept.
    """
    for field in TEXT_FIELDS:
        setattr(item, field, (data.get(field) or "").strip())
    item.slug = _choose_slug(item, (data.get("slug") or "").strip().lower())
    cover = images.save_upload(cover_file, user) if cover_file else find_image(data.get("pending_cover"))
    item.body = data.get("body") or ""
    item.body_en = data.get("body_en") or ""
    item.body_html = md.render(item.body)
    item.body_en_html = md.render(item.body_en)
    if cover is not None:
        item.cover = cover
    elif data.get("remove_cover"):
        item.cover = None
    _publication(item, data.get("publication") or "draft", data.get("publish_at"))
    if item.id is None:
        item.created_by_id = getattr(user, "id", None)
        db.session.add(item)
    return item


def keep_cover(cover_file, user):
    """Store a valid image sent with a form that had other errors, so it need not be chosen again."""
    image = images.save_upload(cover_file, user)
    db.session.commit()
    return image


def save_campaign(campaign, data, user, cover_file=None):
    """Create or update a campaign from form data; commits."""
    apply_content(campaign, data, user, cover_file)
    campaign.ends_on = data.get("ends_on")
    db.session.commit()
    return campaign


def save_event(event, data, user, cover_file=None):
    """Create or update an event from form data; commits, then moves the waitlist up if seats grew."""
    starts_at, ends_at = data["starts_at"], data["ends_at"]
    if ends_at <= starts_at:
        raise ServiceError("bad_times", _("La fine dell'evento deve venire dopo l'inizio."))
    apply_content(event, data, user, cover_file)
    event.starts_at = starts_at.astimezone(timezone.utc)
    event.ends_at = ends_at.astimezone(timezone.utc)
    for field in ("place_name", "address", "municipality"):
        setattr(event, field, (data.get(field) or "").strip())
    event.lat, event.lon = data.get("lat"), data.get("lon")
    event.capacity = data.get("capacity") or None
    event.rsvp_open = bool(data.get("rsvp_open"))
    event.campaign_id = data.get("campaign_id") or None
    db.session.commit()
    rsvp.refill(event.id)
    return event


def preview(data, locale="it"):
    """Title, summary and sanitised body as the public page would show them (nothing saved)."""
    suffix = "_en" if locale == "en" else ""
    return {"title": (data.get("title" + suffix) or "").strip(),
            "summary": (data.get("summary" + suffix) or "").strip(),
            "body_html": md.render(data.get("body" + suffix) or "")}


# --- contact requests from the public site ---------------------------------------------

def source_of(address):
    """A keyed hash of the client address: enough to rate-limit, useless to identify anyone."""
    key = current_app.config["SECRET_KEY"]
    return hashlib.sha256(f"{key}|{address or 'unknown'}".encode()).hexdigest()[:32]


def submit_contact(data, source):
    """Store a message for the coordinators; commits. Refuses a flood from one address."""
    since = utcnow() - timedelta(hours=1)
    recent = db.session.scalar(select(func.count()).select_from(ContactRequest).where(
        ContactRequest.source == source, ContactRequest.created_at >= since))
    if recent >= CONTACTS_PER_HOUR:
        raise ServiceError("too_many", _("Hai già inviato diversi messaggi nell'ultima ora: "
                                         "riprova più tardi oppure scrivici per email."))
    request = ContactRequest(
        kind=data.get("kind") or "other", name=data["name"].strip(),
        organisation=(data.get("organisation") or "").strip(), email=data["email"].strip().lower(),
        phone=(data.get("phone") or "").strip(), municipality=data.get("municipality") or "",
        message=(data.get("message") or "").strip(), source=source)
    db.session.add(request)
    db.session.commit()
    return request


def unread_contacts():
    """How many contact requests no coordinator has opened yet."""
    return db.session.scalar(select(func.count()).select_from(ContactRequest)
                             .where(ContactRequest.read_at.is_(None)))


def contact_requests(limit=200):
    """The latest contact requests, unread first."""
    return db.session.scalars(select(ContactRequest).order_by(
        ContactRequest.read_at.is_not(None), ContactRequest.created_at.desc()).limit(limit)).all()


def mark_contact_read(request, user):
    """Mark a contact request as handled by `user`; commits."""
    if request.read_at is None:
        request.read_at, request.read_by_id = utcnow(), user.id
        db.session.commit()
    return request
