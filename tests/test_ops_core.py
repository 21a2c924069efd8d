"""The operation engine itself: validation, idempotency, the log, refusals, time checks."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Operation
from app.models.base import utcnow
from app.services import ops
from app.services.ops.core import HANDLERS, Handler, Refused


@pytest.fixture
def probe_kinds():
    """Two throwaway kinds: test.touch (an intention) and test.fact (a fact)."""
    calls = []

    def touch(ctx):
        if ctx.payload.get("refuse"):
            raise Refused("nope", "Rifiutata per prova.")
        calls.append(ctx.op_id)
        return {"touched": len(calls)}

    HANDLERS["test.touch"] = Handler("test.touch", touch)
    HANDLERS["test.fact"] = Handler("test.fact", touch, fact=True)
    yield calls
    HANDLERS.pop("test.touch")
    HANDLERS.pop("test.fact")


def _op(kind="test.touch", **extra):
    return {"op_id": ops.new_op_id(), "kind": kind, "occurred_at": utcnow().isoformat(), **extra}


def test_replay_returns_the_first_result_and_changes_nothing(app, make_user, probe_kinds):
    user = make_user("store")
    op = _op()
    first = ops.apply(op, user)
    second = ops.apply(op, user)
    assert first["status"] == "applied" and first["touched"] == 1
    assert second["status"] == "duplicate" and second["touched"] == 1
    assert probe_kinds == [op["op_id"]]
    assert db.session.scalar(db.select(db.func.count()).select_from(Operation)) == 1


def test_refusal_is_logged_and_replayed_identically(app, make_user, probe_kinds):
    user = make_user("store")
    op = _op(refuse=True)
    first, second = ops.apply(op, user), ops.apply(op, user)
    assert (first["status"], first["code"], first["message"]) == ("refused", "nope", "Rifiutata per prova.")
    assert second["status"] == "duplicate" and second["original_status"] == "refused"
    assert second["code"] == "nope"


def test_someone_elses_op_id_is_not_replayed_to_me(app, make_user, probe_kinds):
    op = _op()
    ops.apply(op, make_user("store"))
    other = ops.apply(op, make_user("store"))
    assert other["status"] == "refused" and other["code"] == "not_allowed"
    assert "touched" not in other


@pytest.mark.parametrize("raw,code", [
    ({"kind": "test.touch"}, "invalid"),
    ({"op_id": "x", "kind": "test.touch"}, "invalid"),
    ({"op_id": "abcdefgh-1234", "kind": "nope.nope"}, "unknown_kind"),
    ("not a dict", "invalid"),
])
def test_malformed_operations_are_refused(app, make_user, probe_kinds, raw, code):
    result = ops.apply(raw, make_user("store"))
    assert result["status"] == "refused" and result["code"] == code and result["message"]


def test_intention_from_the_future_is_refused_but_a_fact_is_kept(app, make_user, probe_kinds):
    user = make_user("volunteer")
    future = (utcnow() + timedelta(hours=2)).isoformat()
    intention = ops.apply(_op(occurred_at=future), user)
    assert intention["code"] == "implausible_time"
    fact = ops.apply(_op("test.fact", occurred_at=future), user)
    assert fact["status"] == "applied" and fact["clock_adjusted"] is True
    logged = db.session.scalar(db.select(Operation).where(Operation.op_id == fact["op_id"]))
    assert logged.occurred_at <= logged.received_at


def test_old_offline_operation_keeps_its_real_time(app, make_user, probe_kinds):
    occurred = utcnow() - timedelta(hours=5)
    result = ops.apply(_op(occurred_at=occurred.isoformat()), make_user("volunteer"))
    logged = db.session.scalar(db.select(Operation).where(Operation.op_id == result["op_id"]))
    assert abs((logged.occurred_at - occurred).total_seconds()) < 1
    assert logged.received_at > logged.occurred_at


def test_batch_applies_in_order_each_on_its_own(app, make_user, probe_kinds):
    user = make_user("store")
    results = ops.apply_many([_op(), _op(refuse=True), _op()], user)
    assert [r["status"] for r in results] == ["applied", "refused", "applied"]
    assert [r.get("touched") for r in results] == [1, None, 2]


def test_machine_edges_match_the_design():
    from app.services.ops import machine

    assert ("posted", "claimed") in machine.edges()
    assert ("claimed", "posted") in machine.edges()
    assert ("received", "posted") not in machine.edges()
    assert not machine.allowed("cancel", "picked_up")
