"""The partners area: agreements (coordinators; each organisation sees its own), charities' capacity and needs."""
from app.partners.blueprint import bp  # noqa: F401
from app.partners import agreements, capacity, files  # noqa: F401  (importing them adds their views)
