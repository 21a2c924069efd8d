"""What a figure counts: a period plus optional store, charity, category or carrying volunteer.

Shared by the impact figures (stats.py) and the operational health (health.py),
which both filter donations the same way.
"""
from dataclasses import dataclass

from sqlalchemy import select

from app.models import Donation, TransportDocument
from app.services.impact import periods


@dataclass(frozen=True)
class Scope:
    """What to count: a period plus optional store, charity, category or carrying volunteer."""

    period: periods.Period
    store_id: int | None = None
    charity_id: int | None = None
    category: str | None = None
    volunteer_id: int | None = None


def scope_filters(scope, when):
    """WHERE conditions of `scope`, dating each donation by the column `when`."""
    conditions = [when >= scope.period.start, when < scope.period.end]
    if scope.store_id is not None:
        conditions.append(Donation.store_id == scope.store_id)
    if scope.charity_id is not None:
        conditions.append(Donation.recipient_id == scope.charity_id)
    if scope.category:
        conditions.append(Donation.category == scope.category)
    if scope.volunteer_id is not None:
        conditions.append(Donation.id.in_(select(TransportDocument.donation_id)
                                          .where(TransportDocument.carrier_id == scope.volunteer_id)))
    return conditions
