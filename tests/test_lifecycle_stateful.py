"""Random operations by random users, online, replayed and late from offline phones, keep the invariants.

Hypothesis drives a RuleBasedStateMachine: each step applies an operation at
once, queues it in a phone's outbox (sent later, in any order, with its real
past time), replays one already sent, or lets the worker expire donations.
After every step the lifecycle must hold: one holder at a time, crates leave
the store only with the donation, no transition outside machine.edges(), a
replay changes nothing, every operation is logged exactly once, received kg is
never negative.
"""
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from app.extensions import db
from app.models import Donation, Operation
from app.models.base import utcnow
from app.services import ops
from app.services.ops import machine
from app.services.ops.pickups import expire_due
from tests.pickups_helpers import Network, post_donation

# Weighted by repetition: the steps of a pickup come up more often than cancellations.
KINDS = ("donation.claim",) * 2 + ("crate.scan",) * 4 + ("donation.pickup",) * 2 + \
    ("donation.deliver",) * 2 + ("donation.receive",) * 2 + \
    ("donation.unclaim", "donation.cancel", "crate.problem")
HOLDING = ("picked_up", "delivered")
LEFT_STORE = ("picked_up", "received", "problem", "missing")
EDGES = machine.edges()


def _snapshot(ids):
    """Everything an operation may change, per donation."""
    db.session.expire_all()
    state = {}
    for donation in db.session.scalars(db.select(Donation).where(Donation.id.in_(ids))):
        state[donation.id] = (donation.status, donation.claimed_by_id, donation.holder_id,
                              donation.received_kg, tuple((c.status, c.picked_up_by_id, c.problem_kind)
                                                          for c in donation.crates))
    return state


