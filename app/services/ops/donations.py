"""Handlers: donation.post, donation.edit, donation.cancel, donation.reassign (issue 3).

The rules on what may be donated live in app.services.food.donations (shared with
the store's form); the recipient proposal in app.services.food.recipients. Every
refusal of a donation's content names the wrong field in the result
(`"field": "kg"`) and lists all problems (`"errors": {field: message}`), so a
form can show each message beside its field.
"""
from flask_babel import gettext as _
from sqlalchemy import select

from app.domain import DONATION_STATUS_LABELS
from app.extensions import db
from app.models import CharityCapacity, Crate, Donation, Organisation, User
from app.services.food import donations as rules, recipients
from app.services.people import tokens
from app.services.food.labels import crate_url
from app.services.ops import machine, rules as pickup_rules
from app.services.ops.core import Refused, handler
from app.services.ops.schemas import Day, Flag, Id, Names, Number, OpFields, Text, Time
from app.services.partners import agreements

EDITABLE = ("category", "storage", "description", "kg_declared", "crates_count", "date_kind",
            "food_date", "best_before_confirmed", "allergens", "value_eur", "value_estimated",
            "needs_cold", "window_start", "window_end", "notes", "recipient_id")
TOKEN_ATTEMPTS = 8
# An area above the engine (the rota) lets a donation be posted for one of its slots:
# resolver(ctx) -> an object with .store, .claimer_id and .done(donation, ctx), or Refused.
SLOT_POSTING = []
# Proposals tried when a concurrent post filled the first choice's capacity meanwhile.
CAPACITY_ATTEMPTS = 3


def checked(payload, now, current=None):
    """Column values of a valid donation payload, or Refused naming the first wrong field."""
    values, problems = rules.check(payload, now, current)
    if problems:
        first = problems[0]
        errors = {}
        for problem in problems:
            errors.setdefault(problem.field, problem.message)
        raise Refused(first.code, first.message, field=first.field, errors=errors)
    return values


def _fresh_tokens(count):
    """`count` crate tokens that no crate uses yet (a collision, however rare, is retried)."""
    chosen = set()
    for _attempt in range(TOKEN_ATTEMPTS):
        while len(chosen) < count:
            chosen.add(tokens.new_crate_token())
        taken = set(db.session.scalars(select(Crate.token).where(Crate.token.in_(chosen))))
        if not taken:
            return sorted(chosen)
        chosen -= taken
    raise RuntimeError("could not find unused crate tokens")


def _add_crates(donation, first_n, last_n):
    new = [Crate(donation_id=donation.id, n=n, token=token)
           for n, token in zip(range(first_n, last_n + 1), _fresh_tokens(last_n - first_n + 1))]
    db.session.add_all(new)
    return new


def _crates_result(donation):
    return [{"n": c.n, "token": c.token, "url": crate_url(c.token)} for c in donation.crates]


def _recipient(values, store, now, chosen_id=None, exclude_id=None, shortlist=None):
    """The chosen charity if eligible (else Refused), or the proposal (None if none is eligible).

    `shortlist`, a list, receives the figures of the three best candidates (why this one).
    """
    args = (values["category"], values["needs_cold"], values["window_start"], values["window_end"])
    size = {"kg": values["kg_declared"], "crates": values["crates_count"], "exclude_id": exclude_id}
    if chosen_id is None:
        for _attempt in range(CAPACITY_ATTEMPTS):
            found = recipients.candidates(store, *args, now=now, **size)
            if not found:
                return None
            if _still_fits(found[0].org, args, size):
                if shortlist is not None:
                    shortlist.extend(c.figures() for c in found[:3])
                return found[0].org
        return None
    org = db.session.get(Organisation, chosen_id)
    reasons = recipients.ineligibility(org, *args, **size)
    if not reasons and not _still_fits(org, args, size):
        reasons = recipients.ineligibility(org, *args, **size)
    if reasons:
        name = org.name if org is not None and org.kind == "charity" else _("questo ente")
        raise Refused("recipient_not_eligible",
                      _("%(name)s non può ricevere questa donazione: %(reasons)s.", name=name,
                        reasons="; ".join(reasons)),
                      field="recipient_id", errors={"recipient_id": "; ".join(reasons)})
    return org


def _still_fits(org, args, size):
    """Lock the charity's capacity row, then check again: two posts at once cannot both take its last kg.

    The row lock (PostgreSQL; SQLite's write transaction is already exclusive)
    makes concurrent posts to a charity with a declared capacity wait for each
    other; the check after the lock sees what the other one committed.
    """
    row = db.session.scalars(select(CharityCapacity).where(CharityCapacity.organisation_id == org.id)
                             .with_for_update().execution_options(populate_existing=True)).first()
    if row is None or not (row.kg_day or row.kg_week or row.cold_crates):
        return True
    return not recipients.ineligibility(org, *args, **size)


