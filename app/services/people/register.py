"""The volunteer register (DM 6/10/2021): appending an entry, verifying the hash chain in bounded steps.

Every entry's hash covers its content and the previous entry's hash. Walking
the whole chain is O(entries), so it is not done on every view:

- `full_check()` (the worker once a day, `flask verify-register`, the
  coordinator's button) streams every entry as a core row in seq order,
  recomputes each hash, checks each link and that seqs have no gap, and that
  the entry of the previous intact checkpoint still has the hash recorded
  then. It stores the result as a new checkpoint: the last entry found
  intact (seq, hash), the time, and the first broken seq if any.
- `quick_check()` (every view of the register page) re-verifies only the
  checkpoint's entry (its content against its hash, and that hash against
  the recorded one) and at most QUICK_LIMIT entries after it. Since each hash
  covers the one before, an unchanged hash at the checkpoint vouches for
  every line up to it *as it was when the full check ran*; a change to an
  earlier line that leaves the checkpoint's hash alone (an edit that does
  not recompute the chain) is found by the next full check.

Tampering therefore never goes unnoticed: a rewritten chain changes the
checkpoint's hash (caught by the next view), an edited line breaks the chain
(caught by the next full check, at most a day later, or at once on demand).
Without any checkpoint a view verifies the first QUICK_LIMIT entries from the
start, which for a small register is all of it.
"""
from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from app.models import VolunteerRegisterCheck, VolunteerRegisterEntry
from app.models.base import utcnow
from app.models.user import register_hash

GENESIS = "0" * 64
QUICK_LIMIT = 500  # entries after the checkpoint a page view verifies (a day holds far fewer decisions)
STREAM = 2000  # rows fetched at a time by the full check

_E = VolunteerRegisterEntry
COLUMNS = (_E.seq, _E.at, _E.volunteer_ref, _E.volunteer_name, _E.event, _E.insured_by, _E.by_ref,
           _E.prev_hash, _E.hash)


def append(volunteer, event, by):
    """Add the next entry of the register for `volunteer` (not committed)."""
    last = db.session.execute(select(_E.seq, _E.hash).order_by(_E.seq.desc()).limit(1)).first()
    entry = VolunteerRegisterEntry(
        seq=(last.seq + 1) if last else 1, at=utcnow().replace(microsecond=0),
        volunteer_ref=volunteer.pseudonym, volunteer_name=volunteer.name, event=event,
        insured_by=volunteer.volunteer.insured_by.name if volunteer.volunteer.insured_by else "",
        by_ref=by.pseudonym if by else "", prev_hash=last.hash if last else GENESIS)
    entry.hash = entry.compute_hash()
    db.session.add(entry)
    return entry


@dataclass
class Walk:
    """What a walk along the chain found: the first broken seq, the last intact entry, rows read."""

    broken: int | None
    last_seq: int
    last_hash: str | None
    rows: int


def _walk(rows, seq=0, prev=GENESIS, anchor=None):
    """Verify `rows` (in seq order) following entry `seq` whose hash is `prev`.

    `prev=None` skips the link check of the first row (the quick check starts
    at the checkpoint's entry, which `anchor` (seq, hash) pins instead).
    """
    count = 0
    for row in rows:
        count += 1
        if row.seq != seq + 1:  # a line is missing (or the seqs were renumbered)
            return Walk(seq + 1, seq, prev, count)
        if ((prev is not None and row.prev_hash != prev) or register_hash(row) != row.hash
                or (anchor is not None and row.seq == anchor[0] and row.hash != anchor[1])):
            return Walk(row.seq, seq, prev, count)
        seq, prev = row.seq, row.hash
    if anchor is not None and seq < anchor[0]:  # the checkpoint's line itself is gone
        return Walk(seq + 1, seq, prev, count)
    return Walk(None, seq, prev, count)


def _stream(*where, limit=None):
    statement = select(*COLUMNS).where(*where).order_by(_E.seq)
    if limit is not None:
        return db.session.execute(statement.limit(limit)).all()
    return db.session.execute(statement.execution_options(yield_per=STREAM))


def verify_register():
    """Walk the whole hash chain from the start (core rows, streamed); the first broken seq, or None.

    Checks only the chain; `full_check()` also holds it to the last checkpoint and records the result.
    """
    return _walk(_stream()).broken


def latest_check():
    """The most recent full check, or None."""
    return db.session.scalar(select(VolunteerRegisterCheck).order_by(VolunteerRegisterCheck.id.desc()).limit(1))


def latest_anchor():
    """The most recent full check that found the register intact up to a line, or None."""
    return db.session.scalar(select(VolunteerRegisterCheck).where(
        VolunteerRegisterCheck.broken_seq.is_(None), VolunteerRegisterCheck.last_seq.is_not(None))
        .order_by(VolunteerRegisterCheck.id.desc()).limit(1))


def full_check():
    """Verify every entry and the last intact checkpoint; store the result as a new checkpoint; commits."""
    anchor = latest_anchor()
    walk = _walk(_stream(), anchor=(anchor.last_seq, anchor.last_hash) if anchor else None)
    check = VolunteerRegisterCheck(checked_at=utcnow(), last_seq=walk.last_seq or None,
                                   last_hash=walk.last_hash if walk.last_seq else None, broken_seq=walk.broken)
    db.session.add(check)
    db.session.commit()
    return check


@dataclass
class QuickCheck:
    """A page view's check: the latest full check, and what this view verified after its checkpoint."""

    checkpoint: VolunteerRegisterCheck | None  # the latest full check (its result may be a break)
    anchor: VolunteerRegisterCheck | None  # the checkpoint this view started from (latest intact one)
    broken_seq: int | None  # a break this view found
    verified: int  # entries this view verified
    unverified: int  # entries after what this view verified (more than QUICK_LIMIT since the checkpoint)
    newest: int  # the register's last seq (0 when empty)

    @property
    def broken(self):
        """The earliest break known: found by this view or by the latest full check."""
        found = [s for s in (self.broken_seq, self.checkpoint.broken_seq if self.checkpoint else None) if s]
        return min(found) if found else None


def quick_check():
    """Verify the checkpoint's entry and at most QUICK_LIMIT entries after it: a constant cost per view."""
    checkpoint = latest_check()
    anchor = checkpoint if checkpoint and checkpoint.broken_seq is None and checkpoint.last_seq else \
        latest_anchor() if checkpoint else None
    newest = db.session.scalar(select(func.max(_E.seq))) or 0
    if anchor is None:
        walk = _walk(_stream(limit=QUICK_LIMIT))
    else:
        walk = _walk(_stream(_E.seq >= anchor.last_seq, limit=QUICK_LIMIT + 1), seq=anchor.last_seq - 1,
                     prev=None, anchor=(anchor.last_seq, anchor.last_hash))
    return QuickCheck(checkpoint=checkpoint, anchor=anchor, broken_seq=walk.broken, verified=walk.rows,
                      unverified=0 if walk.broken else max(newest - walk.last_seq, 0), newest=newest)


def check_is_due(every):
    """True when no full check ran in the last `every` (a timedelta)."""
    checkpoint = latest_check()
    return checkpoint is None or checkpoint.checked_at < utcnow() - every
