"""The donation form: its fields, its defaults and how it becomes a donation.post/edit payload.

The form has no validators of its own: app.services.food.donations checks the
payload, for the inline messages and again inside the operation, so the form,
the offline queue and the API can never disagree.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import gettext as _

from app.services.food import donations as rules, recipients
from app.services.ops import new_op_id

# The form's fields, in page order: the payload's, except the window, which is a day and two times.
FORM_FIELDS = ("category", "storage", "description", "kg", "crates", "date_kind", "date",
               "best_before_confirmed", "allergens", "window_day", "window_from", "window_to",
               "recipient_id", "value_eur", "notes")
# Payload field -> the form field whose slot shows its message.
ERROR_SLOT = {"window_start": "window_from", "window_end": "window_to"}


@dataclass
class DonationForm:
    """What the template needs: the raw values typed, the errors by form field, the op_id."""

    values: dict
    op_id: str
    errors: dict = field(default_factory=dict)

    def get(self, name, default=""):
        return self.values.get(name, default)

    def checked(self, name, option):
        value = self.values.get(name)
        return option in value if isinstance(value, list) else str(value or "") == str(option)


def blank(now):
    """A new donation's form: today's default window, one crate, a fresh op_id."""
    start, end = rules.default_window(now)
    return DonationForm(values={
        "category": "", "storage": "", "description": "", "kg": "", "crates": "1",
        "date_kind": "use_by", "date": "", "allergens": [], "value_eur": "", "notes": "",
        "window_day": start.date().isoformat(), "window_from": start.strftime("%H:%M"),
        "window_to": end.strftime("%H:%M"), "recipient_id": "", "best_before_confirmed": "",
    }, op_id=new_op_id())


def from_donation(donation):
    """The form of an existing donation (for an edit)."""
    start, end = rules.local(donation.window_start), rules.local(donation.window_end)
    return DonationForm(values={
        "category": donation.category, "storage": donation.storage, "description": donation.description,
        "kg": _number(donation.kg_declared), "crates": str(donation.crates_count),
        "date_kind": donation.date_kind, "date": donation.food_date.isoformat() if donation.food_date else "",
        "allergens": list(donation.allergens or []),
        "value_eur": "" if donation.value_estimated or donation.value_eur is None else _number(donation.value_eur),
        "notes": donation.notes or "", "window_day": start.date().isoformat(),
        "window_from": start.strftime("%H:%M"), "window_to": end.strftime("%H:%M"),
        "recipient_id": str(donation.recipient_id or ""),
        "best_before_confirmed": "1" if donation.best_before_confirmed else "",
    }, op_id=new_op_id())


def from_request(form):
    """The form as posted (a werkzeug MultiDict)."""
    values = {name: (form.get(name) or "").strip() for name in FORM_FIELDS if name != "allergens"}
    values["allergens"] = form.getlist("allergens")
    values["slot_id"] = (form.get("slot_id") or "").strip()  # a scheduled pickup's post (the rota)
    return DonationForm(values=values, op_id=(form.get("op_id") or "").strip())


def _number(value):
    return ("%g" % value).replace(".", ",") if value is not None else ""


def _moment(day, clock):
    """A local day and 'HH:MM' -> aware datetime (Europe/Rome), or None when unreadable."""
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), rules.ROME)
    except (TypeError, ValueError):
        return None


def payload(form):
    """The donation.post/donation.edit fields of a filled form."""
    v = form.values
    start, end = _moment(v["window_day"], v["window_from"]), _moment(v["window_day"], v["window_to"])
    return {
        "category": v["category"], "storage": v["storage"], "description": v["description"],
        "kg": v["kg"], "crates": v["crates"], "date_kind": v["date_kind"] or "none", "date": v["date"],
        "best_before_confirmed": rules.parse_bool(v["best_before_confirmed"]), "allergens": v["allergens"],
        "value_eur": v["value_eur"], "notes": v["notes"], "recipient_id": v["recipient_id"] or None,
        "window_start": start.isoformat() if start else None, "window_end": end.isoformat() if end else None,
        "slot_id": v.get("slot_id") or None,
    }


def errors_from(result_errors):
    """Map the operation's {payload field: message} onto the form's fields."""
    return {ERROR_SLOT.get(name, name): message for name, message in (result_errors or {}).items()}


def check(form, now, current=None):
    """Inline validation: {form field: message} for every problem of the filled form."""
    values, problems = rules.check(payload(form), now, current)
    errors = {}
    for problem in problems:
        errors.setdefault(ERROR_SLOT.get(problem.field, problem.field), problem)
    if not form.get("window_day"):
        errors.pop("window_from", None)
        errors["window_day"] = rules.Problem("window_day", "invalid", _("Indica il giorno del ritiro."),
                                             missing=True)
    return values, errors


def recipient_choices(store, values, now):
    """Eligible charities for the values read so far (empty until category and window are valid)."""
    needed = ("category", "needs_cold", "window_start", "window_end")
    if store is None or any(values.get(k) is None for k in needed):
        return []
    if values["window_end"] <= values["window_start"]:
        return []
    return recipients.candidates(store, values["category"], values["needs_cold"], values["window_start"],
                                 values["window_end"], now, kg=values.get("kg_declared"),
                                 crates=values.get("crates_count"))

