"""What the public may see of campaigns and events, and the province's calendar day.

The lowest module of the pages area: RSVP and the page writers both need it.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from app.models.base import utcnow

ROME = ZoneInfo("Europe/Rome")


def today_rome():
    """Today's date in the province (campaign end dates are local dates)."""
    return datetime.now(ROME).date()


def visible(model, now=None):
    """SQL condition: published and its publication time has come (drafts and scheduled excluded)."""
    return (model.status == "published") & (model.publish_at <= (now or utcnow()))
