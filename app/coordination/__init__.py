"""The coordinator's area: volunteers, organisations, invitations."""
from app.coordination.blueprint import bp  # noqa: F401
from app.coordination import routes, board, rota_routes, backfill_routes  # noqa: F401  (importing them adds their views)
