"""The rota's section of the coordinators' daily digest: tomorrow's slots still without volunteers."""
from datetime import datetime, time, timedelta

from flask_babel import format_time, gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.rota import Slot
from app.services.notify.digest import DIGEST_SECTIONS, Section
from app.services.rota.recurrence import ROME

MAX_LINES = 15


def empty_slots_tomorrow(user, day, now):
    """Tomorrow's open slots with nobody signed up, by time (the first few, then how many more)."""
    start = datetime.combine(day + timedelta(days=1), time(0), ROME)
    slots = db.session.scalars(select(Slot).where(
        Slot.status == "open", Slot.window_start >= start, Slot.window_start < start + timedelta(days=1))
        .options(selectinload(Slot.signups)).order_by(Slot.window_start, Slot.id)).all()
    empty = [slot for slot in slots if not slot.joined]
    if not empty:
        return Section(_("Domani: turni senza volontari"), [_("Tutti i turni di domani hanno un volontario.")])
    lines = [_("%(time)s · %(store)s", time=format_time(slot.window_start, "HH:mm"),
               store=slot.store.name) for slot in empty[:MAX_LINES]]
    if len(empty) > MAX_LINES:
        lines.append(_("… e altri %(n)d.", n=len(empty) - MAX_LINES))
    return Section(_("Domani: turni senza volontari: %(n)d", n=len(empty)), lines)


if empty_slots_tomorrow not in DIGEST_SECTIONS:
    DIGEST_SECTIONS.append(empty_slots_tomorrow)
