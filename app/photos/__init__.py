"""Handover photos: upload (offline-capable) and the access-checked file."""
from app.photos.blueprint import bp  # noqa: F401
from app.photos import routes  # noqa: F401  (importing them adds their views)
