"""The notifications blueprint: its URL prefix, the checks before every view, its template helpers.

Its views live in the other modules of this package, which `__init__` imports.
"""
from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from app import navigation

bp = Blueprint("notifications", __name__, url_prefix="/notifiche")


@bp.before_request
@login_required
def _signed_in():
    """Every view here is about the signed-in user's own notifications."""


@bp.app_context_processor
def _vapid_key():
    """`vapid_public_key()` for the pages that subscribe (a callable: no key work on other pages)."""
    from app.services.notify.vapid import public_key

    return {"vapid_public_key": public_key}


def _unread():
    """The number on the bell in the navigation."""
    from flask_login import current_user

    from app.services.notify.inbox import unread_count

    return unread_count(current_user)


# The bell, last in every role's tabs, with the unread count on it.
for _entries in navigation.NAV.values():
    if not any(entry[0] == "notifications.index" for entry in _entries):
        _entries.append(("notifications.index", _l("Notifiche"), "bell"))
navigation.BADGES["notifications.index"] = _unread
