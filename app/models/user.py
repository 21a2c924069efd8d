"""People: accounts, memberships (role per organisation), volunteer profiles."""
import hashlib
import json
import secrets
from datetime import date

from flask_login import UserMixin
from sqlalchemy import (Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


def new_pseudonym():
    """A stable pseudonymous reference kept in custody records after deletion."""
    return "U-" + secrets.token_hex(5).upper()


class User(UserMixin, db.Model):
    """An account. A user may hold several roles, each through a Membership."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    locale: Mapped[str | None] = mapped_column(String(5))
    pseudonym: Mapped[str] = mapped_column(String(16), unique=True, default=new_pseudonym)
    # Changing it logs out every session and remember-me cookie of this user.
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    created_at = mapped_column(UTCDateTime, default=utcnow)
    last_login_at = mapped_column(UTCDateTime)
    deleted_at = mapped_column(UTCDateTime)

    memberships = relationship("Membership", back_populates="user",
                               cascade="all, delete-orphan", lazy="selectin")
    volunteer = relationship("VolunteerProfile", back_populates="user", uselist=False,
                             cascade="all, delete-orphan", lazy="selectin",
                             foreign_keys="VolunteerProfile.user_id")

    def get_id(self):
        """Flask-Login id: user id plus session token, so a reset invalidates sessions."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self):
        return self.deleted_at is None

    @property
    def roles(self):
        """The set of role names this user holds (volunteer only once approved)."""
        roles = {m.role for m in self.memberships if m.role != "volunteer"}
        # A profile alone is a sign-up: pending, rejected and suspended people hold no
        # volunteer role, so they see no pickups and may not take custody of food.
        if self.is_approved_volunteer:
            roles.add("volunteer")
        return roles

    def has_role(self, role):
        return role in self.roles

    def org_for(self, role):
        """The organisation this user acts for in `role`, or None."""
        for m in self.memberships:
            if m.role == role:
                return m.organisation
        return None

    @property
    def is_approved_volunteer(self):
        return self.volunteer is not None and self.volunteer.status == "approved"

    def __repr__(self):
        return f"<User {self.id} {self.email!r}>"


class Membership(db.Model):
    """User U acts as ROLE for organisation O (store staff, charity staff, coordinator)."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "role", name="uq_membership_user_role"),
        CheckConstraint("role in ('coordinator', 'store', 'charity')", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", back_populates="memberships")
    organisation = relationship("Organisation", lazy="joined")


class VolunteerProfile(db.Model):
    """A volunteer driver: vehicle, cold transport, training, approval by a coordinator."""

    __tablename__ = "volunteer_profile"
    __table_args__ = (
        CheckConstraint("status in ('pending', 'approved', 'rejected', 'suspended')", name="status"),
        CheckConstraint("vehicle in ('none', 'car', 'van')", name="vehicle"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    municipality: Mapped[str] = mapped_column(String(80), default="")
    base_lat: Mapped[float | None] = mapped_column(Float)
    base_lon: Mapped[float | None] = mapped_column(Float)
    vehicle: Mapped[str] = mapped_column(String(8), default="car")
    cold_transport: Mapped[bool] = mapped_column(Boolean, default=False)
    hygiene_training_on: Mapped[date | None] = mapped_column(Date)
    # The organisation whose insurance covers this volunteer (CTS art. 18).
    insured_by_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    decided_at = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User", back_populates="volunteer", foreign_keys=[user_id])
    insured_by = relationship("Organisation")

    @property
    def base(self):
        if self.base_lat is None or self.base_lon is None:
            return None
        return (self.base_lat, self.base_lon)


def register_payload(entry):
    """The canonical text an entry's hash covers; `entry` is an ORM entry or a core row of its columns."""
    return json.dumps({
        "seq": entry.seq, "at": entry.at.isoformat(), "volunteer_ref": entry.volunteer_ref,
        "volunteer_name": entry.volunteer_name, "event": entry.event,
        "insured_by": entry.insured_by, "by_ref": entry.by_ref, "prev_hash": entry.prev_hash,
    }, sort_keys=True, ensure_ascii=False)


def register_hash(entry):
    """SHA-256 of the entry's canonical text (which includes the previous entry's hash)."""
    return hashlib.sha256(register_payload(entry).encode()).hexdigest()


class VolunteerRegisterEntry(db.Model):
    """One line of the volunteer register (DM 6/10/2021): append-only, hash-chained.

    Each entry's hash covers its content and the previous entry's hash, so any
    later change to a past line breaks the chain; app/services/people/register.py finds where.
    """

    __tablename__ = "volunteer_register"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at = mapped_column(UTCDateTime, default=utcnow)
    volunteer_ref: Mapped[str] = mapped_column(String(16))  # user pseudonym
    volunteer_name: Mapped[str] = mapped_column(String(120))
    event: Mapped[str] = mapped_column(String(20))  # approved, rejected, suspended, reinstated
    insured_by: Mapped[str] = mapped_column(String(160), default="")
    by_ref: Mapped[str] = mapped_column(String(16), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def payload(self):
        """The canonical text the hash covers."""
        return register_payload(self)

    def compute_hash(self):
        return register_hash(self)


class VolunteerRegisterCheck(db.Model):
    """One full verification of the register's hash chain, kept as the checkpoint for later views.

    `last_seq`/`last_hash` are the last entry found intact (None for an empty
    register or one broken at its first line); `broken_seq` the first line found
    altered, or None. A page view re-verifies only the checkpoint's entry and the
    entries after it (app/services/people/register.py); one row per full check,
    so the rows are also the history of the checks.
    """

    __tablename__ = "volunteer_register_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seq: Mapped[int | None] = mapped_column(Integer)
    last_hash: Mapped[str | None] = mapped_column(String(64))
    broken_seq: Mapped[int | None] = mapped_column(Integer)
