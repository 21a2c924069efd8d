"""Role and organisation checks used by every view (and again in services)."""
from functools import wraps

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user, login_required


def role_required(*roles):
    """Login required, then 403 unless the user holds one of `roles`."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not any(current_user.has_role(r) for r in roles):
                abort(403, _("Questa sezione è riservata a: %(roles)s.",
                             roles=", ".join(_role_names(roles))))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _role_names(roles):
    from app.domain import ROLE_LABELS

    return [str(ROLE_LABELS[r]) for r in roles]


def require_org(role, organisation_id):
    """403 unless the current user acts for `organisation_id` in `role` (coordinators pass)."""
    if current_user.has_role("coordinator"):
        return
    org = current_user.org_for(role)
    if org is None or org.id != organisation_id:
        abort(403, _("Puoi agire solo per la tua organizzazione."))


def home_endpoint(user):
    """Where a user lands after login: the first of their roles by importance."""
    for role, endpoint in (("coordinator", "coordination.home"), ("store", "store.home"),
                           ("charity", "charity.home"), ("volunteer", "volunteer.home")):
        if user.has_role(role):
            return endpoint
    if getattr(user, "volunteer", None) is not None:
        return "volunteer.home"  # a sign-up not approved yet: their status page
    return "account.profile"
