"""Handlers: donation.claim, .unclaim, .pickup, .deliver, .receive, .expire (issue 4).

Claims are intentions: the first to reach the server wins by a conditional
update. Pickup, delivery and receipt record what physically happened, so they
are facts (kept even from a phone with a wrong clock). Crate scans live in
scans.py.
"""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.domain import category_label
from app.extensions import db
from app.models import Donation, VolunteerProfile
from app.models.base import utcnow
from app.services.ops import rules
from app.services.ops.core import HANDLERS, Refused, apply_system, handler, wrong_state_message
from app.services.ops.schemas import Flag, Id, Number, OpFields, Text, Time
from app.worker import job

TAKEN = ("picked_up", "received", "problem", "missing")
PROBLEM_KINDS = ("spoiled", "damaged", "missing", "too_warm")
MAX_NOTE = 500


def _is_coordinator(ctx):
    return ctx.user is not None and ctx.user.has_role("coordinator")


def _parties(donation, **extra):
    """The people and organisations an event concerns (for notifications)."""
    return {"donation_id": donation.id, "store_id": donation.store_id,
            "recipient_id": donation.recipient_id, "volunteer_id": donation.claimed_by_id, **extra}


class DonationRef(OpFields):
    donation_id: Id = None


class UnclaimFields(DonationRef):
    reason: Text = None


class PickupFields(DonationRef):
    temperature_c: Number = None
    best_before_confirmed: Flag = None


class ProblemItem(OpFields):
    token: Text = None
    kind: Text = None
    note: Text = None


class ReceiveFields(DonationRef):
    received_kg: Number = None
    problems: list[ProblemItem] | None = None


class RepostFields(DonationRef):
    window_start: Time = None
    window_end: Time = None


# --- claim and unclaim (intentions) ---------------------------------------------------

@handler("donation.claim", schema=DonationRef)
def claim(ctx):
    """A volunteer books a pickup; the first claim to arrive wins."""
    rules.require_volunteer(ctx)
    # Serialise one volunteer's claims (row lock on PostgreSQL) so two at once
    # cannot both slip under the open-claims limit.
    db.session.scalars(select(VolunteerProfile).where(VolunteerProfile.user_id == ctx.user.id)
                       .with_for_update()).first()
    blocker = rules.volunteer_blocker(ctx.user)
    if blocker:
        raise blocker
    donation = ctx.donation()
    if donation.status == "claimed" and donation.claimed_by_id == ctx.user.id:
        raise Refused("already_claimed", _("Hai già prenotato questo ritiro: lo trovi in «I miei ritiri»."))
    if donation.status != "posted":
        raise _not_claimable(donation)
    if donation.window_end <= ctx.occurred_at:
        raise Refused("window_over", _("La finestra di ritiro è già chiusa: scegli un altro ritiro."))
    blocker = rules.claim_blocker(ctx.user, donation, ctx.occurred_at) or rules.use_by_blocker(
        donation, ctx.occurred_at)
    if blocker:
        raise blocker
    ctx.transition(donation, "claim", refuse_code="already_claimed",
                   refuse_message=_already_claimed_message(),
                   claimed_by_id=ctx.user.id, claimed_at=ctx.occurred_at)
    ctx.emit("donation.claimed", **_parties(donation))
    return {"donation_id": donation.id}


def _already_claimed_message():
    return _("Un altro volontario ha già prenotato questo ritiro: scegline un altro dalla lista.")


def _not_claimable(donation):
    if donation.status in ("claimed", "picked_up", "delivered", "received"):
        return Refused("already_claimed", _already_claimed_message())
    return Refused("wrong_state", wrong_state_message(donation))