class Lifecycle(RuleBasedStateMachine):
    """One small network, up to three donations, a dozen people, an outbox of offline operations."""

    def __init__(self, make_org, make_user):
        super().__init__()
        store, charity = make_org("store"), make_org("charity")
        self.net = Network(store=store, clerk=make_user("store", org=store), charity=charity,
                           charity_staff=make_user("charity", org=charity),
                           other_charity_staff=make_user("charity"), volunteer=make_user("volunteer"),
                           volunteer2=make_user("volunteer"), coordinator=make_user("coordinator"))
        self.people = [self.net.clerk, self.net.charity_staff, self.net.other_charity_staff,
                       self.net.volunteer, self.net.volunteer2, self.net.coordinator,
                       make_user("volunteer", volunteer_status="pending")]
        volunteers = [self.net.volunteer, self.net.volunteer2]
        # Mostly the people who would send each kind, so deep states are reached; anyone sometimes.
        self.likely = {"donation.claim": volunteers, "donation.unclaim": volunteers,
                       "crate.scan": volunteers + [self.net.charity_staff], "donation.pickup": volunteers,
                       "donation.deliver": volunteers, "donation.receive": [self.net.charity_staff],
                       "donation.cancel": [self.net.clerk], "crate.problem": [self.net.charity_staff]}
        self.donations, self.tokens = [], {}
        self.sent = []  # (op, user) that reached the server
        self.outbox = []  # (op, user) waiting on a phone

    # --- steps -----------------------------------------------------------------------
    @precondition(lambda self: len(self.donations) < 3)
    @rule(crates=st.integers(1, 3), cold=st.booleans())
    def post(self, crates, cold):
        fields = {"category": "latticini", "storage": "chilled"} if cold else {}
        donation = post_donation(self.net.clerk, self.net.charity, crates=crates, **fields)
        self.donations.append(donation.id)
        self.tokens[donation.id] = [c.token for c in donation.crates]

    @precondition(lambda self: self.donations)
    @rule(data=st.data(), count=st.integers(1, 4))
    def act(self, data, count):
        """A few people act, each online (sent now) or offline (queued with its real time)."""
        for _ in range(count):
            donation_id = data.draw(st.sampled_from(self.donations))
            kind = data.draw(st.sampled_from(KINDS))
            user = data.draw(st.sampled_from(self.likely[kind] * 4 + self.people))
            offline = data.draw(st.booleans())
            minutes_ago = data.draw(st.integers(20, 600)) if offline else 0
            op = {"op_id": ops.new_op_id(), "kind": kind,
                  "occurred_at": (utcnow() - timedelta(minutes=minutes_ago)).isoformat()}
            op.update(self._fields(data, kind, donation_id, user))
            if offline:
                self.outbox.append((op, user))
            else:
                self._send(op, user)

    @precondition(lambda self: self.donations)
    @rule(data=st.data(), steps=st.integers(1, 5))
    def pickup_story(self, data, steps):
        """A coherent stretch of a real pickup (claim, scans, pickup, delivery, receipt) by one volunteer."""
        donation_id = data.draw(st.sampled_from(self.donations))
        volunteer = data.draw(st.sampled_from([self.net.volunteer, self.net.volunteer2]))
        story = [("donation.claim", volunteer, {})]
        story += [("crate.scan", volunteer, {"token": t, "stage": "pickup"}) for t in self.tokens[donation_id]]
        story += [("donation.pickup", volunteer, {"temperature_c": 3}),
                  ("donation.deliver", volunteer, {}),
                  ("donation.receive", self.net.charity_staff, {"received_kg": 6.5, "problems": []})]
        for kind, user, fields in story[:steps + len(self.tokens[donation_id]) - 1]:
            op = {"op_id": ops.new_op_id(), "kind": kind, "occurred_at": utcnow().isoformat(), **fields}
            if kind.startswith("donation."):
                op["donation_id"] = donation_id
            if data.draw(st.booleans()):
                self._send(op, user)
            else:
                self.outbox.append((op, user))

    @precondition(lambda self: self.outbox)
    @rule(data=st.data())
    def phone_comes_online(self, data):
        """The outbox is sent late and in any order (several phones, retries)."""
        order = data.draw(st.permutations(range(len(self.outbox))))
        queued, self.outbox = self.outbox, []
        for index in order:
            self._send(*queued[index])

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def replay(self, data):
        op, user = data.draw(st.sampled_from(self.sent))
        before = _snapshot(self.donations)
        result = ops.apply(dict(op), user)
        assert result["status"] == "duplicate", result
        assert _snapshot(self.donations) == before

    @precondition(lambda self: self.donations)
    @rule(hours_later=st.sampled_from([0, 0, 30]))
    def worker_runs(self, hours_later):
        """The expiry job, now or the next day (when every window is over)."""
        before = _snapshot(self.donations)
        expire_due(now=utcnow() + timedelta(hours=hours_later))
        after = _snapshot(self.donations)
        for donation_id, state in after.items():
            if state[0] != before[donation_id][0]:
                assert (before[donation_id][0], state[0]) == ("posted", "expired")

    # --- helpers -----------------------------------------------------------------------
    def _fields(self, data, kind, donation_id, user):
        if kind in ("crate.scan", "crate.problem"):
            token = data.draw(st.sampled_from(self.tokens[donation_id] * 3 + ["ZZZZZZZZZZZZ"]))
            if kind == "crate.problem":
                return {"token": token, "problem": data.draw(st.sampled_from(["spoiled", "missing", "x"]))}
            usual = "receipt" if user.has_role("charity") else "pickup"
            stage = data.draw(st.sampled_from([usual] * 4 + ["pickup", "receipt"]))
            return {"token": token, "stage": stage, "temperature_c": data.draw(st.sampled_from([None, None, 3, 30]))}
        fields = {"donation_id": donation_id}
        if kind == "donation.unclaim" or kind == "donation.cancel":
            fields["reason"] = data.draw(st.sampled_from(["", "Imprevisto"]))
        if kind == "donation.pickup":
            fields["temperature_c"] = data.draw(st.sampled_from([2.5, 2.5, None, 25]))
        if kind == "donation.receive":
            fields["received_kg"] = data.draw(st.sampled_from([None, -3, 0, 4.5, "7,2"]))
            token = data.draw(st.sampled_from(self.tokens[donation_id]))
            fields["problems"] = data.draw(st.sampled_from([[], [{"token": token, "kind": "spoiled"}]]))
        return fields

    def _send(self, op, user):
        before = _snapshot(self.donations)
        result = ops.apply(op, user)
        after = _snapshot(self.donations)
        assert result["status"] in ("applied", "refused"), result
        for donation_id, state in after.items():
            old, new = before[donation_id][0], state[0]
            if result["status"] == "refused":
                assert state == before[donation_id], (op, result)
            elif old != new:
                assert (old, new) in EDGES, (op, old, new)
        self.sent.append((op, user))

    # --- invariants ------------------------------------------------------------------------
    @invariant()
    def one_holder_at_a_time(self):
        for donation in db.session.scalars(db.select(Donation).where(Donation.id.in_(self.donations))):
            if donation.status in HOLDING:
                assert donation.holder_id is not None and donation.holder_id == donation.claimed_by_id
            else:
                assert donation.holder_id is None
            if donation.status == "posted":
                assert donation.claimed_by_id is None
            if donation.status in ("posted", "claimed", "cancelled", "expired"):
                assert all(c.status == "at_store" for c in donation.crates), donation
            assert donation.received_kg is None or donation.received_kg >= 0

    @invariant()
    def every_operation_logged_once(self):
        op_ids = [op["op_id"] for op, _user in self.sent]
        if not op_ids:
            return
        counts = dict(db.session.execute(db.select(Operation.op_id, db.func.count())
                                         .where(Operation.op_id.in_(op_ids)).group_by(Operation.op_id)).all())
        assert counts == {op_id: 1 for op_id in op_ids}


def test_lifecycle_invariants_hold_under_random_operations(app, make_org, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_OPEN_CLAIMS", 50)  # the limit is tested on its own
    run_state_machine_as_test(
        lambda: Lifecycle(make_org, make_user),
        settings=settings(max_examples=30, stateful_step_count=25, derandomize=True, deadline=None,
                          database=None, suppress_health_check=list(HealthCheck)))
    # The runs really explored the machine: every state was reached by some donation.
    reached = set(db.session.scalars(db.select(Donation.status).distinct()))
    assert reached == {"posted", "claimed", "picked_up", "delivered", "received", "cancelled", "expired"}
