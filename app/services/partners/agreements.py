"""Agreements: which organisations have a signed, current one, which are about to lapse, labels.

A store without a signed agreement in force on the day cannot post, and a
charity without one is not proposed as a recipient, when AGREEMENTS_REQUIRED
is on (the default; TestConfig turns it off so tests that make bare
organisations need not sign them).
"""
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.base import utcnow
from app.models.partners import Agreement

ROME = ZoneInfo("Europe/Rome")
KIND_LABELS = {
    "store_donation": _l("Convenzione di donazione (punto vendita)"),
    "charity_reception": _l("Convenzione di ricezione (ente beneficiario)"),
    "other_partner": _l("Protocollo d'intesa (altro partner)"),
}
STATUS_LABELS = {
    "draft": _l("bozza"), "sent": _l("inviata"), "signed": _l("firmata"),
    "expired": _l("scaduta"), "withdrawn": _l("ritirata"),
}
# The kind an organisation of each type signs by default.
KIND_FOR_ORG = {"store": "store_donation", "charity": "charity_reception"}
# Which status may follow which (a signed agreement ends by expiry or withdrawal).
NEXT_STATUS = {
    "draft": ("sent", "signed", "withdrawn"),
    "sent": ("draft", "signed", "withdrawn"),
    "signed": ("withdrawn",),
    "expired": (),
    "withdrawn": (),
}
REMINDER_DAYS = (60, 15)


def today(now=None):
    """The local date in Italy (agreements run by calendar days)."""
    return (now or utcnow()).astimezone(ROME).date()


def required():
    """True when posting and receiving need a signed, current agreement."""
    return bool(current_app.config.get("AGREEMENTS_REQUIRED", True))


def current_for(organisation_id, day):
    """The signed agreement in force on `day` for this organisation (latest end first), or None."""
    return db.session.scalars(select(Agreement).where(
        Agreement.organisation_id == organisation_id, Agreement.status == "signed",
        Agreement.starts_on <= day, Agreement.ends_on >= day).order_by(Agreement.ends_on.desc())).first()


def covered_ids(organisation_ids, day):
    """Those of `organisation_ids` with a signed agreement in force on `day`."""
    ids = list(organisation_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(Agreement.organisation_id).where(
        Agreement.organisation_id.in_(ids), Agreement.status == "signed",
        Agreement.starts_on <= day, Agreement.ends_on >= day)))


def for_organisation(organisation_id, limit=50):
    """An organisation's agreements, newest first (the last `limit`: one a year is the usual pace)."""
    return db.session.scalars(select(Agreement).where(Agreement.organisation_id == organisation_id)
                              .order_by(Agreement.created_at.desc(), Agreement.id.desc()).limit(limit)).all()


def lapsing(day, within_days=60, limit=50):
    """Signed agreements ending within `within_days` of `day` (or ended), soonest first, bounded."""
    return db.session.scalars(select(Agreement).where(
        Agreement.status == "signed", Agreement.ends_on <= day + timedelta(days=within_days))
        .order_by(Agreement.ends_on, Agreement.id).limit(limit)).all()


def days_left(agreement, day):
    """Days from `day` to the agreement's last day (negative once it has ended)."""
    return (agreement.ends_on - day).days if agreement.ends_on else None


def state_label(agreement, day):
    """The status as people read it: a signed agreement past its end reads «scaduta»."""
    if agreement.status == "signed" and agreement.ends_on and agreement.ends_on < day:
        return STATUS_LABELS["expired"]
    return STATUS_LABELS.get(agreement.status, agreement.status)


def parse_day(value):
    """'YYYY-MM-DD' (or a date) -> date, None when empty; ValueError when unreadable."""
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    return date.fromisoformat(text) if text else None