@handler("donation.unclaim", schema=UnclaimFields)
def unclaim(ctx):
    """The claimer (or a coordinator) gives a pickup back, with a reason."""
    ctx.require_role("volunteer", "coordinator")
    donation = ctx.donation()
    reason = str(ctx.payload.get("reason") or "").strip()[:300]
    if donation.status != "claimed":
        raise Refused("wrong_state", wrong_state_message(donation))
    if donation.claimed_by_id != ctx.user.id and not _is_coordinator(ctx):
        raise Refused("not_claimer", _("Solo chi ha prenotato il ritiro può lasciarlo."))
    if not reason:
        raise Refused("invalid", _("Scrivi perché lasci il ritiro: aiuta il coordinamento a trovare "
                                   "un sostituto."))
    previous = donation.claimed_by_id
    ctx.transition(donation, "unclaim", claimed_by_id=None, claimed_at=None)
    for crate in donation.crates:
        if crate.status == "at_store" and crate.picked_up_by_id == previous:
            crate.picked_up_by_id, crate.picked_up_at = None, None  # scans of a pickup that will not happen
    ctx.emit("donation.unclaimed", **_parties(donation, volunteer_id=previous, reason=reason,
                                              by_id=ctx.user.id))
    hours = current_app.config.get("LATE_UNCLAIM_HOURS", 2)
    if ctx.occurred_at > donation.window_start - timedelta(hours=hours):
        ctx.flag(donation, "late_unclaim", _(
            "Ritiro lasciato a meno di %(h)d ore dall'inizio della finestra. Motivo: %(reason)s",
            h=hours, reason=reason))
        ctx.emit("donation.late_unclaim", **_parties(donation, volunteer_id=previous, reason=reason))
    return {"donation_id": donation.id}


# --- pickup, delivery, receipt (facts) ---------------------------------------------------

@handler("donation.pickup", fact=True, schema=PickupFields)
def pickup(ctx):
    """The volunteer confirms the handover: scanned crates leave, the others stay at the store."""
    rules.require_volunteer(ctx)
    donation = ctx.donation()
    user = ctx.user
    if donation.status == "claimed":
        if donation.claimed_by_id != user.id:
            raise Refused("not_claimer", _("Questo ritiro è prenotato da un altro volontario."))
    elif donation.status == "picked_up":
        if donation.holder_id != user.id:
            raise Refused("not_claimer", _("Queste cassette sono già in carico a un altro volontario."))
    else:
        raise Refused("wrong_state", wrong_state_message(donation))
    blocker = rules.use_by_blocker(donation, ctx.occurred_at) or rules.best_before_blocker(
        donation, ctx.occurred_at, _truthy(ctx.payload.get("best_before_confirmed")))
    if blocker:
        raise blocker
    reading = rules.temperature(ctx.payload.get("temperature_c"))
    if rules.needs_cold(donation) and reading is None and donation.pickup_temperature_c is None:
        raise Refused("temperature_required", _(
            "Misura la temperatura dei prodotti e scrivila: per il cibo refrigerato o surgelato è obbligatoria."))
    refuse_if_too_warm(ctx, donation, reading)
    taken = [c for c in donation.crates
             if c.status in TAKEN or (c.status == "at_store" and c.picked_up_by_id == user.id)]
    if not taken:
        raise Refused("no_crates_scanned", _(
            "Nessuna cassetta scansionata: inquadra il QR di ogni cassetta che prendi o scrivine il codice."))
    for crate in donation.crates:
        if crate in taken:
            if crate.status == "at_store":
                crate.status = "picked_up"
        elif crate.status == "at_store":
            crate.status = "left_at_store"
    if donation.status == "claimed":
        ctx.transition(donation, "pickup", holder_id=user.id, picked_up_at=ctx.occurred_at,
                       pickup_temperature_c=reading)
    elif reading is not None:
        donation.pickup_temperature_c = reading
    left = sum(1 for c in donation.crates if c.status == "left_at_store")
    ctx.emit("donation.picked_up", **_parties(donation, crates_taken=len(taken), crates_left=left))
    return {"donation_id": donation.id, "crates_taken": len(taken), "crates_left": left}


def refuse_if_too_warm(ctx, donation, reading):
    """Refuse a too-warm lot; the crates stay at the store and the coordinator is told."""
    limit = rules.too_warm(donation, reading)
    if limit is None:
        return
    text = _("%(category)s a %(t)s °C (limite %(max)s °C): ritiro rifiutato, le cassette restano "
             "al punto vendita.", category=category_label(donation.category), t=_num(reading), max=_num(limit))
    ctx.flag(donation, "too_warm", text, even_if_refused=True)
    ctx.emit("donation.too_warm", even_if_refused=True,
             **_parties(donation, temperature_c=reading, limit_c=limit, by_id=ctx.user.id))
    raise Refused("too_warm", _(
        "Troppo caldo: %(t)s °C, il limite per questo cibo è %(max)s °C. Non ritirare le cassette: "
        "restano al punto vendita. Il coordinamento è stato avvisato.", t=_num(reading), max=_num(limit)),
        temperature_c=reading, limit_c=limit)


