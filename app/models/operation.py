"""The append-only operation log: the custody trail and the audit of every change."""
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Operation(db.Model):
    """One operation as the server received it, with its outcome (applied or refused).

    `op_id` is made on the device and unique: a replay finds this row and gets
    the same result back. Rows are never updated or deleted.
    """

    __tablename__ = "operation"
    __table_args__ = (
        Index("ix_operation_donation_occurred", "donation_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    op_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # A coordinator's backfill (issue 14): user_id entered it, this volunteer did it.
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    source: Mapped[str] = mapped_column(String(12), default="form")  # form, api, offline
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    occurred_at = mapped_column(UTCDateTime, nullable=False)
    received_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    status: Mapped[str] = mapped_column(String(10))  # applied, refused
    code: Mapped[str] = mapped_column(String(32), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict] = mapped_column(JSON, default=dict)

    user = relationship("User", foreign_keys=[user_id])
    on_behalf_of = relationship("User", foreign_keys=[on_behalf_of_id])
