"""The cold-chain clock: how long chilled and frozen food has been on board, and its flag.

Limits per storage come from COLD_CHAIN_LIMIT_HOURS (default 2 h chilled, 4 h frozen).
The driver's pages show the clock and warn past the limit; the worker job
`cold_chain_flags` raises ONE flag per donation for the coordinator through the
system operation `donation.cold_chain_overdue`, whose op_id is fixed per donation
("coldchain-<id>"): two workers deciding at once collide on the op_id's unique
index and the second gets a harmless duplicate, so the flag is raised once.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, or_, select

from app.extensions import db
from app.models import Donation, Flag
from app.models.base import utcnow
from app.services.ops import Refused, apply_system, handler, rules
from app.worker import job

ON_BOARD = ("picked_up",)


def limit_for(storage):
    """Hours the food of `storage` may stay on board, or None for ambient food."""
    limits = current_app.config.get("COLD_CHAIN_LIMIT_HOURS") or {}
    hours = limits.get(storage)
    return timedelta(hours=float(hours)) if hours else None


@dataclass
class Clock:
    """The cold chain of one donation on board at `now`."""

    elapsed: timedelta
    limit: timedelta
    temperature_c: float | None

    @property
    def over(self):
        return self.elapsed >= self.limit

    @property
    def left(self):
        return max(self.limit - self.elapsed, timedelta(0))

    @property
    def elapsed_minutes(self):
        return int(self.elapsed.total_seconds() // 60)

    @property
    def limit_minutes(self):
        return int(self.limit.total_seconds() // 60)


def clock(donation, now=None):
    """The clock of a chilled or frozen donation on board, else None."""
    if donation.status not in ON_BOARD or donation.picked_up_at is None or not rules.needs_cold(donation):
        return None
    limit = limit_for(donation.storage if donation.storage in rules.COLD else "chilled")
    if limit is None:
        return None
    return Clock(elapsed=max((now or utcnow()) - donation.picked_up_at, timedelta(0)), limit=limit,
                 temperature_c=donation.pickup_temperature_c)


def hm(minutes):
    """'1 h 05 min' from minutes."""
    hours, rest = divmod(int(minutes), 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


@handler("donation.cold_chain_overdue", system=True)
def cold_chain_overdue(ctx):
    """The worker found cold food on board past its limit: flag it for the coordinator."""
    donation = ctx.donation()
    found = clock(donation, ctx.occurred_at)
    if found is None or not found.over:
        raise Refused("wrong_state", _("La donazione non è a bordo oltre il limite della catena del freddo."))
    ctx.flag(donation, "cold_chain", _(
        "Catena del freddo: %(what)s a bordo da %(elapsed)s (limite %(limit)s), temperatura al ritiro "
        "%(t)s. Chiama il volontario.", what=donation.description, elapsed=hm(found.elapsed_minutes),
        limit=hm(found.limit_minutes),
        t=(f"{found.temperature_c:g} °C".replace(".", ",") if found.temperature_c is not None else "—")))
    ctx.emit("donation.cold_chain_overdue", donation_id=donation.id, store_id=donation.store_id,
             recipient_id=donation.recipient_id, volunteer_id=donation.holder_id or donation.claimed_by_id)
    return {"donation_id": donation.id, "elapsed_minutes": found.elapsed_minutes}


@job("cold_chain_flags", every=60)
def flag_overdue(now=None):
    """Flag every cold donation on board past its limit, once each; returns how many were flagged."""
    now = now or utcnow()
    limits = {storage: limit_for(storage) for storage in rules.COLD}
    clauses = [(Donation.storage == storage) & (Donation.picked_up_at <= now - limit)
               for storage, limit in limits.items() if limit is not None]
    if not clauses:
        return 0
    flagged_before = exists().where(Flag.donation_id == Donation.id, Flag.kind == "cold_chain")
    due = db.session.scalars(select(Donation.id).where(Donation.status.in_(ON_BOARD), or_(*clauses),
                                                       ~flagged_before)
                             .order_by(Donation.id).limit(500)).all()
    flagged = 0
    for donation_id in due:
        result = apply_system("donation.cold_chain_overdue", {"donation_id": donation_id}, now=now,
                              op_id=f"coldchain-{donation_id}")
        flagged += result["status"] == "applied"
    return flagged
