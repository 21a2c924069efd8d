"""A donation's custody timeline, read from the append-only operation log.

Each applied operation becomes one entry: what happened, who did it, when it
really happened (`occurred_at`, the device clock) and, when the server got it
noticeably later (an action made offline and sent afterwards), when it arrived.
The store, volunteer, charity and coordinator pages all render the entries
with templates/donations/_timeline.html.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Flag, Operation
from app.services.food.donations import parse_number
from app.services.people.tokens import normalise_token

# Beyond this gap between the device time and the server's, the entry says it was sent later.
LATE_AFTER = timedelta(minutes=2)

TITLES = {
    "donation.post": _l("Donazione pubblicata"),
    "donation.edit": _l("Donazione modificata"),
    "donation.cancel": _l("Donazione annullata"),
    "donation.reassign": _l("Ente beneficiario cambiato"),
    "donation.claim": _l("Ritiro prenotato"),
    "donation.unclaim": _l("Prenotazione annullata"),
    "donation.pickup": _l("Ritirata: la merce passa al volontario"),
    "donation.deliver": _l("Consegnata all'ente"),
    "donation.receive": _l("Ricezione confermata dall'ente"),
    "donation.expire": _l("Scaduta senza ritiro"),
    "donation.repost": _l("Cassette rimaste ripubblicate"),
    "crate.problem": _l("Problema segnalato su una cassetta"),
    "donation.photo": _l("Foto della merce aggiunta"),
    "donation.cold_chain_overdue": _l("Catena del freddo: a bordo oltre il limite"),
}
# Icons from static/icons/sprite.svg, one per kind of step.
ICONS = {"donation.post": "box", "donation.claim": "truck", "donation.pickup": "truck",
         "donation.deliver": "home", "donation.receive": "home", "crate.scan": "scan",
         "donation.cancel": "bell", "donation.unclaim": "bell", "donation.expire": "bell"}
FIELD_NAMES = {
    "category": _l("categoria"), "storage": _l("conservazione"), "description": _l("descrizione"),
    "kg_declared": _l("peso"), "crates_count": _l("cassette"), "date_kind": _l("tipo di data"),
    "food_date": _l("data"), "allergens": _l("allergeni"), "value_eur": _l("valore"),
    "window_start": _l("inizio ritiro"), "window_end": _l("fine ritiro"), "notes": _l("note"),
    "recipient_id": _l("ente"), "best_before_confirmed": _l("conferma TMC"),
}


@dataclass
class Entry:
    """One step of the custody trail."""

    kind: str
    title: str
    who: str
    occurred_at: object
    received_at: object
    sent_late: bool
    source: str
    icon: str
    details: list = field(default_factory=list)
    flags: list = field(default_factory=list)


def who(user):
    """A person's name, their pseudonym once the account is deleted, or the system itself."""
    if user is None:
        return _("Raccolto (automatico)")
    if user.deleted_at is not None:
        return user.pseudonym
    return user.name


def _number(value):
    """A weight as typed anywhere (12.5, "12,5") in the reader's format."""
    try:
        number = parse_number(value)
    except ValueError:
        return str(value)
    return format_decimal(number, "#,##0.##") if number is not None else ""


def _title(op, crate_numbers):
    if op.kind == "crate.scan":
        n = (op.result or {}).get("n") or crate_numbers.get(normalise_token(op.payload.get("token"))) or "?"
        if op.payload.get("stage") == "receipt":
            return _("Cassetta %(n)s scansionata all'arrivo", n=n)
        return _("Cassetta %(n)s scansionata al ritiro", n=n)
    return str(TITLES.get(op.kind, op.kind))


def _details(op):
    """Short Italian lines with what matters of an operation's payload and result."""
    payload, result, lines = op.payload or {}, op.result or {}, []
    if op.kind == "donation.post":
        crates = result.get("crates") or []
        lines.append(_("%(kg)s kg in %(n)d cassette", kg=_number(payload.get("kg")), n=len(crates)))
    elif op.kind == "donation.edit":
        changed = [str(FIELD_NAMES.get(name, name)) for name in result.get("changed", [])]
        if changed:
            lines.append(_("Cambiati: %(fields)s", fields=", ".join(changed)))
    elif op.kind in ("donation.cancel", "donation.unclaim") and payload.get("reason"):
        lines.append(_("Motivo: %(reason)s", reason=payload["reason"]))
    elif op.kind == "donation.reassign":
        if result.get("recipient_name"):
            lines.append(_("Nuovo ente: %(name)s", name=result["recipient_name"]))
        if result.get("override"):
            lines.append(_("Scelta in deroga alle regole, confermata dal coordinatore."))
    if payload.get("temperature_c") not in (None, ""):
        lines.append(_("Temperatura: %(t)s °C", t=_number(payload["temperature_c"])))
    if "crates_taken" in result:
        lines.append(_("Cassette ritirate: %(taken)s, lasciate al negozio: %(left)s",
                       taken=result.get("crates_taken"), left=result.get("crates_left", 0)))
    if payload.get("received_kg") not in (None, ""):
        lines.append(_("Peso alla consegna: %(kg)s kg", kg=_number(payload["received_kg"])))
    if payload.get("problems"):
        lines.append(_("Problemi segnalati: %(n)d", n=len(payload["problems"])))
    if result.get("clock_adjusted"):
        lines.append(_("L'ora del telefono non era plausibile: vale l'ora di arrivo al server."))
    return lines


def timeline(donation, include_refused=False):
    """The donation's operations in the order they happened (device time, then arrival)."""
    query = select(Operation).where(Operation.donation_id == donation.id)
    if not include_refused:
        query = query.where(Operation.status == "applied")
    operations = db.session.scalars(query.order_by(Operation.occurred_at, Operation.received_at,
                                                   Operation.id)).all()
    flags = {}
    for flag in db.session.scalars(select(Flag).where(Flag.donation_id == donation.id)):
        flags.setdefault(flag.operation_id, []).append(flag.message)
    crate_numbers = {crate.token: crate.n for crate in donation.crates}
    entries = []
    for op in operations:
        title = _title(op, crate_numbers)
        if op.status != "applied":
            title = _("Rifiutata: %(title)s", title=title)
        details = _details(op)
        if op.on_behalf_of_id is not None:
            # A coordinator's backfill: the volunteer did it, the coordinator typed it in.
            details.append(_("Registrato dopo da %(who)s per conto del volontario.", who=who(op.user)))
        entries.append(Entry(
            kind=op.kind, title=title, who=who(op.on_behalf_of if op.on_behalf_of_id is not None else op.user),
            occurred_at=op.occurred_at,
            received_at=op.received_at, sent_late=op.received_at - op.occurred_at > LATE_AFTER,
            source=op.source, icon=ICONS.get(op.kind, "box"),
            details=details + ([op.message] if op.status != "applied" and op.message else []),
            flags=flags.get(op.id, [])))
    return entries
