"""The background worker: periodic jobs registered by each feature.

`flask --app app worker` runs forever (SIGTERM/SIGINT stop it between jobs);
`--once` runs every job one time, for tests and cron. Jobs must be safe to run
in several workers at once (they use conditional updates or row locks).
"""
import logging
import signal
import time

from app.extensions import db

log = logging.getLogger("raccolto.worker")

# (name, interval in seconds, callable returning a count or None)
JOBS = []


def job(name, every):
    """Register a periodic job."""

    def decorator(func):
        JOBS.append((name, every, func))
        return func

    return decorator


def run_once():
    """Run every job one time; returns {name: result}. Errors are logged, not raised."""
    results = {}
    for name, _every, func in JOBS:
        results[name] = _run(name, func)
    return results


def _run(name, func):
    try:
        return func()
    except Exception:  # one failing job must not stop the others
        db.session.rollback()
        log.exception("job %s failed", name)
        return None
    finally:
        db.session.remove()


def run_forever(tick=1.0):
    """Loop over the jobs at their intervals until a stop signal arrives."""
    stopping = {"flag": False}

    def _stop(signum, frame):
        stopping["flag"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    last = {name: 0.0 for name, _e, _f in JOBS}
    while not stopping["flag"]:
        now = time.monotonic()
        for name, every, func in JOBS:
            if now - last[name] >= every:
                result = _run(name, func)
                last[name] = time.monotonic()
                if result:
                    log.info("%s: %s", name, result)
        time.sleep(tick)
    log.info("worker stopped")


@job("purge_login_attempts", every=600)
def _purge_login_attempts():
    from app.services.people import ratelimit

    return ratelimit.purge_old()


@job("expire_invitations", every=3600)
def _close_expired_invitations():
    """Expired invitations stay for the record; nothing to change, just count them."""
    from sqlalchemy import func, select

    from app.models import Invitation
    from app.models.base import utcnow

    return db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.used_at.is_(None), Invitation.expires_at < utcnow()))


@job("verify_register", every=3600)
def _verify_register():
    """The full check of the volunteer register, once a day (hourly look, so restarts do not repeat it)."""
    from datetime import timedelta

    from app.services.people import register

    if not register.check_is_due(timedelta(days=1)):
        return None
    check = register.full_check()
    if check.broken_seq:
        log.error("volunteer register altered from entry %s", check.broken_seq)
        return f"broken at {check.broken_seq}"
    return f"intact, {check.last_seq or 0} entries"