def _no_recipient_flag(ctx, donation):
    ctx.flag(donation, "no_recipient", _("Nessun ente può ricevere questa donazione (categoria, catena del "
                                         "freddo o orari): scegline uno a mano."))


class DonationFields(OpFields):
    """The fields of donation.post (and, all optional, of donation.edit)."""

    store_id: Id = None
    category: Text = None
    storage: Text = None
    description: Text = None
    kg: Number = None
    crates: Number = None
    date_kind: Text = None
    date: Day = None
    allergens: Names = None
    value_eur: Number = None
    window_start: Time = None
    window_end: Time = None
    recipient_id: Id = None
    best_before_confirmed: Flag = None
    notes: Text = None
    slot_id: Id = None  # the rota: the slot this donation is posted for


class EditFields(DonationFields):
    donation_id: Id = None


class CancelFields(OpFields):
    donation_id: Id = None
    reason: Text = None


class ReassignFields(OpFields):
    donation_id: Id = None
    recipient_id: Id = None
    override: Flag = None


@handler("donation.post", schema=DonationFields)
def post(ctx):
    """A store offers surplus food: the donation, its crates with fresh tokens, a recipient.

    With `slot_id` (the rota) the donation is born claimed by the slot's volunteer,
    and that volunteer may enter it on the store's behalf once the window opened.
    """
    posting = _slot_posting(ctx)
    if posting is not None:
        store = posting.store
    else:
        ctx.require_role("store")
        store = ctx.user.org_for("store")
        if store is None or not store.active:
            raise Refused("not_allowed", _("Il tuo punto vendita non è attivo nella rete."))
    if ctx.payload.get("store_id") not in (None, "", store.id, str(store.id)):
        raise Refused("not_allowed", _("Puoi agire solo per la tua organizzazione."))
    if agreements.required() and agreements.current_for(store.id, agreements.today(ctx.received_at)) is None:
        raise Refused("agreement_missing", _(
            "Il tuo punto vendita non ha una convenzione firmata e in corso con la rete: non può pubblicare "
            "donazioni. Scrivi al coordinamento per rinnovarla."))
    values = checked(ctx.payload, ctx.received_at)
    shortlist = []
    recipient = _recipient(values, store, ctx.received_at, values.pop("recipient_id"), shortlist=shortlist)
    donation = Donation(store_id=store.id, recipient_id=recipient.id if recipient else None,
                        status="posted", posted_by_id=ctx.user.id, posted_at=ctx.occurred_at,
                        updated_at=ctx.received_at, **values)
    db.session.add(donation)
    db.session.flush()
    ctx.donation_id = donation.id
    _add_crates(donation, 1, donation.crates_count)
    db.session.flush()
    db.session.refresh(donation)
    if recipient is None:
        _no_recipient_flag(ctx, donation)
    if posting is not None:
        _born_claimed(ctx, donation, posting)
    ctx.emit("donation.posted", donation_id=donation.id, store_id=store.id, needs_cold=donation.needs_cold)
    return {"donation_id": donation.id, "crates": _crates_result(donation),
            "recipient_id": donation.recipient_id, "recipient_name": recipient.name if recipient else None,
            "needs_cold": donation.needs_cold, "value_eur": donation.value_eur,
            "value_estimated": donation.value_estimated, "claimed_by_id": donation.claimed_by_id,
            "candidates": shortlist}


def _slot_posting(ctx):
    """The rota's answer for a payload with slot_id (None without one)."""
    if ctx.payload.get("slot_id") in (None, ""):
        return None
    if not SLOT_POSTING:
        raise Refused("invalid", _("I turni di ritiro non sono disponibili."), field="slot_id")
    return SLOT_POSTING[0](ctx)


def _born_claimed(ctx, donation, posting):
    """A slot's donation is claimed at birth by its volunteer, if the pickup rules let them take it."""
    claimer = db.session.get(User, posting.claimer_id) if posting.claimer_id else None
    if claimer is not None and pickup_rules.claim_blocker(claimer, donation, ctx.occurred_at,
                                                          count_claims=False) is None:
        ctx.transition(donation, "claim", claimed_by_id=claimer.id, claimed_at=ctx.occurred_at)
    posting.done(donation, ctx)


