"""The driver's run (issue 14): the stop order a volunteer chose by hand, and handover photos."""
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

PHOTO_STAGES = ("pickup", "receipt", "problem")


class RunOrder(db.Model):
    """The order of the stops of one volunteer's run on one day, as they rearranged it.

    `stops` lists stop keys ("p:<donation id>" pickup, "d:<donation id>" delivery);
    stops missing from it (claimed later) follow in the solver's order.
    """

    __tablename__ = "run_order"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    day = mapped_column(Date, primary_key=True)
    stops: Mapped[list] = mapped_column(JSON, default=list)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class DonationPhoto(db.Model):
    """A photo of the food at handover: at pickup, at receipt, or with a crate's problem.

    The file is UPLOAD_DIR/photos/<key>.jpg, re-encoded without metadata; `key` is the
    SHA-256 of those bytes, so the same photo sent twice is one file. The operation that
    attached it (`donation.photo`) has the row's id in its result.
    """

    __tablename__ = "donation_photo"
    __table_args__ = (
        CheckConstraint("stage in ('pickup', 'receipt', 'problem')", name="stage"),
        Index("ix_donation_photo_donation", "donation_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donation.id", ondelete="CASCADE"))
    crate_id: Mapped[int | None] = mapped_column(ForeignKey("crate.id", ondelete="SET NULL"))
    stage: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    taken_at = mapped_column(UTCDateTime, nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    taken_by = relationship("User")
    crate = relationship("Crate")
