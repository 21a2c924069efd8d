"""Handlers: crate.scan (at pickup and at receipt) and crate.problem.

A scan is a fact: the crate was in that person's hands at that moment. At
pickup it is staged for the claimer until donation.pickup confirms the
handover; when it contradicts the state (someone else's claim, a cancelled,
unclaimed or expired donation) custody moves to whoever scanned, and the
conflict is flagged for the coordinator and the people involved.
"""
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Crate, User
from app.services.ops import rules
from app.services.ops.core import Refused, handler, wrong_state_message
from app.services.ops.schemas import Number, OpFields, Text
from app.services.ops.pickups import MAX_NOTE, PROBLEM_KINDS, TAKEN, problem_label, refuse_if_too_warm
from app.services.people.tokens import normalise_token

STAGES = ("pickup", "receipt")
ARRIVED = ("picked_up", "delivered", "received")


def _crate(ctx):
    """The scanned crate and its donation (row-locked), or refuse unknown_crate."""
    token = normalise_token(str(ctx.payload.get("token") or ""))
    donation_id = token and db.session.scalar(select(Crate.donation_id).where(Crate.token == token))
    if not donation_id:
        raise Refused("unknown_crate", _("Codice cassetta non riconosciuto: controlla le lettere o "
                                         "inquadra di nuovo il QR."))
    donation = ctx.donation(donation_id)
    # Read the crate after the donation's lock, so its status is current.
    crate = db.session.scalars(select(Crate).where(Crate.token == token)).one()
    db.session.refresh(crate)
    return crate, donation


class ScanFields(OpFields):
    token: Text = None
    stage: Text = None
    temperature_c: Number = None


class ProblemFields(OpFields):
    token: Text = None
    problem: Text = None
    note: Text = None


@handler("crate.scan", fact=True, schema=ScanFields)
def scan(ctx):
    """Record a crate scanned at the store (stage pickup) or at the charity (stage receipt)."""
    stage = ctx.payload.get("stage")
    if stage not in STAGES:
        raise Refused("invalid", _("Fase della scansione non valida: «pickup» o «receipt»."))
    if stage == "pickup" and _unapproved(ctx.user):
        _refuse_unapproved(ctx)
    if stage == "pickup":
        ctx.require_role("volunteer")
    else:
        ctx.require_role("charity", "coordinator")
    crate, donation = _crate(ctx)
    result = {"donation_id": donation.id, "n": crate.n, "crates": donation.crates_count}
    if stage == "pickup":
        result.update(_pickup_scan(ctx, donation, crate))
    else:
        result.update(_receipt_scan(ctx, donation, crate))
    return result


def _pickup_scan(ctx, donation, crate):
    user = ctx.user
    blocker = rules.use_by_blocker(donation, ctx.occurred_at)
    if blocker:
        raise blocker
    refuse_if_too_warm(ctx, donation, rules.temperature(ctx.payload.get("temperature_c")))
    already = crate.picked_up_by_id == user.id
    if donation.status == "claimed" and donation.claimed_by_id == user.id:
        crate.picked_up_by_id, crate.picked_up_at = user.id, ctx.occurred_at
        return {"staged": True, "already": already}
    if donation.status in ARRIVED and donation.claimed_by_id == user.id:
        # A late scan from this volunteer's own pickup: the crate did leave the store.
        if crate.status in ("at_store", "left_at_store"):
            crate.status, crate.picked_up_by_id, crate.picked_up_at = "picked_up", user.id, ctx.occurred_at
            return {"already": False}
        return {"already": True}
    if donation.status in ARRIVED:
        # The donation is already in someone else's custody: record and flag, change nothing.
        _conflict(ctx, donation, crate, _(
            "Cassetta %(n)d scansionata da %(who)s mentre la donazione è già in carico a %(holder)s.",
            n=crate.n, who=user.name, holder=_name(donation.holder_id or donation.claimed_by_id)))
        return {"conflict": True, "custody_moved": False}
    # posted, claimed by someone else, cancelled, expired: the scan is the truth.
    before, previous = donation.status, donation.claimed_by_id
    ctx.transition(donation, "pickup_fact", claimed_by_id=user.id,
                   claimed_at=donation.claimed_at or ctx.occurred_at, holder_id=user.id,
                   picked_up_at=ctx.occurred_at)
    crate.status, crate.picked_up_by_id, crate.picked_up_at = "picked_up", user.id, ctx.occurred_at
    reasons = {"posted": _("non era prenotata"), "cancelled": _("era stata annullata"),
               "expired": _("era scaduta"),
               "claimed": _("era prenotata da %(name)s", name=_name(previous))}
    _conflict(ctx, donation, crate, _(
        "Cassette ritirate da %(who)s, ma la donazione %(why)s: ora sono in carico a %(who)s.",
        who=user.name, why=reasons[before]), previous_status=before, previous_volunteer_id=previous)
    return {"conflict": True, "custody_moved": True}


