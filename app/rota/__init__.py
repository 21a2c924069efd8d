"""The rota's public side: the volunteer's private calendar feed (/calendario/<token>.ics) and shared labels."""
from app.rota.blueprint import bp  # noqa: F401
from app.rota import feed_routes  # noqa: F401  (importing them adds their views)
