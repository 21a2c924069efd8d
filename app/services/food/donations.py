"""What a store may offer (DOMAIN.md), read and checked in one place.

`check()` turns a donation payload (JSON from the API, or the form's strings)
into column values plus the list of problems, each tied to the field that is
wrong and carrying an Italian message. The donation.post and donation.edit
handlers refuse with the first problem; the store's form shows every problem
beside its field while the clerk types. No `request` in here.

Rules (L. 166/2016 art. 3-4, DOMAIN.md):
- use-by (*da consumare entro*): refused when the date is before the day the
  pickup window ends (`use_by_passed`): food on its use-by day is still fine.
- best-before (*TMC*): a date before the day the window ends needs the clerk's
  confirmation that packaging is intact and storage was proper
  (`best_before_confirmed: true`, else `best_before_unconfirmed`).
- bakery (production date, the 24 h rule of art. 4 c.3): only for food kept at
  room temperature (`bakery_not_ambient`); refused when produced more than 24 h
  before the window ends (`bakery_too_old`). A production date without a time
  counts from 00:00 of that day (Europe/Rome), the cautious reading.
- the window ends after it starts (`window_order`) and not in the past (`window_past`).
- kg above 0 and at most 2000 (`kg_out_of_range`); crates 1..60 (`crates_out_of_range`).
- chilled and frozen food needs the cold chain (`needs_cold`).
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from app.domain import ALLERGENS, CATEGORIES, STORAGE
from app.models.base import parse_time
from app.models.donation import DATE_KINDS

ROME = ZoneInfo("Europe/Rome")
MAX_KG = 2000
MAX_CRATES = 60
BAKERY_HOURS = 24
MAX_DESCRIPTION = 300
MAX_NOTES = 1000
MAX_VALUE_EUR = 1_000_000
# Plausibility (issue 16): a pickup is a matter of hours or days, booked weeks ahead at most;
# a use-by date is days or weeks away, a best-before date a few years for tins.
MAX_WINDOW = timedelta(days=7)
MAX_AHEAD = timedelta(days=60)
MAX_FOOD_DATE_AHEAD = {"use_by": timedelta(days=366), "best_before": timedelta(days=5 * 366)}

# The payload fields of donation.post, in the order a form shows them (first problem wins).
FIELDS = ("category", "storage", "description", "kg", "crates", "date_kind", "date",
          "best_before_confirmed", "allergens", "value_eur", "window_start", "window_end",
          "recipient_id", "notes")
# Payload field -> Donation column, where the names differ.
COLUMNS = {"kg": "kg_declared", "crates": "crates_count", "date": "food_date"}


@dataclass
class Problem:
    """One thing wrong with a donation: the field, a stable code, an Italian message."""

    field: str
    code: str
    message: str
    missing: bool = False  # the value is absent (forms show it only once the field was touched)


# --- reading values ---------------------------------------------------------------
def parse_number(value):
    """12, 12.5, "12,5", " 12 " -> float; None when empty; ValueError when unreadable."""
    if isinstance(value, bool):
        raise ValueError("a yes/no is not a number")
    if value is None:
        return None
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float (10**400)
            raise ValueError("too large") from None
    else:
        text = str(value).strip().replace(" ", "")
        if not text:
            return None
        if "," in text and "." in text:  # 1.234,5 (Italian thousands separator)
            text = text.replace(".", "")
        number = float(text.replace(",", "."))
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("not finite")
    return number


def parse_bool(value):
    """JSON true, or a form's "1"/"on"/"true"/"sì"."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "on", "true", "yes", "y", "si", "sì"}


def parse_when(value):
    """ISO 8601 -> aware UTC datetime (naive means UTC, as for occurred_at); None if unreadable."""
    return parse_time(value)  # the API's one reading of a time (app/models/base.py)


def parse_food_date(value):
    """'2026-11-25' (or a datetime, for a production time) -> (date, datetime or None)."""
    if isinstance(value, datetime):
        moment = parse_when(value)
        return local(moment).date(), moment
    if isinstance(value, date):
        return value, None
    text = str(value or "").strip()
    if not text:
        return None, None
    if len(text) > 10:
        moment = parse_when(text)
        if moment is None:
            raise ValueError("unreadable")
        return local(moment).date(), moment
    return date.fromisoformat(text), None


