"""Which store and donation the signed-in clerk may act on (every store view starts here)."""
from flask import abort
from flask_login import current_user

from app.extensions import db
from app.models import Donation


def my_store():
    """The store the current user works for (None for a coordinator without one)."""
    return current_user.org_for("store")


def own_donation(donation_id):
    """The donation if the current user may see it: its store's staff, or a coordinator; else 404."""
    donation = db.session.get(Donation, donation_id)
    if donation is None:
        abort(404)
    if current_user.has_role("coordinator"):
        return donation
    store = my_store()
    if store is None or store.id != donation.store_id:
        abort(404)  # another store's donation: not even its existence is shown
    return donation
