"""Crate labels: what each printed label says, the URL its QR code carries, who is looking.

The QR code encodes PUBLIC_BASE_URL/c/<token> (DESIGN.md), so any phone camera
opens the crate page; the short code printed beside it is for typing by hand.
"""
from dataclasses import dataclass

from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l

from app.domain import STORAGE_LABELS, category_label
from app.services.people.qr import qr_svg
from app.services.people.tokens import display_token
from app.urls import public_url

FORMATS = ("a4", "rotolo")  # A4 sheets of 8 labels; 62 mm continuous roll, one label per cut

# Short names for the 14 allergens, so they fit on a 62 mm label.
ALLERGEN_SHORT = {
    "glutine": _l("glutine"), "crostacei": _l("crostacei"), "uova": _l("uova"), "pesce": _l("pesce"),
    "arachidi": _l("arachidi"), "soia": _l("soia"), "latte": _l("latte"),
    "frutta_guscio": _l("frutta a guscio"), "sedano": _l("sedano"), "senape": _l("senape"),
    "sesamo": _l("sesamo"), "solfiti": _l("solfiti"), "lupini": _l("lupini"), "molluschi": _l("molluschi"),
}
# On the label the date needs to read like the package does.
DATE_ON_LABEL = {
    "use_by": _l("Da consumare entro"),
    "best_before": _l("Da consumarsi pref. entro"),
    "produced": _l("Prodotto il"),
}


def crate_url(token):
    """PUBLIC_BASE_URL/c/<token>, also outside a request (operations applied by the worker or tests)."""
    if has_request_context():
        return public_url("crates.show", token=token)
    path = current_app.url_map.bind("localhost").build("crates.show", {"token": token})
    return current_app.config["PUBLIC_BASE_URL"] + path


@dataclass
class Label:
    """One printed label."""

    store: str
    n: int
    total: int
    token: str
    code: str  # the token grouped for typing: ABCD-EFGH-JKMN
    url: str
    qr: str  # inline SVG
    category: str
    storage: str
    storage_key: str
    date_label: str
    food_date: object
    allergens: list
    description: str


def labels(donation, only_n=None):
    """The labels of `donation`'s crates (just crate `only_n` for a reprint)."""
    crates = [c for c in donation.crates if only_n is None or c.n == only_n]
    date_label = DATE_ON_LABEL.get(donation.date_kind, "") if donation.food_date else ""
    allergens = [ALLERGEN_SHORT.get(a, a) for a in donation.allergens or []]
    out = []
    for crate in crates:
        url = crate_url(crate.token)
        out.append(Label(
            store=donation.store.name, n=crate.n, total=donation.crates_count, token=crate.token,
            code=display_token(crate.token), url=url, qr=qr_svg(url),
            category=category_label(donation.category), storage=STORAGE_LABELS[donation.storage],
            storage_key=donation.storage, date_label=date_label, food_date=donation.food_date,
            allergens=allergens, description=donation.description))
    return out


# --- who is looking at a crate's label (the page /c/<token>) -------------------------------
RELATIONS = ("store_staff", "claimer", "recipient_charity", "coordinator", "volunteer", "other")


def relation(user, donation):
    """How `user` stands to `donation`: one of RELATIONS, the first that applies in that order.

    - claimer: the volunteer holding the claim (scans crates at pickup);
    - store_staff: staff of the donating store;
    - recipient_charity: staff of the charity the donation goes to;
    - coordinator: any coordinator;
    - volunteer: an approved volunteer who is not the claimer (may claim or scan);
    - other: anyone else, anonymous visitors included.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return "other"
    if donation.claimed_by_id is not None and donation.claimed_by_id == user.id:
        return "claimer"
    store = user.org_for("store")
    if store is not None and store.id == donation.store_id:
        return "store_staff"
    charity = user.org_for("charity")
    if charity is not None and donation.recipient_id is not None and charity.id == donation.recipient_id:
        return "recipient_charity"
    if user.has_role("coordinator"):
        return "coordinator"
    if user.is_approved_volunteer:
        return "volunteer"
    return "other"
