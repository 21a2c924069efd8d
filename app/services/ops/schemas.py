"""Declared fields of each operation kind, and the checks every operation gets (issue 16).

Before a handler runs, `problem(kind, payload)` checks the operation in one
place: first the generic checks that hold for any kind (strings without NUL
and valid Unicode, integers within the database's 64-bit range and ids
within its 32-bit one, finite numbers, bounded nesting, plausible years in
time and date fields), then the kind's declared schema (a pydantic model).
The answer is None or (field, Italian message); the engine turns it into a
logged `invalid` refusal naming the field.

Schemas only say what a field must look like; the handlers still read the
values and apply the domain rules (kg_out_of_range, use_by_passed, ...), so
a declared field accepts what a form sends ("12,5", "", "on") as well as JSON.
Declaring a new kind is a few lines:

    class SlotJoinFields(OpFields):
        slot_id: Id
        note: Text

    @handler("slot.join", schema=SlotJoinFields)
"""
import json
import math
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from app.models.base import parse_time

INT32 = 2 ** 31 - 1  # PostgreSQL integer: every id column
INT64 = 2 ** 63 - 1  # PostgreSQL bigint: the widest integer column
MAX_NUMBER = 1e9  # no quantity of the domain comes near it; beyond it a float loses meaning
MAX_TEXT = 10_000
MAX_DEPTH = 5  # an operation is flat, with lists of small objects (problems) at most
YEARS = (2000, 2100)  # a date of the field outside these is a typo or an attack
ISO_DAY = re.compile(r"\A(\d{4})-(\d{2})-(\d{2})")
# Field names that hold a time or a date in any kind (for kinds without a schema too).
TIME_SUFFIXES = ("_at", "_on", "_date", "_start", "_end", "_day")
TIME_NAMES = ("date", "day", "giorno")


# --- the generic checks ------------------------------------------------------------

def text_problem(value):
    """Why a string cannot be stored (NUL, lone surrogate, too long), else None."""
    if "\x00" in value:
        return _("contiene un carattere nullo")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("contiene caratteri non validi (Unicode)")
    if len(value) > MAX_TEXT:
        return _("è troppo lungo")
    return None


def year_problem(value):
    """Why a date, datetime or ISO string has an implausible year, else None."""
    if isinstance(value, (date, datetime)):
        year = value.year
    else:
        found = ISO_DAY.match(value.strip()) if isinstance(value, str) else None
        if not found:
            return None
        year = int(found.group(1))
    if not YEARS[0] <= year <= YEARS[1]:
        return _("l'anno %(year)d non è plausibile", year=year)
    return None


def _is_id(name):
    return name == "id" or name.endswith("_id")


def _is_time(name):
    return name in TIME_NAMES or name.endswith(TIME_SUFFIXES)


def _value_problem(name, value, depth):
    """The generic problem of one value (recursing into lists and objects), else None."""
    if depth > MAX_DEPTH:
        return _("ha troppi livelli annidati")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        limit = INT32 if _is_id(name) else INT64
        return None if -limit - 1 <= value <= limit else _("è un numero fuori intervallo")
    if isinstance(value, float):
        return None if math.isfinite(value) and abs(value) <= MAX_NUMBER else _("è un numero fuori intervallo")
    if isinstance(value, str):
        why = text_problem(value)
        if why is None and _is_id(name) and value.strip().isdecimal() and int(value.strip()) > INT32:
            why = _("è un numero fuori intervallo")
        if why is None and _is_time(name):
            why = year_problem(value)
        return why
    if isinstance(value, (date, datetime)):
        return year_problem(value)
    if isinstance(value, dict):
        for key, item in value.items():
            why = text_problem(key) if isinstance(key, str) else _("ha un nome di campo non valido")
            why = why or _value_problem(key if isinstance(key, str) else "", item, depth + 1)
            if why:
                return why
        return None
    if isinstance(value, (list, tuple)):
        for item in value:
            why = _value_problem(name, item, depth + 1)
            if why:
                return why
        return None
    return None  # other Python objects come only from server code (forms), not from JSON


def generic_problem(payload):
    """(field, message) for the first field that fails the generic checks, else None."""
    for name, value in payload.items():
        why = text_problem(name) if isinstance(name, str) else _("ha un nome non valido")
        why = why or _value_problem(name, value, 1)
        if why:
            field = name if isinstance(name, str) and not text_problem(name) else ""
            return field, _("Il campo «%(field)s»: %(why)s.", field=field[:40], why=why)
    return None


def time_problem(value):
    """(field, message) when occurred_at is given but unreadable or implausible, else None.

    An unreadable device time is refused rather than replaced by the server's:
    silently stamping it "now" would hide a broken client and falsify the custody trail.
    """
    if value is None or value == "":
        return None
    why = None
    if not isinstance(value, (str, datetime)):
        why = _("serve data e ora (ISO 8601)")
    else:
        why = (isinstance(value, str) and text_problem(value)) or year_problem(value)
        if not why and parse_time(value) is None:
            why = _("serve data e ora (ISO 8601)")
    if why:
        return "occurred_at", _("Il campo «%(field)s»: %(why)s.", field="occurred_at", why=why)
    return None


