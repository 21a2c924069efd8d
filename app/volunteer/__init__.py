"""The volunteer area under /volontario."""
from app.volunteer.blueprint import bp  # noqa: F401
from app.volunteer import routes, run_routes  # noqa: F401  (importing them adds their views)
from app.volunteer import rota_routes  # noqa: F401,E402  (the rota: /volontario/turni)
