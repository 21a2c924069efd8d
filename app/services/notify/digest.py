"""The coordinators' daily digest by mail, built from sections that areas register.

`DIGEST_SECTIONS` holds callables (user, day, now) -> Section or None, called in
the coordinator's language; `day` is today in Italian time. Other areas append
their own (the rota adds "tomorrow's empty slots"). The worker sends each
coordinator's digest once a day, at the hour they chose: a conditional UPDATE of
the day sent makes two workers deciding at once harmless.
"""
from collections import namedtuple
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from app.extensions import db
from app.models import Donation, Flag, MailDigest, Membership, User
from app.models.base import utcnow
from app.services.notify import mail, texts
from app.services.notify.inbox import first_path
from app.worker import job

ROME = ZoneInfo("Europe/Rome")
Section = namedtuple("Section", "title lines")
DIGEST_SECTIONS = []
MAX_FLAGS = 10


def day_bounds(day):
    """(start, end) in UTC of an Italian calendar day."""
    return (datetime.combine(day, time(0), tzinfo=ROME),
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=ROME))


def yesterday_figures(user, day, now):
    """What happened yesterday: donations posted, received (kg), expired unclaimed."""
    start, end = day_bounds(day - timedelta(days=1))

    def count_kg(column, kg):
        return db.session.execute(select(func.count(), func.coalesce(func.sum(kg), 0)).where(
            column >= start, column < end)).one()

    posted, posted_kg = count_kg(Donation.posted_at, Donation.kg_declared)
    received, received_kg = count_kg(Donation.received_at, func.coalesce(Donation.received_kg,
                                                                         Donation.kg_declared))
    expired, expired_kg = count_kg(Donation.expired_at, Donation.kg_declared)
    return Section(_("Ieri"), [
        _("Donazioni pubblicate: %(n)d (%(kg)s)", n=posted, kg=texts.kg(posted_kg)),
        _("Donazioni ricevute dagli enti: %(n)d (%(kg)s)", n=received, kg=texts.kg(received_kg)),
        _("Donazioni scadute senza ritiro: %(n)d (%(kg)s)", n=expired, kg=texts.kg(expired_kg)),
    ])


def open_flags(user, day, now):
    """Flags not yet resolved, newest first (the count, and the first few)."""
    total = db.session.scalar(select(func.count()).select_from(Flag).where(Flag.resolved_at.is_(None)))
    if not total:
        return Section(_("Segnalazioni aperte"), [_("Nessuna segnalazione aperta.")])
    rows = db.session.scalars(select(Flag).where(Flag.resolved_at.is_(None))
                              .order_by(Flag.created_at.desc(), Flag.id.desc()).limit(MAX_FLAGS)).all()
    lines = [f"#{flag.donation_id}: {flag.message}"[:300] for flag in rows]
    if total > len(rows):
        lines.append(_("… e altre %(n)d.", n=total - len(rows)))
    return Section(_("Segnalazioni aperte: %(n)d", n=total), lines)


DIGEST_SECTIONS.extend([yesterday_figures, open_flags])


def sections(user, day, now):
    """Every registered section that has something to say for `user`."""
    found = []
    for provider in DIGEST_SECTIONS:
        section = provider(user, day, now)
        if section is not None and section.lines:
            found.append(section)
    return found


def queue_digest(user, day, now):
    """Queue `user`'s digest for `day`; returns the row (None if their address cannot be mailed). No commit."""
    with force_locale(user.locale or "it"):
        found = sections(user, day, now)
    return mail.queue_for_user(
        user, "digest", "digest", now=now, day=day, sections=found,
        subject=lambda: _("Raccolto: il riepilogo del %(day)s", day=day.strftime("%d/%m/%Y")),
        link=mail.absolute(first_path(("coordination.home",), "public.home")),
        reason=lambda: _("Hai ricevuto questa email perché hai scelto il riepilogo giornaliero del "
                         "coordinamento. Puoi cambiare l'ora o spegnerlo nelle impostazioni email."))


def send_due(now=None):
    """Queue the digest of every coordinator whose hour has come today and who has not had it yet."""
    now = now or utcnow()
    local = now.astimezone(ROME)
    today = local.date()
    due = db.session.execute(
        select(MailDigest.id, MailDigest.user_id).join(User, User.id == MailDigest.user_id)
        .join(Membership, (Membership.user_id == User.id) & (Membership.role == "coordinator"))
        .where(MailDigest.hour <= local.hour, or_(MailDigest.sent_on.is_(None), MailDigest.sent_on < today),
               User.deleted_at.is_(None))).all()
    db.session.commit()
    sent = 0
    for digest_id, user_id in due:
        taken = db.session.execute(update(MailDigest).where(
            MailDigest.id == digest_id, or_(MailDigest.sent_on.is_(None), MailDigest.sent_on < today))
            .values(sent_on=today).execution_options(synchronize_session=False))
        if taken.rowcount == 1 and queue_digest(db.session.get(User, user_id), today, now) is not None:
            sent += 1
        db.session.commit()
    return sent or None


@job("send_digests", every=300)
def _send_digests_job():
    """The worker's tick: the digests whose hour has come."""
    return send_due()
