"""The signed-in user's notifications: the inbox, push on this device, preferences."""
from app.notifications.blueprint import bp  # noqa: F401
from app.notifications import routes  # noqa: F401  (importing them adds their views)