def local(moment):
    """An aware datetime in Europe/Rome."""
    return moment.astimezone(ROME)


def estimated_value(kg):
    """The value of `kg` of food at the configured EUR per kg (DOMAIN.md: ~3.7)."""
    return round(kg * current_app.config["VALUE_EUR_PER_KG"], 2)


# --- the check ----------------------------------------------------------------------
def current_values(donation):
    """A donation's editable values in payload form (what an edit starts from)."""
    return {
        "category": donation.category, "storage": donation.storage, "description": donation.description,
        "kg": donation.kg_declared, "crates": donation.crates_count, "date_kind": donation.date_kind,
        "date": donation.food_date, "best_before_confirmed": donation.best_before_confirmed,
        "allergens": list(donation.allergens or []),
        "value_eur": None if donation.value_estimated else donation.value_eur,
        "window_start": donation.window_start, "window_end": donation.window_end,
        "recipient_id": donation.recipient_id, "notes": donation.notes or "",
    }


def check(payload, now, current=None):
    """Read and check a donation payload; returns (values, problems).

    `values` holds Donation column values for every field that could be read
    (`needs_cold`, `value_estimated` included); `problems` lists what is wrong,
    in form order. For an edit pass `current` (the donation): fields absent
    from `payload` keep their current value. `now` is an aware datetime.
    """
    raw = dict(current_values(current)) if current is not None else {}
    raw.update({k: v for k, v in (payload or {}).items() if k in FIELDS})
    if current is not None and "kg" in (payload or {}) and "value_eur" not in (payload or {}) \
            and current.value_estimated:
        raw["value_eur"] = None  # an estimated value follows the new weight
    reader = _Reader(raw)
    reader.read_all()
    reader.apply_rules(now)
    reader.problems.sort(key=lambda p: FIELDS.index(p.field) if p.field in FIELDS else len(FIELDS))
    return reader.values, reader.problems


