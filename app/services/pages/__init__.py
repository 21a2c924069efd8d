"""Public pages: campaigns and events, Markdown, cover images, iCalendar, RSVP, contact requests.

Owns what citizens read and book. It reads the public impact counters from
impact/; nothing below it imports it.
"""
# The areas this one may import (tests/test_layout.py checks it).
MAY_IMPORT = ("people", "media", "partners", "impact")
