"""Public open data of the network's impact (CC BY 4.0): aggregated, with no personal data."""
from app.opendata.blueprint import bp  # noqa: F401
from app.opendata import routes  # noqa: F401  (importing them adds their views)
from app.opendata import equity  # noqa: F401,E402  (/open-data/equita.json, issue 15)
