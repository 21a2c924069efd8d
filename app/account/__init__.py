"""A user's own profile, password, language, data export and deletion."""
from app.account.blueprint import bp  # noqa: F401
from app.account import routes  # noqa: F401  (importing them adds their views)
