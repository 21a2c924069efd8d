"""The rota: pickup schedules per store, the slots they generate, sign-ups, absences.

Only app.services.rota (through the operations engine) changes these rows;
the worker generates slots with an insert that a unique key makes idempotent.
"""
from datetime import date

from sqlalchemy import (JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

SCHEDULE_STATUSES = ("active", "proposed", "rejected", "archived")
SLOT_STATUSES = ("open", "posted", "nothing", "cancelled")
SIGNUP_STATUSES = ("joined", "left", "absent", "no_show")


class PickupSchedule(db.Model):
    """A store's recurring pickup (ritiro programmato): recurrence, window, places, validity.

    A store's proposal is a row with status `proposed` (and `replaces_id` when it
    changes an existing schedule) until a coordinator approves or rejects it.
    """

    __tablename__ = "pickup_schedule"
    __table_args__ = (
        CheckConstraint("status in ('active', 'proposed', 'rejected', 'archived')", name="status"),
        CheckConstraint("places >= 1 AND places <= 4", name="places"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)
    # Either weekdays (0 = Monday) or an RFC 5545 RRULE for anything else.
    weekdays: Mapped[list] = mapped_column(JSON, default=list)
    rrule: Mapped[str] = mapped_column(String(300), default="")
    start_time: Mapped[str] = mapped_column(String(5))  # "HH:MM", Europe/Rome
    end_time: Mapped[str] = mapped_column(String(5))
    skip_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    exceptions: Mapped[list] = mapped_column(JSON, default=list)  # ISO dates added by the coordinator
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))  # None: proposed
    storages: Mapped[list] = mapped_column(JSON, default=list)  # ambient / chilled / frozen
    places: Mapped[int] = mapped_column(Integer, default=1)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("pickup_schedule.id"))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow)
    updated_at = mapped_column(UTCDateTime, default=utcnow)

    store = relationship("Organisation", foreign_keys=[store_id], lazy="joined")
    recipient = relationship("Organisation", foreign_keys=[recipient_id], lazy="joined")

    @property
    def needs_cold(self):
        return any(s in ("chilled", "frozen") for s in (self.storages or []))


class Slot(db.Model):
    """One pickup of a schedule on one day; (schedule, day) is unique, so generating is idempotent."""

    __tablename__ = "rota_slot"
    __table_args__ = (
        UniqueConstraint("schedule_id", "day", name="uq_rota_slot_schedule_day"),
        CheckConstraint("status in ('open', 'posted', 'nothing', 'cancelled')", name="status"),
        Index("ix_rota_slot_window", "window_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("pickup_schedule.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    day: Mapped[date] = mapped_column(Date)  # the local (Europe/Rome) day
    window_start = mapped_column(UTCDateTime, nullable=False)
    window_end = mapped_column(UTCDateTime, nullable=False)
    places: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default="open")
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"))
    closed_at = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow)

    schedule = relationship("PickupSchedule", lazy="joined")
    store = relationship("Organisation", lazy="joined")
    signups = relationship("SlotSignup", back_populates="slot", order_by="SlotSignup.id")

    @property
    def joined(self):
        """The sign-ups that still hold a place."""
        return [s for s in self.signups if s.status == "joined"]

    @property
    def free_places(self):
        return max(self.places - len(self.joined), 0)


class SlotSignup(db.Model):
    """A volunteer on a slot; one row per (slot, volunteer), its status says if they still come."""

    __tablename__ = "rota_signup"
    __table_args__ = (
        UniqueConstraint("slot_id", "user_id", name="uq_rota_signup_slot_user"),
        CheckConstraint("status in ('joined', 'left', 'absent', 'no_show')", name="status"),
        Index("ix_rota_signup_user_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("rota_slot.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(8), default="joined")
    standing_id: Mapped[int | None] = mapped_column(ForeignKey("rota_standing.id"))
    joined_at = mapped_column(UTCDateTime, default=utcnow)
    left_at = mapped_column(UTCDateTime)
    left_late: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(300), default="")

    slot = relationship("Slot", back_populates="signups")
    user = relationship("User", lazy="joined")


class StandingSignup(db.Model):
    """«Ogni martedì»: a volunteer holds one weekday of a schedule until they leave it."""

    __tablename__ = "rota_standing"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("pickup_schedule.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    ended_at = mapped_column(UTCDateTime)

    schedule = relationship("PickupSchedule", lazy="joined")
    user = relationship("User", lazy="joined")


class Absence(db.Model):
    """A volunteer away from date_from to date_to (inclusive): their slots in it open up."""

    __tablename__ = "rota_absence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow)


class RotaSettings(db.Model):
    """The network-wide fairness rules set by the coordinator (one row, id 1)."""

    __tablename__ = "rota_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    weekly_cap: Mapped[int] = mapped_column(Integer, default=0)  # 0: no cap
    cap_lift_hours: Mapped[int] = mapped_column(Integer, default=24)
    trial_pickups: Mapped[int] = mapped_column(Integer, default=3)  # 0: no trial pickups
    updated_at = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class TraineeConfirmation(db.Model):
    """A coordinator confirmed that a volunteer in training may now pick up alone."""

    __tablename__ = "rota_trainee_confirmation"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    confirmed_at = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class CalendarToken(db.Model):
    """The secret of a volunteer's private iCalendar feed (stored hashed; revoking deletes it)."""

    __tablename__ = "rota_calendar_token"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)