def _unapproved(user):
    """True for someone who signed up as a volunteer but is not approved (pending, suspended...)."""
    return user is not None and getattr(user, "volunteer", None) is not None and not user.is_approved_volunteer


def _refuse_unapproved(ctx):
    """A pickup scan from an unapproved person: refused, custody unchanged, the coordinator told.

    The scan still says something true (this person had the crate in hand), so the
    flag outlives the refusal; but custody only ever passes to an approved volunteer.
    """
    crate, donation = _crate(ctx)
    status = ctx.user.volunteer.status
    message = _("Cassetta %(n)d scansionata al ritiro da %(who)s, che non è un volontario approvato "
                "(%(status)s): la custodia non è passata. Verifica con il punto vendita.",
                n=crate.n, who=ctx.user.name, status=_status_label(status))
    ctx.flag(donation, "unapproved_scan", message, even_if_refused=True)
    refusal = rules.volunteer_blocker(ctx.user)
    raise Refused(refusal.code, refusal.message, donation_id=donation.id, n=crate.n)


def _status_label(status):
    return {"pending": _("in attesa di approvazione"), "suspended": _("sospeso"),
            "rejected": _("non approvato")}.get(status, status)


def _conflict(ctx, donation, crate, message, **extra):
    ctx.flag(donation, "custody_conflict", message)
    ctx.emit("donation.conflict", donation_id=donation.id, store_id=donation.store_id,
             recipient_id=donation.recipient_id, volunteer_id=donation.claimed_by_id,
             scanned_by_id=ctx.user.id, crate_n=crate.n, message=message, **extra)


def _receipt_scan(ctx, donation, crate):
    ctx.require_org("charity", donation.recipient_id)
    if donation.status not in ARRIVED:
        raise Refused("wrong_state", _("Questa donazione non è ancora stata ritirata: non può essere "
                                       "arrivata. %(state)s", state=wrong_state_message(donation)))
    already = crate.status == "received"
    if crate.status in ("at_store", "left_at_store", "picked_up", "missing"):
        # Scanned here, so it arrived (even if it had been recorded as missing or left behind).
        crate.status, crate.received_at = "received", ctx.occurred_at
        if crate.problem_kind == "missing":
            crate.problem_kind = ""
    return {"already": already, "received": crate.status in ("received", "problem")}


@handler("crate.problem", fact=True, schema=ProblemFields)
def problem(ctx):
    """The charity reports a problem with one crate (spoiled, damaged, missing, too warm)."""
    ctx.require_role("charity", "coordinator")
    crate, donation = _crate(ctx)
    ctx.require_org("charity", donation.recipient_id)
    if donation.status not in ARRIVED:
        raise Refused("wrong_state", wrong_state_message(donation))
    kind = str(ctx.payload.get("problem") or "")
    if kind not in PROBLEM_KINDS:
        raise Refused("invalid", _("Scegli il tipo di problema: avariata, danneggiata, mancante o troppo calda."))
    if crate.status not in TAKEN:
        raise Refused("invalid", _("La cassetta %(n)d è rimasta al punto vendita: non può avere "
                                   "problemi di consegna.", n=crate.n))
    note = str(ctx.payload.get("note") or "").strip()[:MAX_NOTE]
    crate.status = "missing" if kind == "missing" else "problem"
    crate.problem_kind, crate.problem_note = kind, note
    message = _("Cassetta %(n)d %(kind)s.", n=crate.n, kind=problem_label(kind)) + (f" {note}" if note else "")
    ctx.flag(donation, "receipt_problem", message)
    ctx.emit("donation.problem", donation_id=donation.id, store_id=donation.store_id,
             recipient_id=donation.recipient_id, volunteer_id=donation.claimed_by_id,
             crate_n=crate.n, kind=kind, note=note)
    return {"donation_id": donation.id, "n": crate.n}


def _name(user_id):
    user = db.session.get(User, user_id) if user_id else None
    return user.name if user else _("nessuno")
