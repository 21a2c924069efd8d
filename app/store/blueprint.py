"""The store blueprint: its URL prefix, the checks before every view, its template helpers.

Its views live in the other modules of this package, which `__init__` imports.
"""
from flask import Blueprint

from app.domain import ALLERGENS, DATE_KIND_LABELS, DONATION_STATUS_LABELS, STORAGE_LABELS, category_label
from app.permissions import role_required
from app.services.people.tokens import display_token

bp = Blueprint("store", __name__, url_prefix="/negozio")


@bp.before_request
@role_required("store", "coordinator")
def _only_store():
    """Every view here needs the store role (coordinators may look too)."""


# Donation vocabulary for templates, app-wide: volunteer, charity and coordinator pages
# show donations too (templates/donations/).
bp.add_app_template_filter(category_label, "category_label")
bp.add_app_template_filter(lambda key: STORAGE_LABELS.get(key, key), "storage_label")
bp.add_app_template_filter(lambda key: DONATION_STATUS_LABELS.get(key, key), "status_label")
bp.add_app_template_filter(lambda key: DATE_KIND_LABELS.get(key, key), "date_kind_label")
bp.add_app_template_filter(lambda key: ALLERGENS.get(key, key), "allergen_label")
bp.add_app_template_filter(display_token, "crate_code")
