"""Charities' capacity (kg per day and week, cold space), closures and the needs board: reading and checking.

Values are validated strictly here (shared by the engine's `charity.capacity`
and `charity.needs` handlers and the charity's forms): `check_*` return
(values, {field: Italian message}); an empty dict means valid.
"""
from datetime import date, timedelta

from flask_babel import gettext as _

from app.domain import CATEGORIES
from app.extensions import db
from app.models.partners import CharityCapacity

MAX_KG = 100_000
MAX_CLOSURES = 20
MAX_CLOSURE_DAYS = 366


def get(organisation_id):
    """The charity's capacity row, or None when it has declared nothing."""
    return db.session.get(CharityCapacity, organisation_id) if organisation_id else None


def closure_on(capacity, day):
    """The closure covering `day` ({'from', 'to', 'reason'}), or None."""
    for item in (capacity.closures or []) if capacity else []:
        try:
            if date.fromisoformat(item["from"]) <= day <= date.fromisoformat(item["to"]):
                return item
        except (KeyError, TypeError, ValueError):
            continue  # a malformed closure never blocks a charity
    return None


def full_on(capacity, day):
    """True when the charity said it is full up to and including a day on or after `day`."""
    return bool(capacity and capacity.full_until and capacity.full_until >= day)


def preference(capacity, category):
    """+1 when the category is wanted more this week, -1 when wanted less, 0 otherwise."""
    if capacity is None:
        return 0
    if category in (capacity.needs_more or []):
        return 1
    if category in (capacity.needs_less or []):
        return -1
    return 0


def _number(payload, field, errors, integer=False, top=MAX_KG):
    """An optional non-negative number (decimal comma accepted); None when empty."""
    raw = payload.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        errors[field] = _("Scrivi un numero.")
        return None
    try:
        value = float(str(raw).strip().replace(",", ".")) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        errors[field] = _("Scrivi un numero.")
        return None
    if value != value or value < 0 or value > top:  # NaN, negative, absurd
        errors[field] = _("Scrivi un numero tra 0 e %(top)s.", top=f"{top:,}".replace(",", "."))
        return None
    if integer:
        if value != int(value):
            errors[field] = _("Scrivi un numero intero.")
            return None
        return int(value)
    return round(value, 2)


def _day(raw):
    if isinstance(raw, date):
        return raw
    return date.fromisoformat(str(raw).strip())


def check_capacity(payload):
    """Capacity and closures from a payload: (values, errors)."""
    errors = {}
    values = {"kg_day": _number(payload, "kg_day", errors), "kg_week": _number(payload, "kg_week", errors),
              "cold_litres": _number(payload, "cold_litres", errors, integer=True),
              "cold_crates": _number(payload, "cold_crates", errors, integer=True, top=1000)}
    if values["kg_day"] and values["kg_week"] and values["kg_week"] < values["kg_day"]:
        errors["kg_week"] = _("La capacità settimanale non può essere minore di quella giornaliera.")
    raw = payload.get("closures", [])
    if not isinstance(raw, list) or len(raw) > MAX_CLOSURES:
        errors["closures"] = _("Le chiusure devono essere un elenco (al massimo %(n)d).", n=MAX_CLOSURES)
        raw = []
    closures = []
    for item in raw:
        if not isinstance(item, dict):
            errors["closures"] = _("Ogni chiusura ha un giorno di inizio e uno di fine.")
            continue
        try:
            start, end = _day(item.get("from")), _day(item.get("to"))
        except (TypeError, ValueError):
            errors["closures"] = _("Date di chiusura non leggibili: usa il formato AAAA-MM-GG.")
            continue
        if end < start:
            errors["closures"] = _("Una chiusura finisce prima di cominciare.")
            continue
        if (end - start).days >= MAX_CLOSURE_DAYS:
            errors["closures"] = _("Una chiusura dura al massimo un anno.")
            continue
        closures.append({"from": start.isoformat(), "to": end.isoformat(),
                         "reason": " ".join(str(item.get("reason") or "").split())[:120]})
    values["closures"] = sorted(closures, key=lambda c: c["from"])
    return values, errors


def check_needs(payload):
    """The needs board from a payload: (values, errors)."""
    errors, values = {}, {}
    for field in ("needs_more", "needs_less"):
        raw = payload.get(field, [])
        if isinstance(raw, str):
            raw = [raw] if raw else []
        if not isinstance(raw, list) or any(c not in CATEGORIES for c in raw):
            errors[field] = _("Scegli le categorie dall'elenco.")
            raw = []
        values[field] = sorted(set(raw))
    both = set(values["needs_more"]) & set(values["needs_less"])
    if both:
        errors["needs_less"] = _("Una categoria non può essere insieme «di più» e «di meno».")
    note = " ".join(str(payload.get("needs_note") or "").split())
    if len(note) > 300:
        errors["needs_note"] = _("Al massimo 300 caratteri.")
    values["needs_note"] = note[:300]
    raw = payload.get("full_until")
    if raw in (None, ""):
        values["full_until"] = None
    else:
        try:
            values["full_until"] = _day(raw)
        except (TypeError, ValueError):
            errors["full_until"] = _("Data non leggibile: usa il formato AAAA-MM-GG.")
            values["full_until"] = None
    return values, errors


def week_bounds(day):
    """Monday and Sunday of the week of `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)
