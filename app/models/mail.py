"""Mail: the mail outbox, the state of each address, password resets, channels, digests.

A MailDelivery is written in the same transaction as its cause (a notification,
an invitation, a reset request) and sent by the worker, like a PushDelivery.
"""
from datetime import date

from sqlalchemy import (CheckConstraint, Date, ForeignKey, Index, Integer, SmallInteger, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

MAIL_STATUSES = ("pending", "sending", "sent", "kept", "failed", "bounced", "suppressed")
CHANNELS = ("push", "email", "both", "app")


class MailDelivery(db.Model):
    """The outbox: one mail to one address, rendered in the recipient's language when queued.

    pending -> sending (claimed by one worker) -> sent | kept (local mailbox, no server)
    | pending (retry later, 4xx) | bounced (5xx) | failed (given up) | suppressed (address bouncing).
    """

    __tablename__ = "mail_delivery"
    __table_args__ = (
        CheckConstraint("status in ('pending', 'sending', 'sent', 'kept', 'failed', 'bounced', 'suppressed')",
                        name="status"),
        Index("ix_mail_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))  # reset, invitation, verify, digest, notification
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id", ondelete="SET NULL"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id", ondelete="SET NULL"),
                                                      index=True)
    locale: Mapped[str] = mapped_column(String(5), default="it")
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    claimed_at = mapped_column(UTCDateTime)
    sent_at = mapped_column(UTCDateTime)
    last_code: Mapped[int | None] = mapped_column(Integer)  # SMTP reply code of the last attempt
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class MailAddress(db.Model):
    """What we know about one address: verified (a link was opened) and bouncing (a 5xx answer)."""

    __tablename__ = "mail_address"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(254), unique=True)
    verified_at = mapped_column(UTCDateTime)
    bouncing_at = mapped_column(UTCDateTime)
    bounce_reason: Mapped[str] = mapped_column(String(300), default="")


class PasswordReset(db.Model):
    """A single-use, expiring password-reset link, stored hashed like invitations."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    used_at = mapped_column(UTCDateTime)

    user = relationship("User")


class ResetRequest(db.Model):
    """A reset request, kept an hour for rate limiting per address and per client, on every instance."""

    __tablename__ = "reset_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)


class NotificationChannel(db.Model):
    """How a user wants one topic: push, email, both, or only in the app; no row means push."""

    __tablename__ = "notification_channel"
    __table_args__ = (CheckConstraint("channel in ('push', 'email', 'both', 'app')", name="channel"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(24), primary_key=True)
    channel: Mapped[str] = mapped_column(String(5), default="push")


class MailDigest(db.Model):
    """A coordinator's daily digest: the local hour it goes out, and the last day it went."""

    __tablename__ = "mail_digest"
    __table_args__ = (UniqueConstraint("user_id", name="uq_mail_digest_user"),
                      CheckConstraint("hour >= 0 and hour <= 23", name="hour"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    hour: Mapped[int] = mapped_column(SmallInteger, default=7)
    sent_on: Mapped[date | None] = mapped_column(Date)
