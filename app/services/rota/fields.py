"""Strict reading of the fields of rota operations (types, ranges, NUL bytes, plausible dates).

Each reader returns the clean value or raises Refused("invalid", message,
field=name), so the API, the forms and the offline queue get the same answer.
"""
import re
from datetime import date, time

from flask_babel import gettext as _

from app.extensions import db
from app.models import Organisation
from app.services.ops.core import Refused
from app.services.rota.recurrence import RecurrenceError, parse_rrule

MIN_YEAR, MAX_YEAR = 2020, 2100
STORAGES = ("ambient", "chilled", "frozen")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def invalid(name, message):
    """A refusal naming the wrong field (forms show the message beside it)."""
    return Refused("invalid", message, field=name, errors={name: message})


def _clean_text(value, name, limit):
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise invalid(name, _("Valore non leggibile."))
    text = str(value)
    if "\x00" in text:
        raise invalid(name, _("Il testo contiene caratteri non ammessi."))
    text = " ".join(text.split())
    if len(text) > limit:
        raise invalid(name, _("Al massimo %(n)d caratteri.", n=limit))
    return text


def text(payload, name, limit=300):
    """An optional free text, spaces tidied, at most `limit` characters."""
    return _clean_text(payload.get(name), name, limit)


def integer(payload, name, low, high, required=True, default=None):
    """A whole number in [low, high] (strings of digits accepted, booleans and floats with decimals not)."""
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise invalid(name, _("Campo obbligatorio."))
        return default
    if isinstance(value, bool):
        raise invalid(name, _("Serve un numero intero."))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,9}\s*", value):
        value = int(value)
    if not isinstance(value, int):
        raise invalid(name, _("Serve un numero intero."))
    if not low <= value <= high:
        raise invalid(name, _("Serve un numero da %(low)d a %(high)d.", low=low, high=high))
    return value


def row_id(payload, name):
    """A positive database id (refused beyond PostgreSQL's integer)."""
    return integer(payload, name, 1, 2 ** 31 - 1)


def day(payload, name, required=True):
    """An ISO date (YYYY-MM-DD) with a plausible year."""
    value = payload.get(name)
    if value in (None, ""):
        if required:
            raise invalid(name, _("Indica la data."))
        return None
    return parse_day(value, name)


def parse_day(value, name):
    """An ISO date string -> date, refused when unreadable or with an implausible year."""
    if not isinstance(value, str) or "\x00" in value or len(value) > 10:
        raise invalid(name, _("Data non leggibile: usa il formato AAAA-MM-GG."))
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise invalid(name, _("Data non leggibile: usa il formato AAAA-MM-GG.")) from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise invalid(name, _("Anno non plausibile: %(year)d.", year=parsed.year))
    return parsed


def clock(payload, name):
    """A local time "HH:MM"."""
    value = payload.get(name)
    if not isinstance(value, str) or not _CLOCK.match(value.strip()):
        raise invalid(name, _("Orario non leggibile: usa il formato OO:MM, per esempio 19:30."))
    return value.strip()


def weekdays(payload, name="weekdays"):
    """A list of distinct weekdays 0 (Monday) .. 6, sorted."""
    value = payload.get(name) or []
    if isinstance(value, (str, int)):
        value = [value]
    if not isinstance(value, list) or len(value) > 7:
        raise invalid(name, _("Giorni della settimana non leggibili."))
    days = set()
    for item in value:
        days.add(integer({name: item}, name, 0, 6))
    return sorted(days)


def storages(payload, name="storages"):
    """The storage kinds to expect, from ambient / chilled / frozen."""
    value = payload.get(name) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or any(v not in STORAGES for v in value):
        raise invalid(name, _("Conservazione non valida: ambiente, refrigerato o surgelato."))
    return [s for s in STORAGES if s in value]


