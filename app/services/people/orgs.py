"""Organisations: receiving hours in a form people can type."""
import re

from flask_babel import gettext as _

from app.domain import WEEKDAYS_IT
from app.services import ServiceError

_DAY = {d: i for i, d in enumerate(WEEKDAYS_IT)}
_TIME = r"(\d{1,2})(?:[:.](\d{2}))?"


def _time(h, m):
    h, m = int(h), int(m or 0)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError
    return f"{h:02d}:{m:02d}"


def parse_hours(text):
    """Parse 'lun-ven 9-12, 15:00-18:00; sab 9-12' into [[weekday, 'HH:MM', 'HH:MM'], ...].

    Weekdays are Italian three-letter abbreviations (lun mar mer gio ven sab dom),
    single or as a range; several time ranges per group separated by commas.
    """
    result = []
    for group in filter(None, (g.strip() for g in (text or "").split(";"))):
        match = re.match(r"^([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(.+)$", group.lower())
        if not match or match.group(1) not in _DAY or (match.group(2) and match.group(2) not in _DAY):
            raise ServiceError("invalid", _("Orari non validi in «%(g)s»: scrivi per esempio "
                                            "«lun-ven 9-12, 15-18; sab 9-12».", g=group))
        first = _DAY[match.group(1)]
        last = _DAY[match.group(2)] if match.group(2) else first
        days = list(range(first, last + 1)) if first <= last else list(range(first, 7)) + list(range(0, last + 1))
        for span in match.group(3).split(","):
            m = re.match(rf"^\s*{_TIME}\s*-\s*{_TIME}\s*$", span)
            try:
                start, end = _time(m.group(1), m.group(2)), _time(m.group(3), m.group(4))
            except (AttributeError, ValueError):
                raise ServiceError("invalid", _("Fascia oraria non valida: «%(s)s» (es. 9:00-12:30).",
                                                s=span.strip())) from None
            if end <= start:
                raise ServiceError("invalid", _("La fascia «%(s)s» finisce prima di iniziare.",
                                                s=span.strip()))
            result.extend([d, start, end] for d in days)
    return sorted(result)


def format_hours(hours):
    """The inverse of parse_hours, grouping consecutive days with the same spans."""
    by_day = {}
    for day, start, end in hours or []:
        by_day.setdefault(day, []).append(f"{start}-{end}")
    groups, day = [], 0
    while day < 7:
        if day not in by_day:
            day += 1
            continue
        spans, last = by_day[day], day
        while last + 1 < 7 and by_day.get(last + 1) == spans:
            last += 1
        label = WEEKDAYS_IT[day] if last == day else f"{WEEKDAYS_IT[day]}-{WEEKDAYS_IT[last]}"
        groups.append(f"{label} {', '.join(spans)}")
        day = last + 1
    return "; ".join(groups)
