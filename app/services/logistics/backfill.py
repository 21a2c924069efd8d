"""Entering a pickup after the fact: a coordinator records a pickup made without the app.

The operations are the ordinary ones (claim if needed, a scan per crate taken, pickup),
applied with `backfill=True` and `on_behalf_of=<the volunteer>`: the handlers act as
the volunteer, so custody, the timeline and the DDT name the real driver, while the log
keeps the coordinator as who entered each row. Their op_ids derive from the form's
op_id, so submitting the same form twice records the pickup once.
"""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Donation, User, VolunteerProfile
from app.models.base import utcnow
from app.services.ops import apply, rules

BACKFILL_DAYS = 30  # a pickup older than this is a matter for the records, not the app
OPEN = ("posted", "claimed")


def candidates(now=None, limit=200):
    """Donations a coordinator may record a pickup for: open, window started in the last days."""
    now = now or utcnow()
    return db.session.scalars(select(Donation).options(selectinload(Donation.claimed_by)).where(
        Donation.status.in_(OPEN), Donation.window_start <= now + timedelta(hours=12),
        Donation.window_end >= now - timedelta(days=BACKFILL_DAYS))
        .order_by(Donation.window_start.desc(), Donation.id.desc()).limit(limit)).all()


def volunteers(limit=500):
    """Approved volunteers, by name, to choose who did the pickup."""
    return db.session.scalars(select(User).join(VolunteerProfile, VolunteerProfile.user_id == User.id).where(
        VolunteerProfile.status == "approved", User.deleted_at.is_(None)).order_by(User.name).limit(limit)).all()


def _refused(code, message, field=None):
    return {"status": "refused", "code": code, "message": message, "field": field}


def check(donation, volunteer, occurred_at, temperature_c, crates, now):
    """Why the pickup cannot be recorded as entered (a refusal dict), or None."""
    if donation is None or donation.status not in OPEN:
        return _refused("wrong_state", _("Scegli una donazione ancora da ritirare."), "donation_id")
    if volunteer is None or volunteer.volunteer is None or volunteer.volunteer.status != "approved":
        return _refused("invalid", _("Scegli il volontario che ha fatto il ritiro."), "volunteer_id")
    if donation.status == "claimed" and donation.claimed_by_id != volunteer.id:
        return _refused("already_claimed", _(
            "Questa donazione è prenotata da un altro volontario: liberala dalla bacheca prima di "
            "registrare il ritiro per conto di %(name)s.", name=volunteer.name), "volunteer_id")
    if occurred_at is None:
        return _refused("invalid", _("Scrivi quando è avvenuto il ritiro."), "occurred_at")
    if occurred_at > now + timedelta(minutes=5):
        return _refused("implausible_time", _("Il ritiro non può essere nel futuro."), "occurred_at")
    if occurred_at < donation.posted_at - timedelta(minutes=5) or occurred_at < now - timedelta(days=BACKFILL_DAYS):
        return _refused("implausible_time", _(
            "L'ora del ritiro è prima della pubblicazione della donazione o più vecchia di %(n)d giorni.",
            n=BACKFILL_DAYS), "occurred_at")
    if crates is None or not 1 <= crates <= donation.crates_count:
        return _refused("invalid", _("Le cassette ritirate vanno da 1 a %(n)d.", n=donation.crates_count), "crates")
    if rules.needs_cold(donation) and temperature_c in (None, ""):
        return _refused("temperature_required", _(
            "Per il cibo refrigerato o surgelato serve la temperatura misurata al ritiro."), "temperature_c")
    return None


def record_pickup(coordinator, donation, volunteer, occurred_at, op_id, temperature_c=None, crates=None,
                  best_before_confirmed=False, now=None):
    """Record a pickup done by `volunteer` at `occurred_at`; returns the pickup's (or first refusal's) result."""
    now = now or utcnow()
    crates = donation.crates_count if crates is None and donation is not None else crates
    problem = check(donation, volunteer, occurred_at, temperature_c, crates, now)
    if problem:
        return problem
    steps = []
    if donation.status == "posted":
        # The claim happened before the pickup, and inside the window (the handler checks it).
        claimed_at = max(donation.posted_at, min(occurred_at, donation.window_end - timedelta(minutes=1)))
        steps.append({"op_id": f"{op_id}-claim", "kind": "donation.claim", "occurred_at": claimed_at.isoformat(),
                      "donation_id": donation.id})
    for crate in donation.crates[:crates]:
        steps.append({"op_id": f"{op_id}-scan-{crate.n}", "kind": "crate.scan", "occurred_at": occurred_at.isoformat(),
                      "token": crate.token, "stage": "pickup", "temperature_c": temperature_c})
    steps.append({"op_id": f"{op_id}-pickup", "kind": "donation.pickup", "occurred_at": occurred_at.isoformat(),
                  "donation_id": donation.id, "temperature_c": temperature_c,
                  "best_before_confirmed": bool(best_before_confirmed)})
    result = None
    for step in steps:
        result = apply(step, coordinator, source="backfill", backfill=True, now=now, on_behalf_of=volunteer)
        if result["status"] == "refused" or result.get("original_status") == "refused":
            return result
    return result
