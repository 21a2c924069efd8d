"""The schedule form (coordinator and store proposal alike): raw values in, operation payload out."""
from flask_babel import gettext as _

from app.extensions import db
from app.impact import choices
from app.models import Organisation
from app.models.base import utcnow
from app.services.food import recipients
from app.services.people import directory
from app.services.rota.recurrence import local_day


def schedule_payload(form):
    """The schedule.* fields of a submitted form (a werkzeug MultiDict); the engine validates them."""
    return {"weekdays": form.getlist("weekdays"), "rrule": form.get("rrule", ""),
            "start_time": form.get("start_time", ""), "end_time": form.get("end_time", ""),
            "skip_holidays": "1" in form.getlist("skip_holidays"), "exceptions": form.get("exceptions", ""),
            "recipient_id": form.get("recipient_id") or None, "storages": form.getlist("storages"),
            "places": form.get("places", ""), "valid_from": form.get("valid_from", ""),
            "valid_until": form.get("valid_until", ""), "notes": form.get("notes", "")}


def values_of(schedule=None, form=None):
    """What the form shows: the submitted values, else the schedule's, else sensible defaults."""
    if form is not None:
        values = schedule_payload(form)
        values["weekdays"] = [int(d) for d in values["weekdays"] if str(d).isdigit()]
        values["store_id"] = form.get("store_id", "")
        return values
    if schedule is None:
        return {"weekdays": [], "rrule": "", "start_time": "19:00", "end_time": "20:00", "skip_holidays": True,
                "exceptions": "", "recipient_id": "", "storages": ["ambient"], "places": 1,
                "valid_from": local_day(utcnow()).isoformat(), "valid_until": "", "notes": "", "store_id": ""}
    return {"weekdays": schedule.weekdays, "rrule": schedule.rrule, "start_time": schedule.start_time,
            "end_time": schedule.end_time, "skip_holidays": schedule.skip_holidays,
            "exceptions": ", ".join(schedule.exceptions or []), "recipient_id": schedule.recipient_id or "",
            "storages": schedule.storages, "places": schedule.places, "valid_from": schedule.valid_from.isoformat(),
            "valid_until": schedule.valid_until.isoformat() if schedule.valid_until else "",
            "notes": schedule.notes, "store_id": schedule.store_id}


STORES_SHOWN = 15  # stores a coordinator's new schedule offers before its search (the first by name)


def organisation_fields(values, search, errors, store=None, choose_store=False):
    """The store (when `choose_store`) and charity fields of the form, bounded whatever the network's size.

    The charity is one of the NEARBY_SHOWN nearest to the schedule's store (when
    it is known yet) or any active charity found by name or town; the store is
    one of the first by name or found the same way (app/impact/choices.py says
    how the search works with and without script). `search` holds the search
    texts: the posted form or the query string. The engine checks the ids.
    """
    fields = {}
    if choose_store:
        firsts = directory.nearest("store", None, STORES_SHOWN)
        fields["store"] = choices.field(
            "s-store", "negozio", search, values.get("store_id"), [(_("I primi per nome"), firsts)],
            _("Punto vendita"), name="store_id", blank=_("Scegli il punto vendita"), required=True,
            error=errors.get("store_id"))
        row = directory.active_row("store", values.get("store_id"))
        store = db.session.get(Organisation, row.id) if row else None
    nearby = choices.nearest_options(directory.nearest("charity", store.coords, recipients.NEARBY_SHOWN),
                                     store.coords) if store is not None else []
    hint = None if store is not None else _("Scegli il punto vendita per vedere gli enti vicini, o cerca un ente.")
    fields["charity"] = choices.field(
        "s-recipient", "ente", search, values.get("recipient_id"), [(_("I più vicini al punto vendita"), nearby)],
        _("Ente beneficiario abituale"), name="recipient_id", blank=_("Proposta automatica ogni volta"),
        error=errors.get("recipient_id"), hint=hint)
    return fields
