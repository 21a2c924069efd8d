"""Applying operations: validation, idempotency, the log, one transaction each.

An operation is a dict {op_id, kind, occurred_at, ...fields}. `apply()` runs its
handler inside one write transaction, records it in the append-only log with
its outcome, and returns a result dict:
    {"op_id", "status": "applied" | "duplicate" | "refused", "code", "message", ...}
A replayed op_id returns the first result with status "duplicate" and changes
nothing. Handlers refuse by raising Refused(code, message); their partial
changes are rolled back (savepoint) but the refusal itself is logged, so a
replay is refused the same way.

Before the handler, the operation's fields are checked by the generic checks
and the kind's declared schema (schemas.py): a malformed operation is logged
as refused `invalid` with the `field`, and nothing it holds can break the
other operations of its batch.
"""
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db, write_transaction
from app.models import Donation, Flag, Operation
from app.models.base import parse_time, utcnow  # noqa: F401  (parse_time: ops.parse_time)
from app.services.ops import machine, schemas

# \A and \Z, not ^ and $: "$" also matches before a trailing newline.
_OP_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_-]{7,63}\Z")
log = logging.getLogger(__name__)
MAX_SKEW = timedelta(minutes=5)


class Refused(Exception):
    """A handler's refusal: a stable snake_case `code` and an Italian `message`."""

    def __init__(self, code, message, **extra):
        super().__init__(message)
        self.code, self.message, self.extra = code, message, extra


@dataclass
class Handler:
    kind: str
    func: object
    fact: bool = False  # facts are never refused for an implausible clock
    system: bool = False  # applied only by the server itself (apply_system), never by a user
    schema: object = None  # the pydantic model of its fields (schemas.py); None: generic checks only


HANDLERS = {}
# Callables (ctx) run inside the operation's transaction after an applied handler:
# the notification outbox subscribes here so its rows commit with the operation.
SUBSCRIBERS = []


def handler(kind, fact=False, system=False, schema=None):
    """Register the handler of an operation kind (system=True: only apply_system may run it)."""

    def decorator(func):
        HANDLERS[kind] = Handler(kind, func, fact, system, schema)
        return func

    return decorator


