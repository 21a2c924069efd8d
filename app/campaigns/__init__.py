"""Coordinators write campaigns and events and read the public contact requests."""
from app.campaigns.blueprint import bp  # noqa: F401
from app.campaigns import routes  # noqa: F401  (importing them adds their views)
