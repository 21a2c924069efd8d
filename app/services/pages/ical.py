"""iCalendar files: one per event and a feed of the public events (RFC 5545).

Times are written in the Europe/Rome zone (DTSTART;TZID=Europe/Rome) with its
VTIMEZONE, so calendars show the local time of the province whatever the
phone's own zone, across daylight saving changes.
"""
from datetime import timedelta

from icalendar import Calendar, Event as VEvent, vText

from app.models.base import utcnow
from app.services.pages.published import ROME

PRODID = "-//Raccolto//Eventi//IT"


def _calendar(name=None):
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", "Europe/Rome")
    return calendar


def _vevent(event, url, host, locale):
    text = event.localised(locale)
    item = VEvent()
    item.add("uid", f"event-{event.id}@{host}")
    # DTSTAMP is the last change, not "now": the same data gives the same bytes (and ETag).
    changed = event.updated_at or event.created_at or utcnow()
    item.add("dtstamp", changed)
    item.add("last-modified", changed)
    item.add("dtstart", event.starts_at.astimezone(ROME))
    item.add("dtend", event.ends_at.astimezone(ROME))
    item.add("summary", text["title"])
    item.add("description", f"{text['summary']}\n\n{url}".strip())
    if event.location:
        item.add("location", vText(event.location))
    if event.lat is not None and event.lon is not None:
        item.add("geo", (event.lat, event.lon))
    item.add("url", url)
    item.add("status", "CONFIRMED")
    return item


def calendar_bytes(events, url_of, host, locale="it", name=None):
    """An iCalendar document with `events`; url_of(event) gives each event's public page."""
    calendar = _calendar(name)
    for event in events:
        calendar.add_component(_vevent(event, url_of(event), host, locale))
    if events:
        # Only the daylight-saving rules of the years the events touch, not 1970-2038.
        first = min(e.starts_at for e in events).date().replace(month=1, day=1)
        last = max(e.ends_at for e in events).date().replace(month=12, day=31)
        calendar.add_missing_timezones(first_date=first, last_date=last + timedelta(days=1))
    return calendar.to_ical()
