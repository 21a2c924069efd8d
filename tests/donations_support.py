"""Fixtures and helpers shared by the donation, store, API, crate and label tests.

Import the fixtures you use into a test module (`from tests.donations_support import ...`).
The `clock` fixture pins "now" at 10:00 tomorrow, Europe/Rome, so rules that
depend on the day (use-by dates, the bakery 24 h rule, same-day windows) give
the same answer whenever the suite runs, even just before midnight.
"""
import re
from datetime import datetime, time, timedelta, timezone

import pytest

from app.models.base import utcnow
from app.services import ops
from app.services.food.donations import ROME


class Clock:
    """The pinned time: `now` (aware UTC) and helpers for local days and times."""

    def __init__(self, now):
        self.now = now

    @property
    def today(self):
        return self.now.astimezone(ROME).date()

    def at(self, hours, minutes=0, days=0):
        """An aware datetime at HH:MM local time, `days` after today."""
        return datetime.combine(self.today + timedelta(days=days), time(hours, minutes), ROME)


@pytest.fixture
def clock(monkeypatch):
    """Pin the server's clock at 10:00 tomorrow (Europe/Rome) for operations and store views."""
    import app.services.ops.core as core
    import app.store.routes as store_routes

    tomorrow = utcnow().astimezone(ROME).date() + timedelta(days=1)
    pinned = Clock(datetime.combine(tomorrow, time(10, 0), ROME).astimezone(timezone.utc))
    monkeypatch.setattr(core, "utcnow", lambda: pinned.now)
    monkeypatch.setattr(store_routes, "utcnow", lambda: pinned.now)
    return pinned


@pytest.fixture
def shop(make_org, make_user):
    """A store with one clerk, and a charity (accepting everything, open every day 8-20)."""
    store = make_org("store", name="Supermercato Centro", municipality="Bologna")
    charity = make_org("charity", name="Caritas San Petronio")
    clerk = make_user("store", org=store, name="Carla Cassiera", email="carla@example.org")
    return type("Shop", (), {"store": store, "charity": charity, "clerk": clerk})


def payload(clock, **changes):
    """A valid donation.post payload (10:00-13:00 local today), with `changes` applied."""
    data = {"category": "latticini", "storage": "chilled", "description": "Yogurt alla frutta, 40 vasetti",
            "kg": 12.5, "crates": 3, "date_kind": "use_by", "date": (clock.today + timedelta(days=2)).isoformat(),
            "allergens": ["latte"], "value_eur": None, "window_start": clock.at(10).isoformat(),
            "window_end": clock.at(13).isoformat(), "notes": "Ingresso merci sul retro"}
    data.update(changes)
    return data


def post(user, clock, op_id=None, **changes):
    """Apply a donation.post for `user`; returns the result."""
    return ops.apply({"op_id": op_id or ops.new_op_id(), "kind": "donation.post", **payload(clock, **changes)},
                     user)


def op(kind, **fields):
    """An operation dict with a fresh op_id."""
    return {"op_id": ops.new_op_id(), "kind": kind, **fields}


def form_data(data, op_id=None):
    """The store form's fields for a donation.post payload (the window as day + two times)."""
    start = datetime.fromisoformat(data["window_start"]).astimezone(ROME)
    end = datetime.fromisoformat(data["window_end"]).astimezone(ROME)
    fields = {"op_id": op_id or ops.new_op_id(), "category": data["category"], "storage": data["storage"],
              "description": data["description"], "kg": str(data["kg"]).replace(".", ","),
              "crates": str(data["crates"]), "date_kind": data["date_kind"], "date": data.get("date") or "",
              "allergens": data.get("allergens", []),
              "value_eur": "" if data.get("value_eur") is None else str(data["value_eur"]),
              "window_day": start.date().isoformat(), "window_from": start.strftime("%H:%M"),
              "window_to": end.strftime("%H:%M"), "notes": data.get("notes", ""), "recipient_id": ""}
    if data.get("best_before_confirmed"):
        fields["best_before_confirmed"] = "1"
    return fields


def error_in(html, field):
    """The text of a form field's error slot (empty string when it has none)."""
    match = re.search(rf'<p class="error" id="err-{field}"[^>]*>(.*?)</p>', html, re.S)
    assert match, f"no error slot for {field}"
    return " ".join(match.group(1).split())


def unescape(html):
    """HTML text with the entities Jinja writes turned back into characters."""
    import html as html_module

    return html_module.unescape(html)
