"""Notifications: the in-app inbox, Web Push subscriptions, the push outbox, preferences.

A Notification is written in the same transaction as the operation that causes
it (a transactional outbox); each of the recipient's devices then gets one
PushDelivery row, which the worker sends, retries, or gives up on.
"""
from sqlalchemy import (Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "gone", "expired")


class PushSubscription(db.Model):
    """One browser on one device that accepted push (PushSubscription.toJSON())."""

    __tablename__ = "push_subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(Text)
    # Endpoints can be long: the unique index is on their SHA-256.
    endpoint_hash: Mapped[str] = mapped_column(String(64), unique=True)
    p256dh: Mapped[str] = mapped_column(String(120))
    auth: Mapped[str] = mapped_column(String(48))
    device: Mapped[str] = mapped_column(String(80), default="")  # "Chrome su Android", for the device list
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_success_at = mapped_column(UTCDateTime)

    user = relationship("User")

    def info(self):
        """The dict pywebpush expects."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class Notification(db.Model):
    """One message to one user, in their language: always in the inbox, pushed when possible."""

    __tablename__ = "notification"
    __table_args__ = (
        # The same fact (e.g. "on its way" for donation 42) reaches a person once.
        UniqueConstraint("user_id", "dedupe_key", name="uq_notification_user_dedupe"),
        Index("ix_notification_user_created", "user_id", "created_at"),
        Index("ix_notification_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    topic: Mapped[str] = mapped_column(String(24))  # the preference that governs it
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(600), default="")
    url: Mapped[str] = mapped_column(String(300), default="")  # a path on this site
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id", ondelete="SET NULL"), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(100))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # After this moment a push would be stale (the pickup window has closed).
    expires_at = mapped_column(UTCDateTime)
    read_at = mapped_column(UTCDateTime)

    user = relationship("User")
    deliveries = relationship("PushDelivery", back_populates="notification", cascade="all, delete-orphan",
                              passive_deletes=True)


class PushDelivery(db.Model):
    """The outbox: one push of one notification to one subscription.

    pending -> sending (claimed by one worker) -> sent | pending (retry later) | failed | gone.
    """

    __tablename__ = "push_delivery"
    __table_args__ = (
        CheckConstraint("status in ('pending', 'sending', 'sent', 'failed', 'gone', 'expired')",
                        name="status"),
        Index("ix_push_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"), index=True)
    # SET NULL: a subscription deleted after a 410 leaves its deliveries as a record.
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscription.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    claimed_at = mapped_column(UTCDateTime)
    sent_at = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)  # HTTP status of the last attempt
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    notification = relationship("Notification", back_populates="deliveries")
    subscription = relationship("PushSubscription")


class NotificationSetting(db.Model):
    """A user's choice for one topic; no row means the default (on)."""

    __tablename__ = "notification_setting"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(24), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class DonationAlert(db.Model):
    """Marks a donation as already alerted (e.g. 'urgent'), so the alert goes out once.

    The primary key makes two workers deciding at once harmless: one insert wins.
    """

    __tablename__ = "donation_alert"

    donation_id: Mapped[int] = mapped_column(ForeignKey("donation.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
