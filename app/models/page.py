"""Public pages: campaigns, events, RSVPs, uploaded images, contact requests."""
from datetime import date
from urllib.parse import quote

from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class UploadedImage(db.Model):
    """A cover image, re-encoded without metadata at a few widths.

    Files live in UPLOAD_DIR/images/<key>-<width>.jpg; the key is random, so a
    file never changes and can be cached for a year.
    """

    __tablename__ = "uploaded_image"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    widths: Mapped[str] = mapped_column(String(60))  # "480,960,1600": the sizes stored
    width: Mapped[int] = mapped_column(Integer)  # of the largest stored file
    height: Mapped[int] = mapped_column(Integer)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    @property
    def width_list(self):
        """The stored widths, smallest first."""
        return [int(w) for w in self.widths.split(",") if w]

    @property
    def default_width(self):
        """The size for a plain src and for link previews: 960 when stored, else the largest."""
        widths = self.width_list
        return 960 if 960 in widths else widths[-1]

    def height_at(self, width):
        """The height of the stored file of `width`."""
        return round(self.height * width / self.width)

    def filename(self, width):
        """The stored file of `width` (served by public.media)."""
        return f"{self.key}-{width}.jpg"


class PublishedContent:
    """Columns shared by campaigns and events: bilingual text, cover, publication."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(140))
    summary: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown as written
    body_html: Mapped[str] = mapped_column(Text, default="")  # sanitised by nh3 when saved
    title_en: Mapped[str] = mapped_column(String(140), default="")
    summary_en: Mapped[str] = mapped_column(String(300), default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    body_en_html: Mapped[str] = mapped_column(Text, default="")
    cover_alt: Mapped[str] = mapped_column(String(200), default="")
    cover_alt_en: Mapped[str] = mapped_column(String(200), default="")
    # draft, or published from publish_at on (a future publish_at means scheduled).
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    publish_at = mapped_column(UTCDateTime, index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    cover_id: Mapped[int | None] = mapped_column(ForeignKey("uploaded_image.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    @declared_attr
    def cover(cls):
        return relationship("UploadedImage", lazy="joined")

    def is_public(self, now=None):
        """Visible to citizens: published and its publication time has come."""
        now = now or utcnow()
        return self.status == "published" and self.publish_at is not None and self.publish_at <= now

    @property
    def state(self):
        """'draft', 'scheduled' or 'published' (what the coordinator sees)."""
        if self.status != "published":
            return "draft"
        return "published" if self.is_public() else "scheduled"

    def localised(self, locale):
        """Title, summary, body HTML and cover alt in `locale` (English only if written)."""
        english = locale == "en" and bool(self.title_en.strip() and self.body_en.strip())
        if english:
            return {"lang": "en", "title": self.title_en, "summary": self.summary_en or self.summary,
                    "body_html": self.body_en_html, "cover_alt": self.cover_alt_en or self.cover_alt}
        return {"lang": "it", "title": self.title, "summary": self.summary,
                "body_html": self.body_html, "cover_alt": self.cover_alt}


class Campaign(PublishedContent, db.Model):
    """An awareness campaign (e.g. "Natale senza spreco"), current until `ends_on`."""

    __tablename__ = "campaign"
    __table_args__ = (CheckConstraint("status in ('draft', 'published')", name="status"),)

    ends_on: Mapped[date | None] = mapped_column(Date)

    events = relationship("Event", back_populates="campaign", order_by="Event.starts_at")


class Event(PublishedContent, db.Model):
    """A public event: when, where, how many people, whether RSVP is open."""

    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("status in ('draft', 'published')", name="status"),
        CheckConstraint("capacity is null or capacity > 0", name="capacity"),
    )

    starts_at = mapped_column(UTCDateTime, index=True, nullable=False)
    ends_at = mapped_column(UTCDateTime, nullable=False)
    place_name: Mapped[str] = mapped_column(String(160), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    municipality: Mapped[str] = mapped_column(String(80), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    capacity: Mapped[int | None] = mapped_column(Integer)  # people; None means no limit
    rsvp_open: Mapped[bool] = mapped_column(Boolean, default=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"),
                                                    index=True)

    campaign = relationship("Campaign", back_populates="events")
    rsvps = relationship("Rsvp", back_populates="event", order_by="Rsvp.id",
                         cascade="all, delete-orphan")

    @property
    def location(self):
        """Place, address and town on one line."""
        return ", ".join(p for p in (self.place_name, self.address, self.municipality) if p)

    @property
    def maps_url(self):
        """A link that opens the place in the phone's maps app."""
        base = "https://www.google.com/maps/search/?api=1&query="
        if self.lat is not None and self.lon is not None:
            return f"{base}{self.lat},{self.lon}"
        return base + quote(", ".join(p for p in (self.address, self.municipality) if p))

    def is_past(self, now=None):
        """True once the event has ended."""
        return (self.ends_at or self.starts_at) <= (now or utcnow())


class Rsvp(db.Model):
    """One person's booking for an event, for `people` seats (confirmed or waitlisted)."""

    __tablename__ = "rsvp"
    __table_args__ = (
        CheckConstraint("status in ('confirmed', 'waitlist', 'cancelled')", name="status"),
        CheckConstraint("people between 1 and 20", name="people"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), index=True)
    people: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the private cancel link
    locale: Mapped[str] = mapped_column(String(5), default="it")
    # The account with this email, if any: reminders go through its notifications.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"),
                                                index=True)
    source: Mapped[str] = mapped_column(String(64), default="")  # hashed address, for rate limiting
    created_at = mapped_column(UTCDateTime, default=utcnow, index=True)
    promoted_at = mapped_column(UTCDateTime)
    cancelled_at = mapped_column(UTCDateTime)
    reminded_at = mapped_column(UTCDateTime)

    event = relationship("Event", back_populates="rsvps")
    user = relationship("User")


class ContactRequest(db.Model):
    """A message from the public site (a shop that wants to donate, a question)."""

    __tablename__ = "contact_request"
    __table_args__ = (CheckConstraint("kind in ('donor', 'volunteer', 'other')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="other", index=True)
    name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(160), default="")
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    municipality: Mapped[str] = mapped_column(String(80), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(64), default="", index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at = mapped_column(UTCDateTime)
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