@handler("donation.deliver", fact=True, schema=DonationRef)
def deliver(ctx):
    """The volunteer leaves the crates at the charity; the charity then confirms receipt."""
    rules.require_volunteer(ctx)
    donation = ctx.donation()
    if donation.status in ("delivered", "received") and donation.claimed_by_id == ctx.user.id:
        # An offline delivery arriving after the receipt: nothing left to change.
        return {"donation_id": donation.id, "already": True}
    if donation.status != "picked_up":
        raise Refused("wrong_state", wrong_state_message(donation))
    if donation.holder_id != ctx.user.id:
        raise Refused("not_claimer", _("Può segnare la consegna solo chi ha in carico le cassette."))
    ctx.transition(donation, "deliver", delivered_at=ctx.occurred_at)
    ctx.emit("donation.delivered", **_parties(donation))
    return {"donation_id": donation.id}


@handler("donation.receive", fact=True, schema=ReceiveFields)
def receive(ctx):
    """The charity signs for what arrived: weighed kg and a problem per crate, if any."""
    ctx.require_role("charity", "coordinator")
    donation = ctx.donation()
    ctx.require_org("charity", donation.recipient_id)
    if donation.status not in ("picked_up", "delivered"):
        raise Refused("wrong_state", wrong_state_message(donation))
    kg = _kg(ctx.payload.get("received_kg"), donation)
    problems = _problems(ctx.payload.get("problems"), donation)
    reading = rules.temperature(ctx.payload.get("temperature_c"))
    _refuse_receipt_if_too_warm(ctx, donation, reading)
    for crate in donation.crates:
        if crate.status not in TAKEN:
            continue
        kind, note = problems.get(crate.token, ("", ""))
        crate.status = "missing" if kind == "missing" else ("problem" if kind else "received")
        crate.problem_kind, crate.problem_note = kind, note
        if kind != "missing":
            crate.received_at = crate.received_at or ctx.occurred_at
    ctx.transition(donation, "receive", received_at=ctx.occurred_at, received_by_id=ctx.user.id,
                   received_kg=kg, holder_id=None, received_temperature_c=reading)
    listed = [{"n": c.n, "kind": problems[c.token][0]} for c in donation.crates if c.token in problems]
    if listed:
        ctx.flag(donation, "receipt_problem", _("Problemi alla ricezione: %(list)s", list=", ".join(
            f"{_('cassetta')} {p['n']} ({problem_label(p['kind'])})" for p in listed)))
    ctx.emit("donation.received", **_parties(donation, received_kg=kg, problems=listed))
    return {"donation_id": donation.id, "received_kg": kg, "problems": len(listed)}


def _refuse_receipt_if_too_warm(ctx, donation, reading):
    """Refuse receipt of cold food warmer than the pickup thresholds (the cold chain broke)."""
    limit = rules.too_warm(donation, reading) if rules.needs_cold(donation) else None
    if limit is None:
        return
    ctx.flag(donation, "too_warm_receipt", _(
        "%(category)s a %(t)s °C all'arrivo all'ente (limite %(max)s °C): ricezione rifiutata.",
        category=category_label(donation.category), t=_num(reading), max=_num(limit)), even_if_refused=True)
    # Its own event: the pickup's too-warm push says the crates stay at the store, which is not so here.
    ctx.emit("donation.too_warm_receipt", even_if_refused=True,
             **_parties(donation, temperature_c=reading, limit_c=limit, by_id=ctx.user.id))
    raise Refused("too_warm", _(
        "Troppo caldo all'arrivo: %(t)s °C, il limite per questo cibo è %(max)s °C. Non distribuitelo: "
        "il coordinamento è stato avvisato.", t=_num(reading), max=_num(limit)),
        temperature_c=reading, limit_c=limit)


def problem_label(kind):
    """Italian label of a problem kind."""
    return {"spoiled": _("avariata"), "damaged": _("danneggiata"), "missing": _("mancante"),
            "too_warm": _("troppo calda")}.get(kind, kind)


def _kg(value, donation):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        kg = float(str(value).replace(",", ".").strip())
    except ValueError:
        raise Refused("invalid", _("I chili ricevuti non sono un numero: scrivi ad esempio 12,5.")) from None
    if kg < 0:
        raise Refused("invalid", _("I chili ricevuti non possono essere negativi."))
    if kg > max(10 * donation.kg_declared, 100):
        raise Refused("invalid", _("%(kg)s kg sono troppi rispetto ai %(declared)s dichiarati: controlla la pesata.",
                                   kg=_num(kg), declared=_num(donation.kg_declared)))
    return round(kg, 2)