@handler("donation.edit", schema=EditFields)
def edit(ctx):
    """The store corrects a donation nobody has claimed yet; crates follow the new count."""
    ctx.require_role("store", "coordinator")
    donation = ctx.donation()
    ctx.require_org("store", donation.store_id)
    if not machine.allowed("edit", donation.status):
        raise Refused("wrong_state", _edit_too_late(donation))
    values = checked(ctx.payload, ctx.received_at, current=donation)
    chosen = values.pop("recipient_id")
    if "recipient_id" in ctx.payload:
        recipient = _recipient(values, donation.store, ctx.received_at, chosen, exclude_id=donation.id)
    elif donation.recipient is not None and not recipients.ineligibility(
            donation.recipient, values["category"], values["needs_cold"], values["window_start"],
            values["window_end"], kg=values["kg_declared"], crates=values["crates_count"], exclude_id=donation.id):
        recipient = donation.recipient
    else:  # the edit made the current recipient unsuitable (or there was none): propose again
        recipient = _recipient(values, donation.store, ctx.received_at, exclude_id=donation.id)
    values["recipient_id"] = recipient.id if recipient else None
    changed = [name for name in EDITABLE if name in values and values[name] != getattr(donation, name)]
    old_count = donation.crates_count
    ctx.transition(donation, "edit", refuse_message=_edit_too_late(donation),
                   **{name: values[name] for name in changed})
    if donation.crates_count > old_count:
        _add_crates(donation, old_count + 1, donation.crates_count)
    elif donation.crates_count < old_count:
        for crate in [c for c in donation.crates if c.n > donation.crates_count]:
            db.session.delete(crate)
    db.session.flush()
    db.session.refresh(donation)
    if recipient is None and "recipient_id" in changed:
        _no_recipient_flag(ctx, donation)
    visible = [name for name in changed if name not in ("needs_cold", "value_estimated")]
    if visible:
        ctx.emit("donation.edited", donation_id=donation.id, changed=visible)
    return {"changed": visible, "crates": _crates_result(donation), "recipient_id": donation.recipient_id}


def _edit_too_late(donation):
    return _("La donazione è già «%(status)s»: si può modificare solo finché nessun volontario l'ha "
             "prenotata. Puoi annullarla e pubblicarne una nuova.",
             status=DONATION_STATUS_LABELS.get(donation.status, donation.status))


@handler("donation.cancel", schema=CancelFields)
def cancel(ctx):
    """The store (or a coordinator) withdraws a donation before pickup, saying why."""
    ctx.require_role("store", "coordinator")
    donation = ctx.donation()
    ctx.require_org("store", donation.store_id)
    reason = " ".join(str(ctx.payload.get("reason") or "").split())
    if not reason:
        raise Refused("invalid", _("Scrivi il motivo dell'annullamento: lo legge il volontario."),
                      field="reason", errors={"reason": _("Scrivi il motivo dell'annullamento.")})
    claimer = donation.claimed_by_id
    ctx.transition(donation, "cancel", refuse_message=_(
        "Non si può più annullare: la donazione è già «%(status)s».",
        status=DONATION_STATUS_LABELS.get(donation.status, donation.status)),
        cancelled_at=ctx.occurred_at, cancel_reason=reason[:300])
    ctx.emit("donation.cancelled", donation_id=donation.id, claimed_by_id=claimer, reason=reason[:300])
    return {}


@handler("donation.reassign", schema=ReassignFields)
def reassign(ctx):
    """A coordinator sends a donation to another charity before pickup.

    The charity must pass the hard rules of the proposal (category, cold
    storage, receiving hours); otherwise the coordinator confirms the choice
    with `"override": true`, and the log keeps that it was an override. An
    inactive organisation or one that is not a charity is never accepted.
    """
    ctx.require_role("coordinator")
    donation = ctx.donation()
    try:
        org = db.session.get(Organisation, int(ctx.payload.get("recipient_id")))
    except (TypeError, ValueError):
        org = None
    if org is None or org.kind != "charity" or not org.active:
        raise Refused("unknown_recipient", _("Scegli un ente beneficiario attivo della rete."),
                      field="recipient_id", errors={"recipient_id": _("Ente non valido.")})
    reasons = recipients.ineligibility(org, donation.category, donation.needs_cold, donation.window_start,
                                       donation.window_end, kg=donation.kg_declared, crates=donation.crates_count,
                                       exclude_id=donation.id)
    override = rules.parse_bool(ctx.payload.get("override"))
    if reasons and not override:
        raise Refused("recipient_not_eligible",
                      _("%(name)s non può ricevere questa donazione: %(reasons)s. Per sceglierlo comunque "
                        "conferma la deroga.", name=org.name, reasons="; ".join(reasons)),
                      field="recipient_id", reasons=reasons, errors={"recipient_id": "; ".join(reasons)})
    previous = donation.recipient_id
    ctx.transition(donation, "reassign", refuse_message=_(
        "Si può cambiare ente solo prima del ritiro: la donazione è già «%(status)s».",
        status=DONATION_STATUS_LABELS.get(donation.status, donation.status)), recipient_id=org.id)
    ctx.emit("donation.reassigned", donation_id=donation.id, recipient_id=org.id,
             previous_recipient_id=previous, claimed_by_id=donation.claimed_by_id)
    return {"recipient_id": org.id, "recipient_name": org.name, "previous_recipient_id": previous,
            "override": bool(reasons)}
