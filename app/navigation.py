"""Role-aware navigation: each area registers its entries here."""
from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# role -> [(endpoint, label, icon name)]; areas append their own entries.
NAV = {
    "coordinator": [("coordination.home", _l("Coordinamento"), "grid"),
                    ("coordination.board", _l("Ritiri"), "truck"),
                    ("coordination.rota", _l("Turni"), "grid"),
                    ("coordination.volunteers", _l("Volontari"), "users"),
                    ("coordination.organisations", _l("Organizzazioni"), "store"),
                    ("campaigns.index", _l("Campagne"), "megaphone"),
                    ("impact.dashboard", _l("Impatto"), "chart")],
    "store": [("store.home", _l("Oggi"), "store"),
              ("store.new_donation", _l("Nuova"), "box"),
              ("store.history", _l("Storico"), "grid"),
              ("impact.store", _l("Impatto"), "chart")],
    "charity": [("charity.home", _l("Ente"), "home"),
                ("partners.capacity", _l("Capacità"), "box"),
                ("impact.charity", _l("Impatto"), "chart")],
    "volunteer": [("volunteer.home", _l("Ritiri"), "truck"),
                  ("volunteer.rota", _l("Turni"), "grid"),
                  ("pwa.outbox", _l("Da inviare"), "outbox"),
                  ("impact.volunteer", _l("Impatto"), "chart")],
}
ROLE_ORDER = ("coordinator", "store", "charity", "volunteer")
# endpoint -> callable returning the number shown on its tab (e.g. unread notifications).
BADGES = {}


def nav_items():
    """The entries for the current user, without duplicates, in role order."""
    if not current_user.is_authenticated:
        return []
    seen, items = set(), []
    for role in ROLE_ORDER:
        if current_user.has_role(role):
            for endpoint, label, icon in NAV[role]:
                if endpoint not in seen:
                    seen.add(endpoint)
                    items.append({"endpoint": endpoint, "label": label, "icon": icon,
                                  "active": request.endpoint == endpoint,
                                  "badge": BADGES[endpoint]() if endpoint in BADGES else 0})
    if current_user.volunteer is not None and not current_user.has_role("volunteer") \
            and "volunteer.home" not in seen:
        # A sign-up not approved yet: one tab, to the status page.
        items.append({"endpoint": "volunteer.home", "label": _l("Iscrizione"), "icon": "truck",
                      "active": request.endpoint == "volunteer.home", "badge": 0})
    return items


def init_app(app):
    from app.assets import asset

    @app.context_processor
    def _nav():
        return {"nav_items": nav_items, "asset": asset}