def storable(payload):
    """The payload as the log can keep it: as is when clean, else as escaped ASCII text.

    A NUL or a lone surrogate cannot go into a PostgreSQL text or JSON column;
    the escaped text keeps what was sent, for the audit, without breaking the row.
    """
    if generic_problem(payload) is None:
        try:
            return json.loads(json.dumps(payload, default=str))
        except (TypeError, ValueError, RecursionError):
            pass
    try:
        text = json.dumps(payload, default=str, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        text = repr(payload)
    return {"unreadable": text[:2000]}


# --- field types for the schemas ---------------------------------------------------

def _fail(why):
    return PydanticCustomError("raccolto", "{why}", {"why": why})


def _empty(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value):
    """A number from JSON or a form ("12,5"): finite and within range; unreadable text passes.

    Text that is no number goes on to the handler, whose rule says what to write
    ("Scrivi il peso in kg con un numero"); the schema stops what would break it.
    """
    if _empty(value):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise _fail(_("serve un numero"))
    try:
        if isinstance(value, str):
            text = value.strip().replace(" ", "")
            if "," in text and "." in text:
                text = text.replace(".", "")
            number = float(text.replace(",", "."))
        else:
            number = float(value)
    except ValueError:
        return value
    except (OverflowError, ArithmeticError):
        raise _fail(_("il numero è fuori intervallo")) from None
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise _fail(_("il numero è fuori intervallo"))
    return value


def _id(value):
    """A row id: an integer within the database's; text that is no number passes to the handler."""
    if _empty(value) or isinstance(value, str) and not value.strip().lstrip("-").isdecimal():
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _fail(_("serve un numero intero"))
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise _fail(_("serve un numero intero"))
    if not -INT32 - 1 <= int(value) <= INT32:
        raise _fail(_("il numero è fuori intervallo"))
    return value


def _text(value):
    """A piece of text (numbers from a form are fine)."""
    if value is None or isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool):
        return value
    raise _fail(_("serve un testo"))


def _flag(value):
    """A yes/no: JSON true/false, or a form's "on", "1", ""."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    raise _fail(_("serve sì o no"))


def _time(value):
    """An ISO 8601 time (text or datetime) with a plausible year; unreadable text passes."""
    if _empty(value):
        return value
    if not isinstance(value, (str, datetime)):
        raise _fail(_("serve data e ora (ISO 8601)"))
    why = year_problem(value)
    if why:
        raise _fail(why)
    return value


def _day(value):
    """A date (YYYY-MM-DD) or a full ISO time, with a plausible year; unreadable text passes."""
    if _empty(value):
        return value
    if not isinstance(value, (str, date)):
        raise _fail(_("serve una data (AAAA-MM-GG)"))
    why = year_problem(value)
    if why:
        raise _fail(why)
    return value


def _names(value):
    """A list of short names, or one comma-separated string (a form's field)."""
    if _empty(value) or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return value
    raise _fail(_("serve un elenco di nomi"))


def _items(value):
    """A list of plain values or small objects (weekdays, closures), or one text a form sends."""
    if _empty(value) or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(
            isinstance(item, (str, int, float, dict)) and not isinstance(item, bool) for item in value):
        return value
    raise _fail(_("serve un elenco"))


def _object(value):
    """A small JSON object (e.g. a stored photo's key and size)."""
    if _empty(value) or isinstance(value, dict):
        return value
    raise _fail(_("serve un oggetto"))


Number = Annotated[Any, BeforeValidator(_number)]
Id = Annotated[Any, BeforeValidator(_id)]
Text = Annotated[Any, BeforeValidator(_text)]
Flag = Annotated[Any, BeforeValidator(_flag)]
Time = Annotated[Any, BeforeValidator(_time)]
Day = Annotated[Any, BeforeValidator(_day)]
Names = Annotated[Any, BeforeValidator(_names)]
Items = Annotated[Any, BeforeValidator(_items)]
Object = Annotated[Any, BeforeValidator(_object)]


class OpFields(BaseModel):
    """The base of every schema: fields not declared pass untouched (the handler ignores them)."""

    model_config = ConfigDict(extra="allow")


def schema_problem(schema, payload):
    """(field, message) for the first declared field the payload gets wrong, else None."""
    try:
        schema.model_validate(payload)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        # Our field types explain themselves; pydantic's own errors (a list where an object
        # goes) get a plain Italian sentence, not its English one.
        why = (first.get("ctx") or {}).get("why") or _("non è valido")
        top = str(first["loc"][0]) if first["loc"] else ""
        return top, _("Il campo «%(field)s»: %(why)s.", field=field[:40], why=why)
    return None


def problem(schema, payload):
    """The first problem of an operation's payload (generic checks, then the schema), else None."""
    return generic_problem(payload) or (schema_problem(schema, payload) if schema is not None else None)