@dataclass
class Context:
    """What a handler sees: the operation, its user and helpers that write through the log."""

    op_id: str
    kind: str
    user: object
    payload: dict
    occurred_at: datetime
    received_at: datetime
    source: str
    clock_adjusted: bool = False
    # Entered after the fact by trusted server code (demo history, a coordinator's
    # backfill): subscribers may skip telling people about the past.
    backfill: bool = False
    # Who typed it in when `user` is the volunteer it is recorded for (a coordinator's backfill).
    entered_by: object = None
    donation_id: int | None = None
    events: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    # Flags and events that stand even when the handler then refuses (a too-warm lot
    # is refused, and that refusal is itself news for the coordinator).
    kept_flags: list = field(default_factory=list)
    kept_events: list = field(default_factory=list)
    refusal: str = ""  # the refusal code, for subscribers that run after a refusal

    # --- reading and locking ---------------------------------------------------
    def donation(self, donation_id=None, lock=True):
        """Load the target donation (row-locked on PostgreSQL), or refuse unknown_donation."""
        donation_id = donation_id if donation_id is not None else self.payload.get("donation_id")
        try:
            donation_id = int(donation_id)
        except (TypeError, ValueError):
            raise Refused("invalid", _("Manca la donazione a cui si riferisce l'operazione.")) from None
        if not 0 < donation_id < 2 ** 31:  # beyond PostgreSQL's integer: no such donation
            raise Refused("unknown_donation", _("Questa donazione non esiste."))
        query = select(Donation).where(Donation.id == donation_id)
        if lock:
            # OF donation: store and recipient are eager outer joins, which PostgreSQL cannot lock.
            query = query.with_for_update(of=Donation)
        found = db.session.scalars(query).first()
        if found is None:
            raise Refused("unknown_donation", _("Questa donazione non esiste."))
        self.donation_id = found.id
        return found

    # --- state changes ---------------------------------------------------------
    def transition(self, donation, action, refuse_code="wrong_state", refuse_message=None, **values):
        """Move `donation` by `action` with a conditional UPDATE; refuse if the state moved on.

        The WHERE on the current status makes concurrent attempts safe: the
        first to commit wins, the others update no row and are refused.
        """
        sources, _target = machine.TRANSITIONS[action]
        if donation.status not in sources:
            raise Refused(refuse_code, refuse_message or wrong_state_message(donation))
        new_status = machine.target(action, donation.status)
        values = {"status": new_status, "updated_at": self.received_at, **values}
        result = db.session.execute(
            update(Donation).where(Donation.id == donation.id, Donation.status == donation.status)
            .values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            db.session.refresh(donation)
            raise Refused(refuse_code, refuse_message or wrong_state_message(donation))
        db.session.refresh(donation)
        return donation

    def flag(self, donation, kind, message, even_if_refused=False):
        """Raise a flag for the coordinator (kept in the same transaction)."""
        item = Flag(donation_id=donation.id, kind=kind, message=message, created_at=self.received_at)
        db.session.add(item)
        self.flags.append(item)
        if even_if_refused:
            self.kept_flags.append((donation.id, kind, message))
        return item

    def emit(self, event, even_if_refused=False, **data):
        """Record a domain event for the subscribers (notifications) of this transaction."""
        self.events.append((event, data))
        if even_if_refused:
            self.kept_events.append((event, data))

    # --- permissions -------------------------------------------------------------
    def require_role(self, *roles):
        """Refuse not_allowed unless the user holds one of `roles` (the system holds none)."""
        if self.user is None or not any(self.user.has_role(r) for r in roles):
            raise Refused("not_allowed", _("Il tuo ruolo non permette questa operazione."))

    def require_org(self, role, organisation_id, allow_coordinator=True):
        """Refuse unless the user acts for `organisation_id` in `role` (coordinators pass)."""
        if allow_coordinator and self.user.has_role("coordinator"):
            return
        org = self.user.org_for(role)
        if org is None or org.id != organisation_id:
            raise Refused("not_allowed", _("Puoi agire solo per la tua organizzazione."))


def wrong_state_message(donation):
    from app.domain import DONATION_STATUS_LABELS

    return _("Operazione non possibile: la donazione ora è «%(status)s».",
             status=DONATION_STATUS_LABELS.get(donation.status, donation.status))


def new_op_id():
    """An op_id for operations made on the server (forms without JavaScript)."""
    return str(uuid.uuid4())


def _result(op):
    out = {"op_id": op.op_id, "status": op.status, "kind": op.kind}
    if op.code:
        out["code"] = op.code
    if op.message:
        out["message"] = op.message
    out.update(op.result or {})
    return out


def _refusal(raw, code, message):
    """A refusal for an operation that cannot even be logged (no usable op_id)."""
    op_id = raw.get("op_id") if isinstance(raw, dict) else ""
    return {"op_id": op_id if isinstance(op_id, str) and not schemas.text_problem(op_id) else "",
            "status": "refused", "code": code, "message": message}


def apply(raw, user, source="form", backfill=False, now=None, on_behalf_of=None):
    """Apply one operation dict for `user`; always returns a result dict, never raises Refused.

    Trusted server code only (never from request data): `backfill=True` lifts the
    offline age limit, for operations entered after the fact, and `now` replaces
    the server clock (demo history, tests), so received_at lies in the past too.
    `on_behalf_of` (with backfill, by a coordinator only): the handler acts as that
    volunteer, the log keeps `user` as who entered it and the volunteer beside it.
    """
    if not isinstance(raw, dict):
        return _refusal({}, "invalid", _("Operazione non leggibile."))
    op_id = raw.get("op_id")
    if not isinstance(op_id, str) or not _OP_ID.match(op_id):
        return _refusal(raw, "invalid", _("Identificativo dell'operazione (op_id) mancante o non valido."))
    previous = db.session.scalar(select(Operation).where(Operation.op_id == op_id))
    if previous is not None:
        return _duplicate(previous, user)
    kind = raw.get("kind")
    if not isinstance(kind, str):
        message = _("Il campo «kind» deve essere il nome di un tipo di operazione.")
        if user is None or not getattr(user, "is_authenticated", False):
            return {**_refusal(raw, "invalid", message), "field": "kind"}
        # Logged under an empty kind, so that a replay answers the same (and the audit sees it).
        payload = {k: v for k, v in raw.items() if k != "op_id"}
        return _log_invalid(op_id, "", user, source, payload, utcnow(), "kind", message)
    if kind not in HANDLERS:
        return _refusal(raw, "unknown_kind", _("Tipo di operazione sconosciuto: %(kind)s.", kind=str(kind)[:40]))
    if user is None or not getattr(user, "is_authenticated", False):
        return _refusal(raw, "not_allowed", _("Accedi per inviare operazioni."))
    if HANDLERS[kind].system:
        return _refusal(raw, "not_allowed", _("Questa operazione la esegue solo il sistema."))
    if on_behalf_of is not None and not (backfill and user.has_role("coordinator")):
        return _refusal(raw, "not_allowed", _("Solo un coordinatore può registrare un ritiro per conto di "
                                              "un volontario."))
    return _apply(raw, op_id, kind, user, source, backfill, now, on_behalf_of)


def apply_system(kind, payload, now=None, op_id=None):
    """Apply a system-only operation (e.g. donation.expire from the worker) with no user.

    It is logged like any other (user_id NULL, source "system"). A stable `op_id`
    makes the same decision taken by two workers at once a harmless duplicate.
    """
    if kind not in HANDLERS or not HANDLERS[kind].system:
        return _refusal({}, "unknown_kind", _("Tipo di operazione sconosciuto: %(kind)s.", kind=str(kind)[:40]))
    raw = {**payload, "op_id": op_id or new_op_id(), "kind": kind,
           "occurred_at": (now or utcnow()).isoformat()}
    previous = db.session.scalar(select(Operation).where(Operation.op_id == raw["op_id"]))
    if previous is not None:
        return _duplicate(previous, None)
    return _apply(raw, raw["op_id"], kind, None, "system", True, now)


def _apply(raw, op_id, kind, user, source, backfill, now, on_behalf_of=None):
    """Run the handler in one write transaction and log the outcome (see apply)."""
    spec = HANDLERS[kind]
    received_at = now or utcnow()
    payload = {k: v for k, v in raw.items() if k not in ("op_id", "kind", "occurred_at")}
    problem = schemas.time_problem(raw.get("occurred_at")) or schemas.problem(spec.schema, payload)
    if problem:
        return _log_invalid(op_id, kind, user, source, payload, received_at, *problem)
    occurred_at = parse_time(raw.get("occurred_at")) or received_at
    ctx = Context(op_id=op_id, kind=kind, user=on_behalf_of or user, payload=payload, occurred_at=occurred_at,
                  received_at=received_at, source=source, backfill=backfill and source != "system",
                  entered_by=user if on_behalf_of is not None else None)
    time_problem = _implausible(occurred_at, received_at, backfill)
    try:
        with write_transaction():
            status, code, message, result = "applied", "", "", {}
            if time_problem and spec.fact:
                # A fact is kept even from a phone with a wrong clock: we use the
                # server's time and say so in the log.
                ctx.occurred_at, ctx.clock_adjusted = received_at, True
            try:
                if time_problem and not spec.fact:
                    raise Refused("implausible_time", time_problem)
                with db.session.begin_nested():
                    result = spec.func(ctx) or {}
                    for subscriber in SUBSCRIBERS:
                        subscriber(ctx)
            except Refused as refusal:
                status, code, message, result = "refused", refusal.code, refusal.message, refusal.extra
                _keep_refusal_effects(ctx, refusal.code)
            if ctx.clock_adjusted:
                result = {**result, "clock_adjusted": True}
            op = Operation(op_id=op_id, kind=kind, donation_id=ctx.donation_id or _existing(payload.get("donation_id")),
                           user_id=user.id if user is not None else None, source=source, payload=_jsonable(payload),
                           on_behalf_of_id=on_behalf_of.id if on_behalf_of is not None else None,
                           occurred_at=ctx.occurred_at, received_at=received_at, status=status,
                           code=code, message=message, result=_jsonable(result))
            db.session.add(op)
            db.session.flush()
            for item in ctx.flags:
                item.operation_id = op.id
            outcome = _result(op)
    except IntegrityError:
        # The same op_id arrived twice at once: the other copy won; answer as a replay.
        db.session.rollback()
        previous = db.session.scalar(select(Operation).where(Operation.op_id == op_id))
        if previous is None:
            raise
        return _duplicate(previous, user)
    return outcome


def _log_invalid(op_id, kind, user, source, payload, received_at, field, message):
    """Log an operation refused `invalid` before its handler ran, so a replay answers the same."""
    try:
        with write_transaction():
            op = Operation(op_id=op_id, kind=kind, donation_id=None,
                           user_id=user.id if user is not None else None, source=source,
                           payload=schemas.storable(payload), occurred_at=received_at, received_at=received_at,
                           status="refused", code="invalid", message=message, result={"field": field})
            db.session.add(op)
            db.session.flush()
            outcome = _result(op)
    except IntegrityError:
        db.session.rollback()
        previous = db.session.scalar(select(Operation).where(Operation.op_id == op_id))
        if previous is None:
            raise
        return _duplicate(previous, user)
    return outcome


def _keep_refusal_effects(ctx, code):
    """Re-raise the flags and events a handler marked to outlive its refusal.

    The handler's savepoint was rolled back with everything in it; these are
    written again, and the subscribers see only them (with ctx.refusal set).
    """
    ctx.refusal = code
    ctx.flags = [Flag(donation_id=donation_id, kind=kind, message=message, created_at=ctx.received_at)
                 for donation_id, kind, message in ctx.kept_flags]
    db.session.add_all(ctx.flags)
    ctx.events = list(ctx.kept_events)
    if ctx.events or ctx.source == "offline":  # a refused offline action is news for its sender
        for subscriber in SUBSCRIBERS:
            subscriber(ctx)


def _duplicate(previous, user):
    if user is not None and getattr(user, "id", None) != previous.user_id:
        # An op_id is a device's secret; someone else's replay learns nothing.
        return {"op_id": previous.op_id, "status": "refused", "code": "not_allowed",
                "message": _("Questo identificativo di operazione appartiene a un altro utente.")}
    out = _result(previous)
    out["original_status"] = out["status"]
    out["status"] = "duplicate"
    return out


def apply_many(ops, user, source="api", limit=200):
    """Apply a batch in order; each operation succeeds or fails on its own."""
    if not isinstance(ops, list):
        return [_refusal({}, "invalid", _("Il campo «ops» deve essere una lista di operazioni."))]
    if len(ops) > limit:
        return [_refusal({}, "too_many", _("Al massimo %(n)d operazioni per richiesta.", n=limit))]
    return [_apply_alone(raw, user, source) for raw in ops]


def _apply_alone(raw, user, source):
    """One operation of a batch; an unexpected error answers for that one only.

    The schemas should leave nothing for a handler to trip on; if something
    still does, the batch must not stop there (a phone would retry it forever),
    so the error is logged for us and the operation answers `server_error`.
    """
    try:
        return apply(raw, user, source=source)
    except Exception:  # noqa: BLE001  (the safety net of the batch, logged below)
        db.session.rollback()
        log.exception("operation failed unexpectedly")
        return _refusal(raw, "server_error", _("Errore del server su questa operazione: è stato "
                                               "registrato. Le altre operazioni sono state applicate."))


def _implausible(occurred_at, received_at, backfill=False):
    """An Italian explanation when the device time cannot be right, else None."""
    limit = timedelta(hours=current_app.config.get("OFFLINE_LIMIT_HOURS", 72))
    if occurred_at > received_at + MAX_SKEW:
        return _("L'ora del telefono è nel futuro: controlla data e ora del dispositivo.")
    if occurred_at < received_at - limit and not backfill:
        return _("L'operazione è troppo vecchia (più di %(h)d ore): rifalla dal telefono.",
                 h=int(limit.total_seconds() // 3600))
    return None


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _existing(donation_id):
    """The id of a donation that exists (a refusal of an unknown id is logged without one)."""
    donation_id = _int(donation_id)
    if donation_id is None or not 0 < donation_id < 2 ** 31:
        return None
    return donation_id if db.session.get(Donation, donation_id) is not None else None


def _jsonable(value):
    """Make payloads storable as JSON (dates and decimals become strings)."""
    import json

    return json.loads(json.dumps(value, default=str))
