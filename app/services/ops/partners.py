"""Handlers: agreements (agreement.save, .status, .upload, .template, .expire) and charity.capacity, charity.needs.

Every change to a partner's agreement or a charity's capacity goes through
the engine like a donation's, so it has an op_id (safe to replay) and stays
in the log. Fields are checked strictly: an unknown field is refused.
"""
import os
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Organisation
from app.models.partners import AGREEMENT_KINDS, Agreement, AgreementTemplate, CharityCapacity
from app.services.ops.core import Refused, handler
from app.services.partners import agreements, capacity as capacities, uploads
from app.services.ops import partner_fields as fields_of

SAVE_FIELDS = {"agreement_id", "organisation_id", "agreement_kind", "starts_on", "ends_on", "signatory_name",
               "signatory_role", "network_signatory", "notes"}
TEXT_LIMITS = {"signatory_name": 120, "signatory_role": 120, "network_signatory": 160, "notes": 2000}
TEMPLATE_MAX = 20_000


def _only(ctx, allowed):
    """Refuse a payload with a field this kind does not know (strict, ready for declared schemas)."""
    unknown = sorted(set(ctx.payload) - set(allowed) - {"source"})
    if unknown:
        raise Refused("invalid", _("Campo sconosciuto: %(field)s.", field=unknown[0]), field=unknown[0])


def _int_field(ctx, name):
    try:
        value = int(ctx.payload.get(name))
    except (TypeError, ValueError):
        raise Refused("invalid", _("Manca o non è valido: %(field)s.", field=name), field=name) from None
    if not 0 < value < 2 ** 31:
        raise Refused("invalid", _("Manca o non è valido: %(field)s.", field=name), field=name)
    return value


def _agreement(ctx, lock=True):
    """The target agreement (row-locked), or Refused unknown_agreement."""
    agreement_id = _int_field(ctx, "agreement_id")
    query = select(Agreement).where(Agreement.id == agreement_id)
    if lock:
        query = query.with_for_update(of=Agreement)
    found = db.session.scalars(query).first()
    if found is None:
        raise Refused("unknown_agreement", _("Questa convenzione non esiste."))
    return found


def _day(ctx, name, errors):
    try:
        return agreements.parse_day(ctx.payload.get(name))
    except (TypeError, ValueError):
        errors[name] = _("Data non leggibile: usa il formato AAAA-MM-GG.")
        return None


def _refuse_errors(errors):
    field = next(iter(errors))
    raise Refused("invalid", errors[field], field=field, errors=errors)


@handler("agreement.save", schema=fields_of.AgreementFields)
def save(ctx):
    """A coordinator creates an agreement for an organisation, or corrects one not yet ended."""
    ctx.require_role("coordinator")
    _only(ctx, SAVE_FIELDS)
    if ctx.payload.get("agreement_id") not in (None, ""):
        agreement = _agreement(ctx)
        if agreement.status in ("expired", "withdrawn"):
            raise Refused("wrong_state", _("Una convenzione scaduta o ritirata non si modifica: creane una nuova."))
    else:
        org = db.session.get(Organisation, _int_field(ctx, "organisation_id"))
        if org is None:
            raise Refused("unknown_organisation", _("Questa organizzazione non esiste."), field="organisation_id")
        agreement = Agreement(organisation_id=org.id, status="draft", created_at=ctx.received_at,
                              kind=agreements.KIND_FOR_ORG.get(org.kind, "other_partner"))
    errors = {}
    kind = ctx.payload.get("agreement_kind") or agreement.kind
    if kind not in AGREEMENT_KINDS:
        errors["agreement_kind"] = _("Scegli il tipo di convenzione dall'elenco.")
    values = {"kind": kind}
    for name in ("starts_on", "ends_on"):
        values[name] = _day(ctx, name, errors) if name in ctx.payload else getattr(agreement, name)
    for name, limit in TEXT_LIMITS.items():
        text = " ".join(str(ctx.payload.get(name, getattr(agreement, name) or "")).split()) \
            if name != "notes" else str(ctx.payload.get(name, agreement.notes or "")).strip()
        if len(text) > limit:
            errors[name] = _("Al massimo %(n)d caratteri.", n=limit)
        values[name] = text[:limit]
    if values["starts_on"] and values["ends_on"] and values["ends_on"] < values["starts_on"]:
        errors["ends_on"] = _("La convenzione finisce prima di cominciare.")
    if agreement.status == "signed":
        errors.update(_signable(values))
    if errors:
        _refuse_errors(errors)
    for name, value in values.items():
        setattr(agreement, name, value)
    agreement.updated_at = ctx.received_at
    db.session.add(agreement)
    db.session.flush()
    return {"agreement_id": agreement.id, "organisation_id": agreement.organisation_id,
            "agreement_status": agreement.status}


def _signable(values):
    """{field: message} of what a signed agreement must have."""
    errors = {}
    if not values.get("starts_on"):
        errors["starts_on"] = _("Indica da quando vale la convenzione.")
    if not values.get("ends_on"):
        errors["ends_on"] = _("Indica fino a quando vale la convenzione.")
    if not values.get("signatory_name"):
        errors["signatory_name"] = _("Indica chi firma per l'organizzazione.")
    return errors


