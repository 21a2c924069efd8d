"""The schedule form (coordinator and store proposal alike): raw values in, operation payload out."""
from app.models.base import utcnow
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
