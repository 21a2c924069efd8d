"""Public pages for citizens (no login): home, campaigns, events, RSVP, feeds."""
from app.public.blueprint import bp  # noqa: F401
from app.public import feeds, routes  # noqa: F401  (importing them adds their views)