@handler("agreement.status", schema=fields_of.AgreementStatus)
def status(ctx):
    """A coordinator moves an agreement: draft, sent, signed, withdrawn (expiry is the worker's)."""
    ctx.require_role("coordinator")
    _only(ctx, {"agreement_id", "status", "signed_on"})
    agreement = _agreement(ctx)
    target = ctx.payload.get("status")
    if target not in agreements.NEXT_STATUS.get(agreement.status, ()):
        raise Refused("wrong_state", _("Da «%(now)s» non si passa a «%(to)s».",
                                       now=agreements.STATUS_LABELS.get(agreement.status, agreement.status),
                                       to=agreements.STATUS_LABELS.get(target, str(target)[:20])))
    errors = {}
    signed_on = _day(ctx, "signed_on", errors) if "signed_on" in ctx.payload else None
    if target == "signed":
        errors.update(_signable({"starts_on": agreement.starts_on, "ends_on": agreement.ends_on,
                                 "signatory_name": agreement.signatory_name}))
        if agreement.ends_on and agreement.ends_on < agreements.today(ctx.received_at):
            errors["ends_on"] = _("La convenzione è già finita: correggi le date prima di firmarla.")
    if errors:
        _refuse_errors(errors)
    previous = agreement.status
    agreement.status = target
    if target == "signed":
        agreement.signed_on = signed_on or agreements.today(ctx.occurred_at)
    agreement.updated_at = ctx.received_at
    return {"agreement_id": agreement.id, "agreement_status": target, "previous_status": previous}


@handler("agreement.upload", schema=fields_of.AgreementUpload)
def upload(ctx):
    """Attach the signed PDF (already checked and stored by name) to an agreement."""
    ctx.require_role("coordinator", "store", "charity")
    _only(ctx, {"agreement_id", "file", "name", "size"})
    agreement = _agreement(ctx)
    own = {org.id for org in (ctx.user.org_for("store"), ctx.user.org_for("charity")) if org is not None}
    if not ctx.user.has_role("coordinator") and agreement.organisation_id not in own:
        raise Refused("not_allowed", _("Puoi agire solo per la tua organizzazione."))
    if agreement.status in ("expired", "withdrawn"):
        raise Refused("wrong_state", _("Questa convenzione è scaduta o ritirata."))
    path = uploads.path_of(str(ctx.payload.get("file") or ""))
    if path is None:
        raise Refused("invalid", _("Il file caricato non si trova: caricalo di nuovo."), field="file")
    name = " ".join(str(ctx.payload.get("name") or "convenzione.pdf").split())[:160]
    agreement.pdf_file, agreement.pdf_name = ctx.payload["file"], name
    agreement.pdf_size = os.path.getsize(path)
    agreement.pdf_uploaded_at = ctx.received_at
    agreement.updated_at = ctx.received_at
    return {"agreement_id": agreement.id, "file": agreement.pdf_file, "size": agreement.pdf_size}


@handler("agreement.template", schema=fields_of.AgreementTemplate)
def template(ctx):
    """A coordinator edits the Markdown text of one kind of agreement."""
    ctx.require_role("coordinator")
    _only(ctx, {"agreement_kind", "body"})
    kind = ctx.payload.get("agreement_kind")
    if kind not in AGREEMENT_KINDS:
        raise Refused("invalid", _("Scegli il tipo di convenzione dall'elenco."), field="agreement_kind")
    body = str(ctx.payload.get("body") or "").replace("\r\n", "\n").strip()
    if not body:
        raise Refused("invalid", _("Il testo della convenzione è vuoto."), field="body")
    if len(body) > TEMPLATE_MAX:
        raise Refused("invalid", _("Al massimo %(n)d caratteri.", n=TEMPLATE_MAX), field="body")
    row = db.session.get(AgreementTemplate, kind) or AgreementTemplate(kind=kind)
    row.body, row.updated_at = body, ctx.received_at
    db.session.add(row)
    return {"agreement_kind": kind}


@handler("agreement.expire", system=True)
def expire(ctx):
    """The worker marks a signed agreement whose last day has passed as expired."""
    agreement = _agreement(ctx)
    if agreement.status != "signed" or not agreement.ends_on or agreement.ends_on >= agreements.today(ctx.received_at):
        raise Refused("wrong_state", _("La convenzione non è scaduta."))
    agreement.status, agreement.updated_at = "expired", ctx.received_at
    return {"agreement_id": agreement.id, "agreement_status": "expired"}


def _charity(ctx):
    """The charity whose capacity is edited: the user's own (coordinators name any)."""
    ctx.require_role("charity", "coordinator")
    org = db.session.get(Organisation, _int_field(ctx, "organisation_id"))
    if org is None or org.kind != "charity":
        raise Refused("unknown_organisation", _("Questo ente non esiste."), field="organisation_id")
    ctx.require_org("charity", org.id)
    row = db.session.get(CharityCapacity, org.id, with_for_update=True)
    if row is None:
        row = CharityCapacity(organisation_id=org.id, closures=[], needs_more=[], needs_less=[])
        db.session.add(row)
    return row


@handler("charity.capacity", schema=fields_of.CapacityFields)
def capacity(ctx):
    """Charity staff say how much they can take: kg per day and week, cold space, closure days."""
    _only(ctx, {"organisation_id", "kg_day", "kg_week", "cold_litres", "cold_crates", "closures"})
    row = _charity(ctx)
    values, errors = capacities.check_capacity(ctx.payload)
    if errors:
        _refuse_errors(errors)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = ctx.received_at
    return {"organisation_id": row.organisation_id, **{k: v for k, v in values.items() if k != "closures"},
            "closures": len(values["closures"])}


@handler("charity.needs", schema=fields_of.NeedsFields)
def needs(ctx):
    """Charity staff update the needs board: categories wanted more or less, "full until"."""
    _only(ctx, {"organisation_id", "needs_more", "needs_less", "needs_note", "full_until"})
    row = _charity(ctx)
    values, errors = capacities.check_needs(ctx.payload)
    if errors:
        _refuse_errors(errors)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = ctx.received_at
    full = values["full_until"]
    return {"organisation_id": row.organisation_id, "needs_more": values["needs_more"],
            "needs_less": values["needs_less"], "full_until": full.isoformat() if isinstance(full, date) else None}