class _Reader:
    """One pass over a payload: values read so far and problems found."""

    def __init__(self, raw):
        self.raw, self.values, self.problems = raw, {}, []
        self.produced_at = None  # a production time, when the payload gave one

    def problem(self, field, code, message, missing=False):
        self.problems.append(Problem(field, code, message, missing))

    def has_problem(self, *fields):
        return any(p.field in fields for p in self.problems)

    def read_all(self):
        self._category_and_storage()
        self._description()
        self._kg()
        self._crates()
        self._date()
        self._allergens()
        self._value()
        self._window()
        self._recipient()
        self._notes()

    def _category_and_storage(self):
        category = str(self.raw.get("category") or "").strip()
        if not category:
            self.problem("category", "invalid", _("Scegli la categoria."), missing=True)
        elif category not in CATEGORIES:
            self.problem("category", "invalid", _("Categoria sconosciuta: scegline una dall'elenco."))
        else:
            self.values["category"] = category
        storage = str(self.raw.get("storage") or "").strip()
        if not storage and category in CATEGORIES:
            storage = CATEGORIES[category][1]  # the category's usual storage
        if storage not in STORAGE:
            self.problem("storage", "invalid", _("Indica la conservazione: ambiente, refrigerato o surgelato."),
                         missing=not storage)
        else:
            self.values["storage"] = storage
            self.values["needs_cold"] = storage in ("chilled", "frozen")

    def _description(self):
        text = " ".join(str(self.raw.get("description") or "").split())
        if not text:
            self.problem("description", "invalid",
                         _("Descrivi in poche parole cosa doni (es. «yogurt alla frutta, 40 vasetti»)."),
                         missing=True)
        elif len(text) > MAX_DESCRIPTION:
            self.problem("description", "invalid",
                         _("La descrizione è troppo lunga: al massimo %(n)d caratteri.", n=MAX_DESCRIPTION))
        else:
            self.values["description"] = text

    def _kg(self):
        try:
            kg = parse_number(self.raw.get("kg"))
        except ValueError:
            self.problem("kg", "invalid", _("Scrivi il peso in kg con un numero (es. 12,5)."))
            return
        if kg is None:
            self.problem("kg", "invalid", _("Indica il peso stimato in kg."), missing=True)
        elif not 0 < kg <= MAX_KG:
            self.problem("kg", "kg_out_of_range",
                         _("Il peso deve essere più di 0 kg e al massimo %(max)d kg.", max=MAX_KG))
        else:
            self.values["kg_declared"] = round(kg, 2)

    def _crates(self):
        value = self.raw.get("crates")
        try:
            number = parse_number(value)
        except ValueError:
            number = -1.5
        if number is None:
            self.problem("crates", "invalid", _("Indica quante cassette prepari."), missing=True)
        elif number != int(number) or not 1 <= number <= MAX_CRATES:
            self.problem("crates", "crates_out_of_range",
                         _("Le cassette devono essere un numero intero da 1 a %(max)d.", max=MAX_CRATES))
        else:
            self.values["crates_count"] = int(number)

    def _date(self):
        kind = str(self.raw.get("date_kind") or "none").strip()
        if kind not in DATE_KINDS:
            self.problem("date_kind", "invalid", _("Tipo di data sconosciuto: scegli scadenza, TMC, "
                                                   "data di produzione o nessuna data."))
            return
        self.values["date_kind"] = kind
        self.values["best_before_confirmed"] = parse_bool(self.raw.get("best_before_confirmed")) \
            if kind == "best_before" else False
        if kind == "none":
            self.values["food_date"] = None
            return
        try:
            day, moment = parse_food_date(self.raw.get("date"))
        except (TypeError, ValueError):
            self.problem("date", "invalid", _("Data non valida: usa il formato AAAA-MM-GG."))
            return
        if day is None:
            message = {"use_by": _("Indica la data di scadenza («da consumare entro»)."),
                       "best_before": _("Indica il termine minimo di conservazione («da consumarsi "
                                        "preferibilmente entro»)."),
                       "produced": _("Indica la data di produzione.")}[kind]
            self.problem("date", "invalid", message, missing=True)
            return
        self.values["food_date"] = day
        self.produced_at = moment

    def _allergens(self):
        raw = self.raw.get("allergens") or []
        if isinstance(raw, str):
            raw = [part.strip() for part in raw.split(",") if part.strip()]
        if not isinstance(raw, (list, tuple)):
            self.problem("allergens", "invalid", _("Gli allergeni sono un elenco."))
            return
        unknown = [str(a) for a in raw if a not in ALLERGENS]
        if unknown:
            self.problem("allergens", "invalid", _("Allergene sconosciuto: %(names)s. Usa i 14 allergeni "
                                                   "del Reg. UE 1169/2011.", names=", ".join(unknown)[:80]))
            return
        self.values["allergens"] = [key for key in ALLERGENS if key in raw]  # canonical order

    def _value(self):
        try:
            value = parse_number(self.raw.get("value_eur"))
        except ValueError:
            self.problem("value_eur", "invalid", _("Scrivi il valore in euro con un numero (es. 45,90)."))
            return
        if value is not None and not 0 <= value <= MAX_VALUE_EUR:
            self.problem("value_eur", "invalid", _("Il valore deve essere tra 0 e 1.000.000 €."))
            return
        if value is None:
            kg = self.values.get("kg_declared")
            self.values["value_eur"] = estimated_value(kg) if kg else None
            self.values["value_estimated"] = True
        else:
            self.values["value_eur"] = round(value, 2)
            self.values["value_estimated"] = False

    def _window(self):
        for field, missing_message in (("window_start", _("Indica quando inizia il ritiro.")),
                                       ("window_end", _("Indica entro quando ritirare."))):
            raw = self.raw.get(field)
            moment = parse_when(raw)
            if moment is None:
                self.problem(field, "invalid", missing_message if raw in (None, "") else
                             _("Orario non valido: usa una data e un'ora (ISO 8601)."), missing=raw in (None, ""))
            else:
                self.values[field] = moment

    def _recipient(self):
        raw = self.raw.get("recipient_id")
        if raw in (None, ""):
            self.values["recipient_id"] = None
            return
        try:
            self.values["recipient_id"] = int(raw)
        except (TypeError, ValueError):
            self.problem("recipient_id", "invalid", _("Ente beneficiario non valido."))

    def _notes(self):
        text = str(self.raw.get("notes") or "").strip()
        if len(text) > MAX_NOTES:
            self.problem("notes", "invalid", _("Le note sono troppo lunghe: al massimo %(n)d caratteri.",
                                               n=MAX_NOTES))
        else:
            self.values["notes"] = text

    # --- rules between fields ----------------------------------------------------
    def apply_rules(self, now):
        start, end = self.values.get("window_start"), self.values.get("window_end")
        if start and end:
            if end <= start:
                self.problem("window_end", "window_order", _("La fine del ritiro deve venire dopo l'inizio."))
            elif end < now:
                self.problem("window_end", "window_past",
                             _("La fascia di ritiro è già finita: scegli un orario che non sia passato."))
            elif end - start > MAX_WINDOW:
                self.problem("window_end", "window_too_long",
                             _("La fascia di ritiro dura più di 7 giorni: controlla le date."))
            elif start > now + MAX_AHEAD:
                self.problem("window_start", "window_too_far",
                             _("Il ritiro comincia fra più di 60 giorni: controlla la data."))
        if end is None or self.has_problem("date_kind", "date"):
            return
        kind, day = self.values.get("date_kind"), self.values.get("food_date")
        end_day = local(end).date()
        if kind in MAX_FOOD_DATE_AHEAD and day > end_day + MAX_FOOD_DATE_AHEAD[kind]:
            self.problem("date", "invalid", _("La data sulla confezione (%(date)s) è troppo lontana: "
                                              "controlla l'anno.", date=format_date(day, "short")))
        elif kind == "use_by" and day < end_day:
            self.problem("date", "use_by_passed", _(
                "La data di scadenza (%(date)s) è prima della fine del ritiro: un prodotto con «da consumare "
                "entro» superato non si può donare (L. 166/2016).", date=format_date(day, "short")))
        elif kind == "best_before" and day < end_day and not self.values.get("best_before_confirmed"):
            self.problem("best_before_confirmed", "best_before_unconfirmed", _(
                "Il termine minimo di conservazione è superato: conferma che le confezioni sono integre e "
                "che il prodotto è stato conservato correttamente."))
        elif kind == "produced":
            self._bakery(day, end, now)

    def _bakery(self, day, end, now):
        if self.values.get("storage", "ambient") != "ambient":
            self.problem("storage", "bakery_not_ambient", _(
                "La regola delle 24 ore vale solo per prodotti da forno che non richiedono il freddo: scegli "
                "«temperatura ambiente» oppure indica la data di scadenza."))
            return
        produced = self.produced_at or datetime.combine(day, time(0, 0), ROME)
        if produced > now + timedelta(minutes=5):
            self.problem("date", "invalid", _("La data di produzione non può essere nel futuro."))
        elif end - produced > timedelta(hours=BAKERY_HOURS):
            self.problem("date", "bakery_too_old", _(
                "I prodotti da forno si donano entro 24 ore dalla produzione: prodotto il %(date)s, il ritiro "
                "finirebbe troppo tardi. Anticipa la fine del ritiro o indica un'altra data.",
                date=format_date(day, "short")))


# --- the pickup window the form offers -------------------------------------------------
def default_window(now):
    """From the next half hour for PICKUP_WINDOW_HOURS, ending the same day (Europe/Rome)."""
    here = local(now).replace(second=0, microsecond=0)
    start = here + timedelta(minutes=(30 - here.minute % 30) % 30)
    hours = current_app.config["PICKUP_WINDOW_HOURS"]
    midnight = datetime.combine(here.date(), time(23, 59), ROME)
    end = min(start + timedelta(hours=hours), midnight)
    if end <= start:  # past 23:30: the window can only be tomorrow morning
        start = datetime.combine(here.date() + timedelta(days=1), time(8, 0), ROME)
        end = start + timedelta(hours=hours)
    return start, end
