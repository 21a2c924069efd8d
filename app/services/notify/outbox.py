"""What the push and mail outboxes share: the backoff schedule and claiming a batch of due rows.

Both keep deliveries as rows written in their cause's transaction and sent by
the worker. A row is claimed by marking it `sending` inside one write
transaction that locks the due rows with `FOR UPDATE SKIP LOCKED` (the write
lock on SQLite), so two workers never take the same row.
"""
from flask import current_app
from sqlalchemy import select

from app.extensions import db, write_transaction


def retry_delays(setting, default):
    """Seconds to wait after the 1st, 2nd, ... failed attempt (minutes in `setting`); after the last, give up."""
    raw = str(current_app.config.get(setting, default))
    return [float(m) * 60 for m in raw.split(",") if m.strip()]


def claim_batch(model, now, limit):
    """Claim up to `limit` due rows of `model` for this worker and mark them sending; returns their ids."""
    with write_transaction():
        rows = db.session.scalars(
            select(model).where(model.status == "pending", model.next_attempt_at <= now)
            .order_by(model.next_attempt_at, model.id).limit(limit)
            .with_for_update(skip_locked=True)).all()
        for row in rows:
            row.status, row.claimed_at, row.attempts = "sending", now, row.attempts + 1
        return [row.id for row in rows]
