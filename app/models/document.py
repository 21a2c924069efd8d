"""Donation documents: transport documents (DDT) and their per-donor yearly numbering."""
from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.donation import Donation


class TransportDocument(db.Model):
    """The DDT of one pickup (DPR 472/96): numbered per donor per year, never changed.

    `snapshot` keeps parties and lines as they were at issue time (a legal
    document does not follow later renames); the other columns are for queries.
    """

    __tablename__ = "transport_document"
    __table_args__ = (
        UniqueConstraint("store_id", "year", "number", name="uq_transport_document_store_year_number"),
        Index("ix_transport_document_store_issued", "store_id", "issued_at"),
        Index("ix_transport_document_recipient_issued", "recipient_id", "issued_at"),
        Index("ix_transport_document_carrier_issued", "carrier_id", "issued_at"),
        Index("ix_transport_document_issued_carrier", "issued_at", "carrier_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donation.id"), unique=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    # The volunteer who carried the food; SET NULL keeps the document if the account goes.
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    issued_at = mapped_column(UTCDateTime, nullable=False)  # the pickup's occurred_at
    kg: Mapped[float] = mapped_column(Float)  # declared kg at issue
    value_eur: Mapped[float] = mapped_column(Float, default=0.0)
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    donation = relationship("Donation", lazy="joined")

    @property
    def code(self):
        """The printed number: progressive/year, e.g. 12/2026."""
        return f"{self.number}/{self.year}"

    def __repr__(self):
        return f"<TransportDocument {self.store_id} {self.code}>"


class DocumentCounter(db.Model):
    """The last DDT number issued by a store in a year; locked while the next is taken."""

    __tablename__ = "document_counter"

    store_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


# Indexes on the donation table for app/services/impact/stats.py (issue 8). They are declared
# here, beside the feature that needs them, so create_all() and autogenerate see them.
# Both cover every column their queries read: SQLite then never visits the table.
# Impact breakdowns: rescued food dated by pickup.
# status first: SQLite otherwise prefers ix_donation_status_window for `status IN (...)`.
Index("ix_donation_impact", Donation.status, Donation.picked_up_at, Donation.category, Donation.store_id,
      Donation.recipient_id, Donation.received_kg, Donation.kg_declared, Donation.value_eur)
# Operational health: donations dated by posting.
Index("ix_donation_health", Donation.posted_at, Donation.status, Donation.store_id, Donation.recipient_id,
      Donation.category, Donation.window_end, Donation.claimed_at, Donation.picked_up_at, Donation.cancelled_at,
      Donation.kg_declared)