def exception_days(payload, name="exceptions"):
    """Added exception dates: a list of ISO dates, or one text with dates separated by commas or spaces."""
    value = payload.get(name) or []
    if isinstance(value, str):
        if "\x00" in value:
            raise invalid(name, _("Il testo contiene caratteri non ammessi."))
        value = [v for v in re.split(r"[\s,;]+", value) if v]
    if not isinstance(value, list) or len(value) > 100:
        raise invalid(name, _("Al massimo 100 date di eccezione."))
    return sorted({parse_day(v, name).isoformat() for v in value})


def recurrence(payload, start):
    """(weekdays, rrule): one of the two is given; the RRULE is checked with dateutil."""
    rule = text(payload, "rrule", 300)
    days = weekdays(payload)
    if rule:
        try:
            parse_rrule(rule, start)
        except RecurrenceError:
            raise invalid("rrule", _("Regola di ricorrenza non valida: per esempio "
                                     "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA (un sabato sì e uno no).")) from None
        return [], rule
    if not days:
        raise invalid("weekdays", _("Scegli almeno un giorno della settimana, oppure scrivi una regola."))
    return days, ""


def charity(payload, name="recipient_id"):
    """An active charity of the network, or None (the recipient is then proposed each time)."""
    if payload.get(name) in (None, ""):
        return None
    org = db.session.get(Organisation, row_id(payload, name))
    if org is None or org.kind != "charity" or not org.active:
        raise Refused("unknown_recipient", _("Scegli un ente beneficiario attivo della rete."), field=name,
                      errors={name: _("Ente non valido.")})
    return org


def store(payload, name="store_id"):
    """An active store of the network."""
    org = db.session.get(Organisation, row_id(payload, name))
    if org is None or org.kind != "store" or not org.active:
        raise invalid(name, _("Scegli un punto vendita attivo della rete."))
    return org


def schedule_values(payload, current=None):
    """Column values of a schedule from a payload; fields absent keep `current`'s values."""
    if current is not None:
        merged = {"weekdays": current.weekdays, "rrule": current.rrule, "start_time": current.start_time,
                  "end_time": current.end_time, "skip_holidays": current.skip_holidays,
                  "exceptions": current.exceptions, "recipient_id": current.recipient_id,
                  "storages": current.storages, "places": current.places,
                  "valid_from": current.valid_from.isoformat(),
                  "valid_until": current.valid_until.isoformat() if current.valid_until else "",
                  "notes": current.notes}
        if "rrule" in payload or "weekdays" in payload:
            merged.pop("rrule"), merged.pop("weekdays")
        payload = {**merged, **payload}
    valid_from = day(payload, "valid_from")
    valid_until = day(payload, "valid_until", required=False)
    if valid_until is not None and valid_until < valid_from:
        raise invalid("valid_until", _("La fine della validità viene prima dell'inizio."))
    days, rule = recurrence(payload, valid_from)
    start, end = clock(payload, "start_time"), clock(payload, "end_time")
    if time.fromisoformat(end) <= time.fromisoformat(start):
        raise Refused("window_order", _("La finestra di ritiro deve finire dopo l'inizio."), field="end_time",
                      errors={"end_time": _("La finestra di ritiro deve finire dopo l'inizio.")})
    recipient = charity(payload)
    skip = payload.get("skip_holidays", True)
    if not isinstance(skip, bool):
        text_value = str(skip).strip().lower() if isinstance(skip, (str, int)) else None
        if text_value not in ("1", "true", "on", "yes", "si", "sì", "0", "false", "off", "no", ""):
            raise invalid("skip_holidays", _("Valore non leggibile."))
        skip = text_value in ("1", "true", "on", "yes", "si", "sì")
    return {"weekdays": days, "rrule": rule, "start_time": start, "end_time": end, "skip_holidays": skip,
            "exceptions": exception_days(payload), "recipient_id": recipient.id if recipient else None,
            "storages": storages(payload) or ["ambient"], "places": integer(payload, "places", 1, 4),
            "valid_from": valid_from, "valid_until": valid_until, "notes": text(payload, "notes", 500)}
