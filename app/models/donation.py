"""Donations (the offer), their crates, and flags raised for the coordinator.

Only `app.services.ops` changes a donation's state; everything else reads.
"""
from datetime import date

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, Float, ForeignKey, Index, Integer,
                        String, Text, UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

STATUSES = ("posted", "claimed", "picked_up", "delivered", "received", "cancelled", "expired")
OPEN_STATUSES = ("posted", "claimed")
DATE_KINDS = ("use_by", "best_before", "produced", "none")


# A donation held by someone other than the volunteer who claimed it (the index below covers only these).
HOLDER_TRANSFER = "holder_id IS NOT NULL AND (claimed_by_id IS NULL OR holder_id <> claimed_by_id)"


class Donation(db.Model):
    """Surplus food offered by a store: 1..N crates, one pickup window, one recipient."""

    __tablename__ = "donation"
    __table_args__ = (
        CheckConstraint("status in ('posted', 'claimed', 'picked_up', 'delivered', 'received', "
                        "'cancelled', 'expired')", name="status"),
        CheckConstraint("storage in ('ambient', 'chilled', 'frozen')", name="storage"),
        CheckConstraint("date_kind in ('use_by', 'best_before', 'produced', 'none')", name="date_kind"),
        CheckConstraint("kg_declared > 0", name="kg_positive"),
        CheckConstraint("crates_count >= 1", name="crates_positive"),
        CheckConstraint("received_kg IS NULL OR received_kg >= 0", name="received_kg_not_negative"),
        Index("ix_donation_status_window", "status", "window_end"),
        Index("ix_donation_store_posted", "store_id", "posted_at"),
        # One day of the board (windows last <= 7 days), covering its counts.
        Index("ix_donation_window_end", "window_end", "window_start", "status", "store_id"),
        # A charity's deliveries by state (its page): in transit, scheduled, received lately.
        Index("ix_donation_recipient_status", "recipient_id", "status", "received_at"),
        # Custody passed to someone other than the claimer: few rows, read to count a volunteer's pickups.
        Index("ix_donation_holder_transfer", "holder_id", postgresql_where=text(HOLDER_TRANSFER),
              sqlite_where=text(HOLDER_TRANSFER)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="posted")

    category: Mapped[str] = mapped_column(String(24))
    storage: Mapped[str] = mapped_column(String(8), default="ambient")
    description: Mapped[str] = mapped_column(String(300))
    kg_declared: Mapped[float] = mapped_column(Float)
    crates_count: Mapped[int] = mapped_column(Integer)
    date_kind: Mapped[str] = mapped_column(String(12), default="none")
    food_date: Mapped[date | None] = mapped_column(Date)  # use-by, best-before or production date
    allergens: Mapped[list] = mapped_column(JSON, default=list)
    value_eur: Mapped[float | None] = mapped_column(Float)
    value_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    best_before_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_cold: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    window_start = mapped_column(UTCDateTime, nullable=False)
    window_end = mapped_column(UTCDateTime, nullable=False)

    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    posted_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    claimed_at = mapped_column(UTCDateTime)
    # Who holds the food now (a volunteer from the pickup scan until receipt).
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    picked_up_at = mapped_column(UTCDateTime)
    pickup_temperature_c: Mapped[float | None] = mapped_column(Float)
    delivered_at = mapped_column(UTCDateTime)
    received_at = mapped_column(UTCDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_kg: Mapped[float | None] = mapped_column(Float)
    received_temperature_c: Mapped[float | None] = mapped_column(Float)  # cold food, at receipt
    cancelled_at = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")
    expired_at = mapped_column(UTCDateTime)
    # Crates left at the store in a partial pickup can be offered again as a new donation.
    reposted_from_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"))
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    store = relationship("Organisation", foreign_keys=[store_id], lazy="joined")
    recipient = relationship("Organisation", foreign_keys=[recipient_id], lazy="joined")
    claimed_by = relationship("User", foreign_keys=[claimed_by_id])
    holder = relationship("User", foreign_keys=[holder_id])
    posted_by = relationship("User", foreign_keys=[posted_by_id])
    crates = relationship("Crate", back_populates="donation", order_by="Crate.n",
                          cascade="all, delete-orphan")
    flags = relationship("Flag", back_populates="donation", order_by="Flag.created_at")

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def kg_best(self):
        """Weighed kg at receipt when known, else the declared kg."""
        return self.received_kg if self.received_kg is not None else self.kg_declared

    def __repr__(self):
        return f"<Donation {self.id} {self.status} {self.category} {self.kg_declared}kg>"


class Crate(db.Model):
    """One QR-labelled crate of a donation. The token is the only thing on the label."""

    __tablename__ = "crate"
    __table_args__ = (
        UniqueConstraint("donation_id", "n", name="uq_crate_donation_n"),
        CheckConstraint("status in ('at_store', 'picked_up', 'left_at_store', 'received', 'problem', "
                        "'missing')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donation.id", ondelete="CASCADE"), index=True)
    n: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="at_store")
    picked_up_at = mapped_column(UTCDateTime)
    picked_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    received_at = mapped_column(UTCDateTime)
    problem_kind: Mapped[str] = mapped_column(String(16), default="")  # spoiled, damaged, missing, too_warm
    problem_note: Mapped[str] = mapped_column(String(500), default="")

    donation = relationship("Donation", back_populates="crates")


class Flag(db.Model):
    """Something a coordinator should look at: a late unclaim, a custody conflict, a too-warm lot."""

    __tablename__ = "flag"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donation.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    message: Mapped[str] = mapped_column(Text)
    operation_id: Mapped[int | None] = mapped_column(ForeignKey("operation.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow)
    resolved_at = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    donation = relationship("Donation", back_populates="flags")
