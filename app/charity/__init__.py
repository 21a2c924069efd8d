"""The charity area under /ente."""
from app.charity.blueprint import bp  # noqa: F401
from app.charity import routes, rota_routes  # noqa: F401  (importing them adds their views)
