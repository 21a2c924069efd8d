"""Query budget: each main page runs a fixed number of SQL statements, whatever the data (N+1 guard).

Every page of BUDGETS is requested by its role on a small network, then again
after the network grew (more donations in every state, carried by more
volunteers, received by more charities, over more months); the count of SQL
statements must not grow and must stay within the page's budget. On PostgreSQL
each statement is a network round trip, so the budget is also a latency budget.
Other pages join by adding a row to BUDGETS (path, role, budget).
"""
from datetime import timedelta

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models.base import utcnow
from app.services.people import accounts
from tests.impact_helpers import issue_ddt, make_donation

# (path, role, most statements allowed). Every signed-in page also loads the session user with
# memberships, profile and the unread-notifications badge in one statement (1).
BUDGETS = [
    ("/volontario/", "volunteer", 4),
    ("/volontario/miei", "volunteer", 5),
    ("/volontario/impatto", "volunteer", 4),
    ("/negozio/", "store", 5),  # + today's scheduled pickups (rota) and the agreement card
    ("/negozio/storico", "store", 4),
    ("/negozio/impatto", "store", 7),  # + the rota's figures in operational health
    ("/ente/", "charity", 6),  # + the agreement card and the charity's capacity and needs
    ("/ente/impatto", "charity", 7),  # + the rota's figures in operational health
    ("/coordinamento/", "coordinator", 7),
    ("/coordinamento/ritiri", "coordinator", 6),  # + the provinces of the filter
    ("/coordinamento/impatto", "coordinator", 11),
    ("/coordinamento/documenti", "coordinator", 4),
    # One page of volunteers with their memberships and profiles, the counts of every status.
    ("/coordinamento/volontari?stato=approved", "coordinator", 5),
    # The latest full check, the last seq, the entries after the checkpoint, one page of entries.
    ("/coordinamento/registro-volontari", "coordinator", 5),
    ("/", None, 4),
    # The year's span, its months and their stored parts, the rollup rows of months without a valid part.
    ("/open-data/impatto.json", None, 3),
    ("/open-data/impatto.csv", None, 3),
]


# Transaction control is not a query (pysqlite sends BEGIN itself; on PostgreSQL it rides along).
TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


class Grower:
    """Adds donations in every state around a store, its charity and the signed-in volunteer."""

    def __init__(self, make_org, make_user):
        self.make_org, self.make_user = make_org, make_user
        self.store = make_org("store")
        self.charity = make_org("charity")
        self.users = {"store": make_user("store", org=self.store), "charity": make_user("charity", org=self.charity),
                      "volunteer": make_user("volunteer"), "coordinator": make_user("coordinator")}
        self.rounds = 0

    def grow(self, times):
        """`times` more donations of each kind, each carried by a new volunteer (and some by ours)."""
        now = utcnow()
        for _ in range(times):
            self.rounds += 1
            other = self.make_user("volunteer")
            charity = self.make_org("charity") if self.rounds % 2 else self.charity
            me = self.users["volunteer"]
            ago = timedelta(days=40 * (self.rounds % 6))
            picked = now - ago - timedelta(hours=3)
            for status, claimer, received in (("received", other, picked + timedelta(hours=1)),
                                              ("received", me, picked + timedelta(hours=1)),
                                              ("delivered", other, None), ("picked_up", other, None)):
                donation = make_donation(self.store, self.charity if status != "received" else charity,
                                         status=status, category="dispensa", kg=10.0 + self.rounds,
                                         posted=picked - timedelta(hours=2), window=(picked - timedelta(hours=1),
                                                                                     picked + timedelta(hours=2)),
                                         claimed=picked - timedelta(hours=1), claimer=claimer, picked=picked,
                                         received=received, receiver=self.users["charity"] if received else None,
                                         received_kg=9.5 if received else None, crates=2)
                issue_ddt(donation, claimer)
            # Open today: one posted (on the volunteer's list, the board, the charity's schedule), one claimed.
            window = (now + timedelta(hours=1), now + timedelta(hours=3))
            make_donation(self.store, self.charity, status="posted", category="dispensa", kg=5.0, posted=now,
                          window=window, crates=2)
            make_donation(self.store, self.charity, status="claimed", category="dispensa", kg=6.0, posted=now,
                          window=window, claimed=now, claimer=other, crates=2)
            # A sign-up approved by the coordinator: one more line of the volunteer register.
            accounts.decide_volunteer(self.make_user("volunteer", volunteer_status="pending"),
                                      self.users["coordinator"], "approve")


def _count(client, path):
    """(status, [SQL statements]) of one GET of `path`."""
    seen = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(TRANSACTION):
            seen.append(" ".join(statement.split())[:160])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return response.status_code, seen


@pytest.fixture
def grower(app, make_org, make_user):
    """A network that can grow; its people sign in per test."""
    return Grower(make_org, make_user)


@pytest.mark.parametrize("path,role,budget", BUDGETS, ids=[p for p, _r, _b in BUDGETS])
def test_page_statements_do_not_grow_with_the_data(app, client, login_as, grower, path, role, budget):
    if role:
        login_as(grower.users[role])
    grower.grow(1)
    client.get(path)  # first request of the process: caches, not the page, may query once more
    status, small = _count(client, path)
    assert status == 200
    grower.grow(4)
    status, large = _count(client, path)
    assert status == 200
    listing = "\n  ".join(large)
    assert len(large) == len(small), (f"{path}: {len(small)} statements with little data, {len(large)} with more "
                                      f"(N+1):\n  {listing}")
    assert len(large) <= budget, f"{path}: {len(large)} statements, budget {budget}:\n  {listing}"
