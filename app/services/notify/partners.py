"""Agreement reminders: the coordinators hear 60 and 15 days before an agreement ends; ended ones expire.

A worker job, safe to run in several workers at once and as often as wanted:
each (agreement, threshold, end date) is recorded in `agreement_reminder`
before its notification is written, in the same transaction, so the primary
key lets exactly one worker send it. An agreement found late (10 days left and
no reminder yet) gets only the nearest reminder, and the farther thresholds
are marked done with it. Notifications go through the outbox (inbox, push,
and any channel added to it later, such as email).
"""
from datetime import timedelta

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db, write_transaction
from app.models.base import utcnow
from app.models.partners import Agreement, AgreementReminder
from app.services.notify.inbox import notify, site_path
from app.services.notify.triggers import coordinators
from app.services.ops.core import apply_system
from app.services.partners import agreements
from app.worker import job


def thresholds():
    """The reminder thresholds in days, farthest first (AGREEMENT_REMINDER_DAYS)."""
    return sorted({int(d) for d in current_app.config.get("AGREEMENT_REMINDER_DAYS", (60, 15)) if int(d) >= 0},
                  reverse=True)


def reminder_texts(agreement, days_left):
    """(title, body) of the reminder, in the reader's language."""
    return (_("Convenzione in scadenza"),
            _("%(org)s: la convenzione scade il %(day)s (tra %(n)d giorni). Preparane il rinnovo.",
              org=agreement.organisation.name, day=format_date(agreement.ends_on, "d MMMM yyyy"), n=days_left))


@job("agreement_reminders", every=3600)
def remind_agreements(now=None):
    """Expire agreements past their end, then remind the coordinators of those about to end (once each)."""
    now = now or utcnow()
    day = agreements.today(now)
    for agreement_id, ends_on in db.session.execute(select(Agreement.id, Agreement.ends_on).where(
            Agreement.status == "signed", Agreement.ends_on < day)).all():
        apply_system("agreement.expire", {"agreement_id": agreement_id}, now=now,
                     op_id=f"agreement-expire-{agreement_id}-{ends_on.isoformat()}")
    limits = thresholds()
    if not limits:
        return 0
    due = db.session.execute(select(Agreement.id, Agreement.ends_on).where(
        Agreement.status == "signed", Agreement.ends_on >= day,
        Agreement.ends_on <= day + timedelta(days=limits[0]))).all()
    sent = 0
    for agreement_id, ends_on in due:
        days_left = (ends_on - day).days
        reached = [t for t in limits if days_left <= t]
        nearest = min(reached)
        done = set(db.session.scalars(select(AgreementReminder.days).where(
            AgreementReminder.agreement_id == agreement_id, AgreementReminder.ends_on == ends_on)))
        if nearest in done:
            continue
        try:
            with write_transaction():
                db.session.add_all([AgreementReminder(agreement_id=agreement_id, days=t, ends_on=ends_on, sent_at=now)
                                    for t in reached if t not in done])
                db.session.flush()  # another worker's row makes this fail: it sent the reminder
                agreement = db.session.get(Agreement, agreement_id)
                rows = notify(coordinators(), "agreement_reminder", "agreements",
                              lambda: reminder_texts(agreement, days_left),
                              url=site_path("partners.agreement", agreement_id=agreement_id),
                              dedupe_key=f"agreement:{agreement_id}:{nearest}:{ends_on.isoformat()}", now=now)
                sent += len(rows)
        except IntegrityError:
            db.session.rollback()
            continue
    return sent
