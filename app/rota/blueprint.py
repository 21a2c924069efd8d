"""The rota feed blueprint (no login: the secret token is the key) and the rota pages' template helpers."""
from datetime import timedelta

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.models.base import utcnow
from app.services.rota import recurrence

bp = Blueprint("rota_feed", __name__)

WEEKDAY_NAMES = (_l("lunedì"), _l("martedì"), _l("mercoledì"), _l("giovedì"), _l("venerdì"), _l("sabato"),
                 _l("domenica"))

SLOT_STATUS_LABELS = {"open": _l("aperto"), "posted": _l("donazione pubblicata"), "nothing": _l("niente da ritirare"),
                      "cancelled": _l("soppresso")}


def schedule_weekdays(schedule):
    """The weekdays a schedule has pickups on (an RRULE's, read from its next four weeks)."""
    if not schedule.rrule:
        return list(schedule.weekdays or [])
    today = recurrence.local_day(utcnow())
    return sorted({d.weekday() for d in recurrence.occurrences(schedule, today, today + timedelta(days=28))})


@bp.app_context_processor
def _rota_helpers():
    return {"weekday_names": WEEKDAY_NAMES, "schedule_weekdays": schedule_weekdays,
            "slot_status_labels": SLOT_STATUS_LABELS}
