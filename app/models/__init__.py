"""Models, one module per aggregate. Importing this package registers them all."""
from app.models.org import Organisation  # noqa: F401
from app.models.user import Membership, User, VolunteerProfile, VolunteerRegisterEntry  # noqa: F401
from app.models.auth import Invitation, LoginAttempt  # noqa: F401
