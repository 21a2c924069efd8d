"""Pages to keep on the phone for offline use, listed in the pickups pages' <head>.

When a volunteer opens their pickups list online, the worker caches the pickup page,
the scan page and every crate page (/c/<token>) of the pickups they hold, so in an
underground bay a scanned label still opens its crate page. A charity's home lists
the crate pages of deliveries on their way to it (receipt can be scanned offline).
"""
from flask import g, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Donation

# The list pages that carry the prefetch list (not every page: it costs a query).
LIST_ENDPOINTS = {"volunteer.home", "volunteer.mine", "charity.home", "volunteer.run"}
# Pages of one pickup that carry its transport document (the DDT must open offline).
PICKUP_ENDPOINTS = {"volunteer.pickup", "volunteer.scan_page"}


def prefetch_urls():
    """URLs for <meta name="raccolto-prefetch"> on the current page (empty on most pages)."""
    if request.endpoint in PICKUP_ENDPOINTS and current_user.is_authenticated:
        return _ddt_urls(current_user, [request.view_args.get("donation_id")])
    if request.endpoint not in LIST_ENDPOINTS or not current_user.is_authenticated:
        return []
    urls = []
    if request.endpoint.startswith("volunteer.") and current_user.has_role("volunteer"):
        # Crates joined in the same statement: one round trip for the whole list.
        held = g.get("held_pickups")  # the view may have loaded them already (the home page does)
        if held is None:
            held = db.session.scalars(select(Donation).options(joinedload(Donation.crates)).where(
                Donation.claimed_by_id == current_user.id, Donation.status.in_(("claimed", "picked_up")))).unique().all()
        held = [donation for donation in held if donation.status in ("claimed", "picked_up")]
        for donation in held:
            urls.append(url_for("volunteer.pickup", donation_id=donation.id))
            urls.append(url_for("volunteer.scan_page", donation_id=donation.id))
            urls += [url_for("crates.show", token=crate.token) for crate in donation.crates]
        if request.endpoint != "volunteer.home":  # the home page's queries are counted (issue 17)
            urls += _ddt_urls(current_user, [d.id for d in held if d.status == "picked_up"])
        if request.endpoint != "volunteer.run":
            urls.append(url_for("volunteer.run"))
    elif request.endpoint.startswith("charity."):
        org = current_user.org_for("charity")
        if org is not None:
            coming = db.session.scalars(select(Donation).where(
                Donation.recipient_id == org.id, Donation.status.in_(("picked_up", "delivered")))
                .options(joinedload(Donation.crates))).unique().all()
            for donation in coming:
                urls += [url_for("crates.show", token=crate.token) for crate in donation.crates]
    return urls


def _ddt_urls(user, donation_ids):
    """The DDT pages of these donations that `user` carries (goods on board travel with them)."""
    from app.models import TransportDocument

    ids = [i for i in donation_ids if i]
    if not ids:
        return []
    found = db.session.scalars(select(TransportDocument.id).where(
        TransportDocument.donation_id.in_(ids), TransportDocument.carrier_id == user.id)).all()
    return [url_for("documents.ddt", document_id=document_id) for document_id in found]
