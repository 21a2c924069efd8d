"""Organisations: the coordination office, stores (punti vendita) and charities (enti)."""
from sqlalchemy import JSON, Boolean, CheckConstraint, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Organisation(db.Model):
    """A member organisation of the network; `kind` says which."""

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint("kind in ('coordination', 'store', 'charity')", name="kind"),
        Index("ix_organisation_kind_province", "kind", "province"),  # the board's province filter
        Index("ix_organisation_active_kind", "active", "kind"),  # the coordinator's home counts, index-only
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(200), default="")
    municipality: Mapped[str] = mapped_column(String(80), default="")
    province: Mapped[str] = mapped_column(String(40), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    vat_number: Mapped[str] = mapped_column(String(20), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(160), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)

    # Charities only.
    # [[weekday 0-6, "HH:MM", "HH:MM"], ...] in Europe/Rome local time.
    receiving_hours: Mapped[list] = mapped_column(JSON, default=list)
    categories_accepted: Mapped[list] = mapped_column(JSON, default=list)
    cold_storage: Mapped[bool] = mapped_column(Boolean, default=False)
    people_served_week: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")

    @property
    def coords(self):
        """(lat, lon) or None when the organisation has no coordinates."""
        if self.lat is None or self.lon is None:
            return None
        return (self.lat, self.lon)

    @property
    def maps_url(self):
        """A link that opens the address in the phone's maps app."""
        from urllib.parse import quote

        if self.coords:
            return f"https://www.google.com/maps/search/?api=1&query={self.lat},{self.lon}"
        return "https://www.google.com/maps/search/?api=1&query=" + quote(
            f"{self.address}, {self.municipality}")

    def __repr__(self):
        return f"<Organisation {self.kind} {self.name!r}>"
