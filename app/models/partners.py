"""Partners (issue 15): agreements (convenzioni) with their template and reminders, charities' capacity and needs."""
from sqlalchemy import JSON, CheckConstraint, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

AGREEMENT_KINDS = ("store_donation", "charity_reception", "other_partner")
AGREEMENT_STATUSES = ("draft", "sent", "signed", "expired", "withdrawn")


class Agreement(db.Model):
    """An agreement between the network and one organisation: kind, status, dates, signatories, signed PDF."""

    __tablename__ = "agreement"
    __table_args__ = (
        CheckConstraint("kind in ('store_donation', 'charity_reception', 'other_partner')", name="kind"),
        CheckConstraint("status in ('draft', 'sent', 'signed', 'expired', 'withdrawn')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    starts_on = mapped_column(Date, nullable=True)
    ends_on = mapped_column(Date, nullable=True, index=True)
    # The organisation's signatory and the network's (the coordinator who signs for the Province).
    signatory_name: Mapped[str] = mapped_column(String(120), default="")
    signatory_role: Mapped[str] = mapped_column(String(120), default="")
    network_signatory: Mapped[str] = mapped_column(String(160), default="")
    signed_on = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    # The signed PDF: stored as <sha256>.pdf under UPLOAD_DIR/agreements.
    pdf_file: Mapped[str] = mapped_column(String(80), default="")
    pdf_name: Mapped[str] = mapped_column(String(160), default="")
    pdf_size: Mapped[int] = mapped_column(Integer, default=0)
    pdf_uploaded_at = mapped_column(UTCDateTime, nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    updated_at = mapped_column(UTCDateTime, default=utcnow)

    organisation = relationship("Organisation", lazy="joined")

    def is_current(self, day):
        """Signed and in force on `day` (a local date)."""
        return (self.status == "signed" and self.starts_on is not None and self.ends_on is not None
                and self.starts_on <= day <= self.ends_on)


class AgreementTemplate(db.Model):
    """The editable Markdown text of one kind of agreement (placeholders in {{ }})."""

    __tablename__ = "agreement_template"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at = mapped_column(UTCDateTime, default=utcnow)


class AgreementReminder(db.Model):
    """That the reminder `days` before an agreement's end went out (the key makes it once only)."""

    __tablename__ = "agreement_reminder"

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True)
    ends_on = mapped_column(Date, primary_key=True)  # a renewed end date earns new reminders
    sent_at = mapped_column(UTCDateTime, default=utcnow)


class CharityCapacity(db.Model):
    """What a charity can take (per day, per week, cold space) and its needs board this week."""

    __tablename__ = "charity_capacity"
    __table_args__ = (
        CheckConstraint("kg_day is null or kg_day >= 0", name="kg_day"),
        CheckConstraint("kg_week is null or kg_week >= 0", name="kg_week"),
    )

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    kg_day: Mapped[float | None] = mapped_column(Float)  # None: no limit declared
    kg_week: Mapped[float | None] = mapped_column(Float)
    cold_litres: Mapped[int | None] = mapped_column(Integer)
    cold_crates: Mapped[int | None] = mapped_column(Integer)  # cold crates it can hold in a day
    # Closures: [{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "reason": "..."}], both days included.
    closures: Mapped[list] = mapped_column(JSON, default=list)
    needs_more: Mapped[list] = mapped_column(JSON, default=list)  # categories wanted more this week
    needs_less: Mapped[list] = mapped_column(JSON, default=list)  # categories wanted less
    needs_note: Mapped[str] = mapped_column(String(300), default="")
    full_until = mapped_column(Date, nullable=True)  # takes nothing up to and including this day
    updated_at = mapped_column(UTCDateTime, default=utcnow)
