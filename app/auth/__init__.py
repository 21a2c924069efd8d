"""Login, logout, volunteer signup, invitations."""
from app.auth.blueprint import bp  # noqa: F401
from app.auth import routes  # noqa: F401  (importing them adds their views)
from app.auth import reset_routes  # noqa: F401,E402  (password reset views)
