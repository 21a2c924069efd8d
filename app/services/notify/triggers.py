"""Triggers (DESIGN.md "Notifications"): operations and clocks that become notifications.

`on_operation` is an operations subscriber: it runs inside the operation's
transaction, so its rows commit or roll back with the operation. It reads the
kind and the donation's state after the handler (robust to how handlers word
their events) and uses ctx.events only for extra facts: a conflict, a too-warm
lot, a late unclaim. The worker jobs here raise the urgent alert once per
donation and turn event RSVPs into reminders.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db, write_transaction
from app.geo import coordinates, distance_km
from app.models import (Donation, DonationAlert, Membership, Notification, NotificationSetting,
                        PushSubscription, User, VolunteerProfile)
from app.models.base import utcnow
from app.services.people import accounts
from app.services.notify import inbox, texts
from app.services.notify.inbox import first_path, notify, site_path
from app.services.ops.core import SUBSCRIBERS
from app.worker import job

log = logging.getLogger("raccolto.notify")
HISTORY = timedelta(hours=1)

PAGES = {  # where each side reads about a donation (first existing endpoint wins)
    "volunteer": (("volunteer.donation", "volunteer.pickup"), "volunteer.home"),
    "store": (("store.donation",), "store.home"),
    "charity": (("charity.donation", "charity.delivery"), "charity.home"),
    "coordinator": (("coordination.board_donation", "coordination.donation"), "coordination.home"),
}


def page_for(side, donation):
    """The path of the page where `side` sees `donation`."""
    candidates, fallback = PAGES[side]
    return first_path(candidates, fallback, donation_id=donation.id)


# --- who -------------------------------------------------------------------------------

def staff(organisation_id, role):
    """Active members of an organisation in `role` (store or charity staff)."""
    if organisation_id is None:
        return []
    return db.session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.organisation_id == organisation_id, Membership.role == role,
        User.deleted_at.is_(None))).all()


def coordinators():
    """Every active coordinator."""
    return db.session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.role == "coordinator", User.deleted_at.is_(None))).all()


def nearby_volunteers(donation, radius_km, at):
    """Approved volunteers who could claim `donation` and start within `radius_km` of its store.

    The pickup rules decide who could claim (cold transport and hygiene training for
    chilled and frozen food). A store or volunteer without coordinates is not left
    out: better one notification too many than a lot going to waste.
    """
    from app.services.ops import rules

    store = donation.store
    origin = store.coords or coordinates(store.municipality)
    people = db.session.scalars(select(User).join(VolunteerProfile, VolunteerProfile.user_id == User.id).where(
        VolunteerProfile.status == "approved", User.deleted_at.is_(None))).all()
    chosen = []
    for user in people:
        if rules.claim_blocker(user, donation, at, count_claims=False) is not None:
            continue
        profile = user.volunteer
        distance = distance_km(profile.base or coordinates(profile.municipality), origin)
        if distance is None or distance <= radius_km:
            chosen.append(user)
    return chosen


def _others(users, *excluded):
    """`users` without the people in `excluded` (ids), e.g. whoever did the operation."""
    skip = {e for e in excluded if e}
    return [u for u in users if u.id not in skip]


def _user(user_id):
    return db.session.get(User, user_id) if user_id else None


# --- the subscriber ------------------------------------------------------------------

def on_operation(ctx):
    """Write the notifications an operation causes; a failure here never undoes the operation."""
    if utcnow() - ctx.received_at > HISTORY:
        return  # applied with a past server clock (the demo's history): history, not news
    try:
        with db.session.begin_nested():
            _dispatch(ctx)
    except Exception:  # the food matters more than the message: log, keep the operation
        log.exception("notifications for %s (%s) failed", ctx.kind, ctx.op_id)


def _dispatch(ctx):
    donation = None
    if ctx.donation_id:
        donation = db.session.scalar(select(Donation).where(Donation.id == ctx.donation_id)
                                     .execution_options(populate_existing=True))
    actor = ctx.user.id if ctx.user is not None else None
    events = {}
    for name, data in ctx.events:
        events.setdefault(name, []).append(data)
    if donation is not None:
        for data in events.get("donation.too_warm", []):
            _too_warm(donation, data, actor)
        for data in events.get("donation.too_warm_receipt", []):
            notify(coordinators(), "too_warm", "alerts", lambda: texts.too_warm_receipt(
                donation, data.get("temperature_c"), data.get("limit_c")),
                url=page_for("coordinator", donation), donation_id=donation.id)
    if ctx.refusal:
        if ctx.source == "offline" and ctx.user is not None:
            notify([ctx.user], "refused", "problems", lambda: texts.refused(ctx.kind, ctx.refusal, donation),
                   url=first_path(("pwa.outbox",), "notifications.index"),
                   donation_id=donation.id if donation else None)
        return
    if donation is None:
        return
    status, now = donation.status, ctx.received_at
    if ctx.kind == "donation.post" and status == "posted":
        offer(donation, now, exclude=(actor,))
    elif ctx.kind == "donation.claim" and status == "claimed":
        volunteer = _user(donation.claimed_by_id)
        notify(_others(staff(donation.store_id, "store"), actor), "claimed", "store_updates",
               lambda: texts.claimed(donation, volunteer), url=page_for("store", donation), donation_id=donation.id)
    elif ctx.kind == "donation.unclaim" and status == "posted":
        _unclaimed(donation, events, actor, now)
    elif ctx.kind == "donation.cancel" and status == "cancelled":
        _cancelled(ctx, donation, events, actor)
    elif ctx.kind == "donation.reassign":
        _reassigned(donation, events, actor)
    elif ctx.kind == "donation.expire" and status == "expired":
        notify(staff(donation.store_id, "store"), "expired", "store_updates", lambda: texts.expired(donation),
               url=page_for("store", donation), donation_id=donation.id)
    elif ctx.kind == "donation.deliver" and status == "delivered":
        volunteer = _user(donation.holder_id or donation.claimed_by_id)
        notify(_others(staff(donation.recipient_id, "charity"), actor), "delivered", "incoming",
               lambda: texts.delivered(donation, volunteer), url=page_for("charity", donation),
               donation_id=donation.id, dedupe_key=f"delivered:{donation.id}")
    if status == "picked_up" and ctx.kind in ("crate.scan", "donation.pickup"):
        volunteer = _user(donation.holder_id or donation.claimed_by_id)
        notify(_others(staff(donation.recipient_id, "charity"), actor), "on_the_way", "incoming",
               lambda: texts.on_the_way(donation, volunteer), url=page_for("charity", donation),
               donation_id=donation.id, dedupe_key=f"on_the_way:{donation.id}")
    for data in events.get("donation.conflict", []):
        _conflict(ctx, donation, data, actor)
    if ctx.kind == "donation.cold_chain_overdue":
        _cold_chain(donation)


def offer(donation, now, again=False, exclude=()):
    """Tell volunteers who could take it; near the deadline, that is the urgent alert."""
    if now >= donation.window_end - _urgent_before():
        return urgent_alert(donation, now, exclude=exclude, force=again)
    return notify(_others(nearby_volunteers(donation, current_app.config["NOTIFY_RADIUS_KM"], now), *exclude),
                  "new_donation", "new_donation", lambda: texts.new_donation(donation, again=again),
                  url=page_for("volunteer", donation), donation_id=donation.id,
                  dedupe_key=None if again else f"new:{donation.id}", expires_at=donation.window_end, now=now)


def urgent_alert(donation, now, exclude=(), force=False):
    """The urgent alert to volunteers in the wider radius; once per donation unless `force`."""
    alerted = db.session.get(DonationAlert, (donation.id, "urgent")) is not None
    if alerted and not force:
        return []
    if not alerted:
        db.session.add(DonationAlert(donation_id=donation.id, kind="urgent", created_at=now))
    people = _others(nearby_volunteers(donation, current_app.config["URGENT_RADIUS_KM"], now), *exclude)
    return notify(people, "urgent", "urgent", lambda: texts.urgent(donation), url=page_for("volunteer", donation),
                  donation_id=donation.id, dedupe_key=None if force else f"urgent:{donation.id}", urgent=True,
                  expires_at=donation.window_end, now=now)


def _urgent_before():
    return timedelta(hours=current_app.config["URGENT_BEFORE_HOURS"])


def _unclaimed(donation, events, actor, now):
    data = (events.get("donation.unclaimed") or [{}])[0]
    late = bool(events.get("donation.late_unclaim"))
    volunteer = _user(data.get("volunteer_id"))
    reason = data.get("reason", "")
    notify(_others(staff(donation.store_id, "store"), actor), "unclaimed", "store_updates",
           lambda: texts.unclaimed(donation, volunteer, reason, late), url=page_for("store", donation),
           donation_id=donation.id)
    if late:
        notify(_others(coordinators(), actor), "late_unclaim", "alerts",
               lambda: texts.late_unclaim_alert(donation, volunteer, reason),
               url=page_for("coordinator", donation), donation_id=donation.id)
    # The lot is free again: offer it to the others (urgently if the deadline is near).
    offer(donation, now, again=True, exclude=(actor, data.get("volunteer_id")))


def _cancelled(ctx, donation, events, actor):
    data = (events.get("donation.cancelled") or [{}])[0]
    claimer = _user(data.get("claimed_by_id") or donation.claimed_by_id)
    store = ctx.user.org_for("store") if ctx.user is not None else None
    by_coordinator = ctx.user is not None and ctx.user.has_role("coordinator") and (
        store is None or store.id != donation.store_id)
    if claimer is not None:
        notify(_others([claimer], actor), "cancelled", "my_pickups",
               lambda: texts.cancelled_for_volunteer(donation, by_coordinator),
               url=page_for("volunteer", donation), donation_id=donation.id)
    if by_coordinator:
        notify(_others(staff(donation.store_id, "store"), actor), "cancelled", "store_updates",
               lambda: texts.cancelled_for_store(donation), url=page_for("store", donation),
               donation_id=donation.id)


def _reassigned(donation, events, actor):
    data = (events.get("donation.reassigned") or [{}])[0]
    if data.get("previous_recipient_id") == donation.recipient_id:
        return
    claimer = _user(donation.claimed_by_id) if donation.status == "claimed" else None
    if claimer is not None:
        notify(_others([claimer], actor), "reassigned", "my_pickups",
               lambda: texts.reassigned_for_volunteer(donation), url=page_for("volunteer", donation),
               donation_id=donation.id)
    notify(_others(staff(donation.recipient_id, "charity"), actor), "assigned", "incoming",
           lambda: texts.reassigned_for_charity(donation), url=page_for("charity", donation),
           donation_id=donation.id)


def _too_warm(donation, data, actor):
    reading, limit = data.get("temperature_c"), data.get("limit_c")
    for people, topic, side in ((staff(donation.store_id, "store"), "store_updates", "store"),
                                (coordinators(), "alerts", "coordinator")):
        notify(_others(people, actor), "too_warm", topic, lambda: texts.too_warm(donation, reading, limit),
               url=page_for(side, donation), donation_id=donation.id)


def _cold_chain(donation):
    """Cold food on board past its limit (issue 14): the driver, urgently, and the coordinators."""
    driver = _user(donation.holder_id or donation.claimed_by_id)
    notify([driver], "cold_chain", "problems", lambda: texts.cold_chain(donation, for_driver=True),
           url=page_for("volunteer", donation), donation_id=donation.id, urgent=True,
           dedupe_key=f"cold_chain:{donation.id}")
    notify(coordinators(), "cold_chain", "alerts", lambda: texts.cold_chain(donation, for_driver=False),
           url=page_for("coordinator", donation), donation_id=donation.id, dedupe_key=f"cold_chain:{donation.id}")


def _conflict(ctx, donation, data, actor):
    """Coordinators and the people involved; the scanner too when the scan came from the offline queue."""
    moved = "previous_status" in data
    scanner = _user(data.get("scanned_by_id") or actor)
    previous = _user(data.get("previous_volunteer_id")) if moved else _user(
        donation.holder_id or donation.claimed_by_id)
    involved = [u for u in (previous, scanner if ctx.source == "offline" else None) if u is not None]
    sides = [(coordinators(), "coordinator"), (staff(donation.store_id, "store"), "store")]
    sides += [([person], "volunteer") for person in involved]
    for people, side in sides:
        others = [p for p in people if p.id != actor or ctx.source == "offline"]
        notify(others, "conflict", "problems",
               lambda: texts.conflict(donation, scanner, previous, data.get("previous_status"), moved),
               url=page_for(side, donation), donation_id=donation.id)


if on_operation not in SUBSCRIBERS:
    SUBSCRIBERS.append(on_operation)
if inbox.export not in accounts.EXPORTERS:
    accounts.EXPORTERS.append(inbox.export)


# --- clocks (worker jobs) ------------------------------------------------------------------

@job("urgent_pickups", every=60)
def alert_unclaimed(now=None):
    """Urgent alert for donations still unclaimed URGENT_BEFORE_HOURS before their window ends (once)."""
    now = now or utcnow()
    due = db.session.scalars(select(Donation.id).where(
        Donation.status == "posted", Donation.window_end > now, Donation.window_end <= now + _urgent_before(),
        ~exists().where(DonationAlert.donation_id == Donation.id, DonationAlert.kind == "urgent"))).all()
    alerted = 0
    for donation_id in due:
        try:
            with write_transaction():
                # The donation's row lock orders us with operations and other workers.
                # OF donation: its store and recipient are eager outer joins, which PostgreSQL cannot lock.
                donation = db.session.scalar(select(Donation).where(Donation.id == donation_id)
                                             .with_for_update(of=Donation).execution_options(populate_existing=True))
                already = db.session.get(DonationAlert, (donation_id, "urgent"), populate_existing=True)
                if donation is not None and donation.status == "posted" and already is None:
                    urgent_alert(donation, now)
                    alerted += 1
        except IntegrityError:  # another worker marked it first
            continue
    return alerted


@job("event_reminders", every=300)
def remind_events(now=None):
    """Turn due RSVP reminders into notifications, each claimed once with mark_reminded()."""
    from app.services.pages import rsvp as rsvps

    sent = 0
    for item in rsvps.due_event_reminders(now or utcnow()):
        with write_transaction():
            if not rsvps.mark_reminded(item):
                continue
            event = item.event
            rows = notify([item.user], "event_reminder", "event_reminder", lambda: texts.event_reminder(event),
                          url=site_path("public.event", slug=event.slug), dedupe_key=f"rsvp:{item.id}",
                          expires_at=event.starts_at)
            sent += len(rows)
    return sent


@job("purge_notifications", every=3600)
def purge(now=None):
    """Forget old notifications, and everything of deleted accounts (GDPR: nothing kept without need)."""
    now = now or utcnow()
    keep = timedelta(days=current_app.config["NOTIFICATION_KEEP_DAYS"])
    gone = select(User.id).where(User.deleted_at.is_not(None)).scalar_subquery()
    with write_transaction():
        removed = db.session.execute(delete(Notification).where(
            (Notification.created_at < now - keep) | Notification.user_id.in_(gone))
            .execution_options(synchronize_session=False)).rowcount
        inbox.forget_unread()
        for model in (PushSubscription, NotificationSetting):
            db.session.execute(delete(model).where(model.user_id.in_(gone))
                               .execution_options(synchronize_session=False))
    return removed
