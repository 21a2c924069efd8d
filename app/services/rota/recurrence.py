"""Recurrences of pickup schedules: weekdays or an RFC 5545 RRULE, minus holidays and exceptions.

python-dateutil expands the rule and the `holidays` package knows Italy's
national holidays; no hand-written date loops.
"""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from dateutil import rrule as rr

ROME = ZoneInfo("Europe/Rome")
# Rules that would produce more than one pickup a day are not schedules.
ALLOWED_FREQ = ("DAILY", "WEEKLY", "MONTHLY")
MAX_RRULE = 300


class RecurrenceError(ValueError):
    """The recurrence cannot be read (the message is for the coordinator's form)."""


def parse_rrule(text, start):
    """The dateutil rule of an RRULE text starting on `start` (a date); RecurrenceError if unfit."""
    text = (text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or len(text) > MAX_RRULE or "\x00" in text or "\n" in text or "\r" in text:
        raise RecurrenceError("length")
    parts = dict(p.split("=", 1) for p in text.upper().split(";") if "=" in p)
    if parts.get("FREQ") not in ALLOWED_FREQ:
        raise RecurrenceError("freq")
    if any(key in parts for key in ("DTSTART", "BYHOUR", "BYMINUTE", "BYSECOND")):
        raise RecurrenceError("parts")
    try:
        return rr.rrulestr(text, dtstart=datetime.combine(start, time(0, 0)))
    except (ValueError, TypeError, OverflowError) as error:
        raise RecurrenceError("syntax") from error


def rule_of(schedule):
    """The dateutil rule of a schedule (its weekdays, or its RRULE)."""
    if schedule.rrule:
        return parse_rrule(schedule.rrule, schedule.valid_from)
    return rr.rrule(rr.WEEKLY, byweekday=sorted(set(schedule.weekdays or [])),
                    dtstart=datetime.combine(schedule.valid_from, time(0, 0)))


def excluded_days(schedule, first, last):
    """Days in [first, last] with no pickup: national holidays (if skipped) and added exceptions."""
    days = set()
    for value in schedule.exceptions or []:
        try:
            days.add(date.fromisoformat(value))
        except (TypeError, ValueError):
            continue
    if schedule.skip_holidays:
        days.update(holidays.Italy(years=range(first.year, last.year + 1)).keys())
    return days


def occurrences(schedule, first, last):
    """The days in [first, last] on which `schedule` has a pickup, in order."""
    first = max(first, schedule.valid_from)
    if schedule.valid_until is not None:
        last = min(last, schedule.valid_until)
    if last < first:
        return []
    rule = rule_of(schedule)
    found = rule.between(datetime.combine(first, time(0, 0)), datetime.combine(last, time(23, 59)), inc=True)
    skip = excluded_days(schedule, first, last)
    return [moment.date() for moment in found if moment.date() not in skip]


def window(schedule, day):
    """The pickup window of `day` as aware UTC datetimes (local times in Europe/Rome)."""
    start = datetime.combine(day, time.fromisoformat(schedule.start_time), ROME)
    end = datetime.combine(day, time.fromisoformat(schedule.end_time), ROME)
    if end <= start:  # a window past midnight ends the next day
        end += timedelta(days=1)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def local_day(moment):
    """The Italian calendar day of an aware datetime."""
    return moment.astimezone(ROME).date()
