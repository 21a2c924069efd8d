"""The network's counts (active organisations by kind, volunteers by status), exact and constant to read.

Every change to an Organisation's kind or active flag, or to a VolunteerProfile's
status, is an ORM flush (no bulk statement in the app changes them): mapper
listeners (after insert, after update, before delete) add the change to the
NetworkCount rows on the flush's connection, in the same transaction, so a
rolled-back transaction or savepoint takes its counts back with it. A change of
key takes the two rows in name order. Bulk loads (the scale benchmark's COPY) and migrations call rebuild();
`flask rollups check` compares the rows with a count of the tables.
"""
from sqlalchemy import delete, event, func, insert, inspect, select

from app.extensions import db
from app.models import Organisation, VolunteerProfile
from app.models.counts import NetworkCount


def org_key(kind, active):
    """The key an organisation counts under, None when it does not count (inactive)."""
    return f"org:{kind}" if active else None


def volunteer_key(status):
    return f"volunteer:{status}" if status else None


def _value(target, name, old):
    """The attribute's value before this flush (`old`) or as it is written."""
    history = inspect(target).attrs[name].history
    if old and history.deleted:
        return history.deleted[0]
    return getattr(target, name)


def _key(target, old=False):
    if isinstance(target, Organisation):
        return org_key(_value(target, "kind", old), _value(target, "active", old))
    return volunteer_key(_value(target, "status", old))


def _move(connection, key, amount):
    """Add `amount` to the count of `key` (a row made on its first use) in the flush's transaction."""
    if key is None or not amount:
        return
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    table = NetworkCount.__table__
    connection.execute(upsert(table).values(name=key, n=amount).on_conflict_do_update(
        index_elements=["name"], set_={"n": table.c.n + amount}))


# Moves on whenever the charities the equity counts may have changed (one, its activity, its people served):
# what a cache of figures over every charity checks instead of reading 8,000 rows (equity.py).
CHARITIES_VERSION = "version:charities"
CHARITY_FIELDS = ("kind", "active", "people_served_week")


def _charity_change(target, updated):
    if not isinstance(target, Organisation) or "charity" not in (target.kind, _value(target, "kind", old=True)):
        return False
    return not updated or any(inspect(target).attrs[name].history.has_changes() for name in CHARITY_FIELDS)


def _inserted(_mapper, connection, target):
    _move(connection, _key(target), 1)
    if _charity_change(target, updated=False):
        _move(connection, CHARITIES_VERSION, 1)


def _updated(_mapper, connection, target):
    before, after = _key(target, old=True), _key(target)
    moves = [(before, -1), (after, 1)] if before != after else []
    if _charity_change(target, updated=True):
        moves.append((CHARITIES_VERSION, 1))
    for key, amount in sorted(moves, key=lambda pair: pair[0] or ""):
        _move(connection, key, amount)


def _deleted(_mapper, connection, target):
    _move(connection, _key(target, old=True), -1)
    if _charity_change(target, updated=False):
        _move(connection, CHARITIES_VERSION, 1)


for _model in (Organisation, VolunteerProfile):
    event.listen(_model, "after_insert", _inserted)
    event.listen(_model, "after_update", _updated)
    event.listen(_model, "before_delete", _deleted)


def counted():
    """{key: n} counted from the tables (what the rows must hold)."""
    orgs = db.session.execute(select(Organisation.kind, func.count()).where(Organisation.active.is_(True))
                              .group_by(Organisation.kind)).all()
    volunteers = db.session.execute(select(VolunteerProfile.status, func.count())
                                    .group_by(VolunteerProfile.status)).all()
    return {**{org_key(kind, True): n for kind, n in orgs}, **{volunteer_key(status): n for status, n in volunteers}}


def stored():
    """{key: n} of the NetworkCount rows that count something (one small read; versions left out)."""
    return {name: n for name, n in db.session.execute(select(NetworkCount.name, NetworkCount.n))
            if n and not name.startswith("version:")}


def active_organisations():
    """{kind: active organisations of that kind}."""
    return {name.split(":", 1)[1]: n for name, n in stored().items() if name.startswith("org:")}


def volunteers_by_status():
    """{status: volunteers with that status}."""
    return {name.split(":", 1)[1]: n for name, n in stored().items() if name.startswith("volunteer:")}


def charities_version():
    """CHARITIES_VERSION's value (0 before any charity)."""
    return db.session.scalar(select(NetworkCount.n).where(NetworkCount.name == CHARITIES_VERSION)) or 0


def differences():
    """Keys whose stored count differs from the tables' (empty when exact; versions are not counts)."""
    want, have = counted(), stored()
    return sorted(key for key in set(want) | set(have) if want.get(key, 0) != have.get(key, 0))


def rebuild():
    """Count the tables again into NetworkCount (after a bulk load); does not commit."""
    db.session.execute(delete(NetworkCount).where(~NetworkCount.name.startswith("version:")))
    rows = [{"name": key, "n": n} for key, n in sorted(counted().items())]
    if rows:
        db.session.execute(insert(NetworkCount), rows)
    _move(db.session.connection(), CHARITIES_VERSION, 1)  # the load may have changed the charities too
    return len(rows)
