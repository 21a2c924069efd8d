"""Mail pages: email settings and verification, the local mailbox (development), bouncing addresses."""
from app.mail.blueprint import bp  # noqa: F401
from app.mail import routes  # noqa: F401  (importing them adds their views)