def _problems(value, donation):
    """{token: (kind, note)} from [{token, kind, note}], checked against the donation's crates."""
    if value in (None, ""):
        return {}
    if not isinstance(value, list):
        raise Refused("invalid", _("L'elenco dei problemi non è valido."))
    from app.services.people.tokens import normalise_token

    tokens = {c.token: c for c in donation.crates}
    found = {}
    for item in value:
        if not isinstance(item, dict):
            raise Refused("invalid", _("L'elenco dei problemi non è valido."))
        token = normalise_token(str(item.get("token") or ""))
        if token not in tokens:
            raise Refused("unknown_crate", _("Una cassetta segnalata non appartiene a questa donazione."))
        if tokens[token].status not in TAKEN:
            raise Refused("invalid", _("La cassetta %(n)d è rimasta al punto vendita: non può avere "
                                       "problemi di consegna.", n=tokens[token].n))
        kind = str(item.get("kind") or "")
        if kind not in PROBLEM_KINDS:
            raise Refused("invalid", _("Scegli il tipo di problema: avariata, danneggiata, mancante o troppo calda."))
        found[token] = (kind, str(item.get("note") or "").strip()[:MAX_NOTE])
    return found


# --- crates left at the store -------------------------------------------------------

@handler("donation.repost", schema=RepostFields)
def repost(ctx):
    """The store offers again the crates left at the store by a partial pickup.

    It is a donation.post (through the registered handler, so every rule of a
    new donation applies) with the old donation's contents, the left crates'
    share of kg and value, and a new window; the crates get new labels.
    """
    ctx.require_role("store")
    old = ctx.donation()
    ctx.require_org("store", old.store_id, allow_coordinator=False)
    left = [c for c in old.crates if c.status == "left_at_store"]
    if not left:
        raise Refused("nothing_to_repost", _("Non ci sono cassette rimaste al punto vendita da ripubblicare."))
    if db.session.scalar(select(Donation.id).where(Donation.reposted_from_id == old.id)):
        raise Refused("already_reposted", _("Le cassette rimaste sono già state ripubblicate."))
    share = len(left) / len(old.crates)
    from app.services.food.donations import default_window

    start, end = default_window(ctx.received_at)
    ctx.payload = {
        "category": old.category, "storage": old.storage, "description": old.description,
        "kg": round(old.kg_declared * share, 1) or 0.1, "crates": len(left), "date_kind": old.date_kind,
        "date": old.food_date.isoformat() if old.food_date else None,
        "best_before_confirmed": old.best_before_confirmed, "allergens": list(old.allergens or []),
        "value_eur": None if old.value_estimated or old.value_eur is None else round(old.value_eur * share, 2),
        "window_start": ctx.payload.get("window_start") or start.isoformat(),
        "window_end": ctx.payload.get("window_end") or end.isoformat(),
        "notes": _("Cassette rimaste dal ritiro della donazione n. %(id)d.", id=old.id)
        + (f" {old.notes}" if old.notes else ""),
    }
    posted = HANDLERS["donation.post"].func(ctx)
    new = db.session.get(Donation, posted["donation_id"])
    new.reposted_from_id = old.id
    return {**posted, "reposted_from": old.id}


# --- expiry (system) ------------------------------------------------------------------

@handler("donation.expire", system=True)
def expire(ctx):
    """The window ended and nobody claimed the donation: it is expired."""
    donation = ctx.donation()
    if donation.window_end > ctx.occurred_at:
        raise Refused("wrong_state", _("La finestra di ritiro non è ancora finita."))
    ctx.transition(donation, "expire", expired_at=ctx.occurred_at)
    ctx.emit("donation.expired", **_parties(donation))
    return {"donation_id": donation.id}


@job("expire_donations", every=120)
def expire_due(now=None):
    """Expire every posted donation whose window has ended; returns how many."""
    now = now or utcnow()
    due = db.session.scalars(select(Donation.id).where(Donation.status == "posted",
                                                       Donation.window_end <= now)).all()
    expired = 0
    for donation_id in due:
        # Same id for workers running in the same minute: one applies, the other is a duplicate.
        result = apply_system("donation.expire", {"donation_id": donation_id}, now=now,
                              op_id=f"expire-{donation_id}-{now:%Y%m%d%H%M}")
        expired += result["status"] == "applied"
    return expired


def _truthy(value):
    return value is True or str(value).strip().lower() in {"1", "true", "on", "yes", "si", "sì"}


def _num(value):
    return f"{value:g}".replace(".", ",")
