"""The store area under /negozio."""
from app.store.blueprint import bp  # noqa: F401
from app.store import routes, labels_routes, tokens_routes, rota_routes  # noqa: F401  (importing them adds their views)
