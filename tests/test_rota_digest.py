"""The rota's section of the coordinators' daily digest: tomorrow's slots nobody signed up for."""
from datetime import timedelta

from app.services.notify import digest
from app.services.rota.recurrence import ROME
from tests.rota_helpers import TUESDAY, rota, send, slots_of  # noqa: F401


def _section(coordinator, now):
    today = now.astimezone(ROME).date()
    return {s.title: s.lines for s in digest.sections(coordinator, today, now) if s is not None}


def test_the_digest_lists_tomorrows_empty_slots_and_not_the_covered_ones(rota):
    schedule = rota.schedule(now=TUESDAY, weekdays=[2], places=1)  # every Wednesday 19:00-20:00
    other = rota.schedule(now=TUESDAY, weekdays=[2], start_time="12:00", end_time="13:00", places=1)
    wednesday = [s for s in slots_of(other.id) if s.day == TUESDAY.date() + timedelta(days=1)][0]
    volunteer = rota.volunteer()
    assert send(volunteer, "slot.join", now=TUESDAY, slot_id=wednesday.id)["status"] == "applied"
    sections = _section(rota.coordinator, TUESDAY)
    assert sections["Domani: turni senza volontari: 1"] == ["19:00 · Coop Bologna Centro"]
    assert schedule.id != other.id


def test_the_digest_says_when_every_slot_of_tomorrow_is_covered(rota):
    schedule = rota.schedule(now=TUESDAY, weekdays=[2], places=1)
    wednesday = [s for s in slots_of(schedule.id) if s.day == TUESDAY.date() + timedelta(days=1)][0]
    assert send(rota.volunteer(), "slot.join", now=TUESDAY, slot_id=wednesday.id)["status"] == "applied"
    assert _section(rota.coordinator, TUESDAY)["Domani: turni senza volontari"] == [
        "Tutti i turni di domani hanno un volontario."]
