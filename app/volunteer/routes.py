"""Views under /volontario: open pickups, my pickups, claim, unclaim, scan, pickup, deliver."""
from flask import abort, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.domain import max_pickup_temperature
from app.extensions import db
from app.models import Crate, Donation
from app.models.base import utcnow
from app.services.impact import documents
from app.services.logistics import coldchain, photos, pickups
from app.services.ops import rules
from app.services.rota import queries as rota_queries
from app.services.food.timeline import timeline
from app.services.people.tokens import normalise_token
from app.volunteer.blueprint import bp
from app.volunteer.actions import apply_form, respond


def _donation(donation_id):
    """A donation this volunteer may look at: open ones, and the ones they claimed or carried."""
    donation = db.get_or_404(Donation, donation_id)
    mine = donation.claimed_by_id == current_user.id
    if not (mine or donation.status == "posted" or current_user.has_role("coordinator")):
        abort(403, _("Questo ritiro è in carico a un altro volontario."))
    return donation


def _context(donation, **extra):
    """What the pickup templates need about one donation for the current user."""
    now = utcnow()
    blocker = None
    if donation.status == "posted":
        blocker = rules.claim_blocker(current_user, donation, now) or rules.use_by_blocker(donation, now)
    return {"donation": donation, "blocker": blocker,
            "staged": pickups.staged_crates(donation, current_user.id),
            "past_best_before": bool(rules.best_before_blocker(donation, now, False)),
            "scanning": _scanning(donation), "cold": rules.needs_cold(donation),
            "max_temperature": max_pickup_temperature(donation.category, donation.storage),
            # The DDT travels with the goods from the pickup on (issue 14), and the cold-chain clock.
            "ddt": documents.for_donation(donation.id) if donation.status in documents.ISSUED_STATUSES else None,
            "clock": coldchain.clock(donation, now), **extra}


def _scanning(donation):
    """True while the current volunteer is collecting crates of this donation at the store."""
    me = current_user.id
    if donation.status == "posted":
        # A claim made without signal is still on the phone: scanning is offered (a scan is
        # a fact, and the outbox sends the claim first).
        return current_user.is_approved_volunteer
    if donation.status == "claimed":
        return donation.claimed_by_id == me
    # Custody moved by a scan (a conflict): finish the pickup of the crates still at the store.
    return donation.status == "picked_up" and donation.holder_id == me and any(
        c.status == "at_store" for c in donation.crates)


@bp.route("/")
def home():
    """The volunteer's start page: why they cannot claim (if so), then open pickups nearest first."""
    held = pickups.held_pickups(current_user)
    g.held_pickups = held  # the page's offline prefetch list reuses it (app/pwa/prefetch.py): one query less
    active, claimed = len(held), sum(1 for donation in held if donation.status == "claimed")
    listing = pickups.open_pickups(current_user, page=request.args.get("pagina", 1, type=int),
                                   claimed=claimed) if current_user.is_approved_volunteer else None
    next_slots = rota_queries.my_next_slots(current_user) if current_user.volunteer else []  # one statement
    return render_template("volunteer/home.html", profile=current_user.volunteer, listing=listing,
                           offers=listing.offers if listing else [], active_count=active,
                           blocker=rules.volunteer_blocker(current_user), next_slots=next_slots)


@bp.route("/miei")
def mine():
    """My pickups: what I still have to do (with maps links), then what I did lately."""
    active, done = pickups.my_pickups(current_user)
    return render_template("volunteer/mine.html", active=active, done=done)


@bp.route("/ritiri/<int:donation_id>")
def pickup(donation_id):
    """One pickup: where, when, what, where to, the next action and the custody timeline."""
    donation = _donation(donation_id)
    shown = donation.claimed_by_id == current_user.id and donation.status != "posted"
    return render_template("volunteer/pickup.html", timeline=timeline(donation),
                           photos=photos.photos_of(donation, "pickup") if shown else None, **_context(donation))


@bp.route("/ritiri/<int:donation_id>/prenota", methods=["POST"])
def claim(donation_id):
    """Claim a pickup (donation.claim); htmx swaps the card."""
    result = apply_form("donation.claim", donation_id=donation_id)
    donation = db.get_or_404(Donation, donation_id)
    # A refused claim goes back to the list: the pickup may now be someone else's.
    back = url_for("volunteer.pickup", donation_id=donation_id) if result["status"] != "refused" \
        else url_for("volunteer.home")
    return respond(result, "volunteer/_actions.html", back, **_context(donation))


@bp.route("/ritiri/<int:donation_id>/lascia", methods=["POST"])
def unclaim(donation_id):
    """Give a pickup back, with a reason (donation.unclaim)."""
    reason = " ".join((request.form.get("reason_text") or request.form.get("reason") or "").split())
    result = apply_form("donation.unclaim", donation_id=donation_id, reason=reason)
    donation = db.get_or_404(Donation, donation_id)
    back = url_for("volunteer.mine") if result["status"] != "refused" \
        else url_for("volunteer.pickup", donation_id=donation_id)
    return respond(result, "volunteer/_actions.html", back, **_context(donation))


@bp.route("/ritiri/<int:donation_id>/scansione")
def scan_page(donation_id):
    """At the store: scan each crate (camera or typed code), then confirm the pickup."""
    donation = _donation(donation_id)
    return render_template("volunteer/scan.html", **_context(donation))


@bp.route("/ritiri/<int:donation_id>/scansione", methods=["POST"])
def scan(donation_id):
    """Record one crate scanned at pickup (crate.scan, stage pickup)."""
    donation = db.get_or_404(Donation, donation_id)
    typed = request.form.get("token", "")
    token = normalise_token(typed)
    other = token and db.session.scalar(select(Crate.donation_id).where(Crate.token == token))
    if other and other != donation.id:
        # Scanning a crate of another donation from this page is almost always a mix-up:
        # say so instead of moving that donation's custody.
        result = {"status": "refused", "code": "other_donation", "kind": "crate.scan", "message": _(
            "Questa cassetta è di un'altra donazione (n. %(id)d): controlla di avere le cassette giuste.",
            id=other), "token": token}
    else:
        result = apply_form("crate.scan", token=typed, stage="pickup",
                            temperature_c=request.form.get("temperature_c"))
        db.session.refresh(donation)
    return respond(result, "volunteer/_scan_panel.html",
                   url_for("volunteer.scan_page", donation_id=donation_id), **_context(donation))


@bp.route("/ritiri/<int:donation_id>/ritirato", methods=["POST"])
def confirm_pickup(donation_id):
    """Confirm the handover: scanned crates leave, the others stay at the store (donation.pickup)."""
    result = apply_form("donation.pickup", donation_id=donation_id,
                        temperature_c=request.form.get("temperature_c"),
                        best_before_confirmed=request.form.get("best_before_confirmed"))
    donation = db.get_or_404(Donation, donation_id)
    db.session.refresh(donation)
    back = url_for("volunteer.pickup", donation_id=donation_id) if result["status"] != "refused" \
        else url_for("volunteer.scan_page", donation_id=donation_id)
    return respond(result, "volunteer/_scan_panel.html", back, **_context(donation))


@bp.route("/ritiri/<int:donation_id>/consegnato", methods=["POST"])
def deliver(donation_id):
    """The crates are at the charity (donation.deliver)."""
    result = apply_form("donation.deliver", donation_id=donation_id)
    donation = db.get_or_404(Donation, donation_id)
    return respond(result, "volunteer/_actions.html",
                   url_for("volunteer.pickup", donation_id=donation_id), **_context(donation))

