"""Keeps the impact rollups (app/models/rollup.py) exact: in the operation's transaction, and by rebuild.

`sync_on_operation` is a subscriber of the engine: after every applied
operation on a donation it compares what the donation should add to the
rollup now (its Rome pickup day, store, the store's municipality, charity,
category, DDT carrier and amounts) with what `ImpactSource` says it adds, and
moves the difference. The donation row is locked by the operation, so two
operations on the same donation never sync at once; cells are upserted with ON
CONFLICT, so two donations of the same cell can. `rebuild()` recomputes
everything from the donations (after a bulk load, or to repair): running it
twice changes nothing.

Every change first bumps the version of the (month, category) pairs it
touches (ImpactVersion, in order), which tells the open data which parts to
build again. It is one row per month x category cell, which every such change
updates anyway: no new contention; and since it is taken before any cell, two
changes of the same pairs can no longer lock cells in opposite orders.
A store's municipality is part of the open data's cells: `move_store` moves
its contributions when a coordinator corrects it.
The same subscriber keeps the health rollups exact through health_rollups.py, and
the period tables (every 12 months in a row, every quarter) beside the monthly ones.
"""
import secrets
import time
from datetime import date

from sqlalchemy import (Date, Integer, String, case, cast, delete, func, insert, literal, literal_column, select, text,
                        true, tuple_, type_coerce, union_all)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import (Donation, ImpactDay, ImpactMonthCategory, ImpactMonthCharity, ImpactMonthMunicipality,
                        ImpactMonthStore, ImpactMonthVersion, ImpactPeriodCharity, ImpactPeriodMunicipality,
                        ImpactPeriodStore, ImpactSource,
                        ImpactVersion, Organisation, TransportDocument)
from app.models.rollup import NONE_ID
# documents first: its subscriber issues the DDT, which this one must find (the carrier), whoever imports us first.
from app.services.impact import documents  # noqa: F401,I100
from app.services.impact import health_rollups, periods
from app.services.ops.core import SUBSCRIBERS
from app.services.people import counts

RESCUED = ("picked_up", "delivered", "received")
NOT_FOOD = "non_umano"
CELL = ("day", "store_id", "charity_id", "category", "carrier_id")
# What ImpactSource records of a contribution: its cell (with the store's municipality) and amounts.
SOURCE = ("donation_id", *CELL, "municipality", "kg_declared", "kg_received", "value_eur")
AMOUNTS = ("lots", "weighed_lots", "kg_declared", "kg_received", "kg_unweighed", "kg_food", "value_declared",
           "kg_unvalued")
# Every rollup table and its key; the monthly ones key on `month` (the 1st) and one dimension.
TABLES = ((ImpactDay, CELL), (ImpactMonthCategory, ("month", "category")),
          (ImpactMonthStore, ("month", "store_id")), (ImpactMonthCharity, ("month", "charity_id")),
          (ImpactMonthMunicipality, ("month", "municipality", "category")))
# The period tables (every 12 months in a row, every quarter), their dimension and the monthly table they sum.
PERIOD_TABLES = ((ImpactPeriodStore, "store_id", ImpactMonthStore), (ImpactPeriodCharity, "charity_id", ImpactMonthCharity),
                 (ImpactPeriodMunicipality, "municipality", ImpactMonthMunicipality))
SPANS = (12, 3)  # months of the stored periods: 12 starting any month, 3 starting a quarter


def months_before(month, count):
    """The 1st of the month `count` months before `month` (a date)."""
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def period_keys(month):
    """The (first month, months) of every stored period that contains `month` (a 1st of the month)."""
    quarter = month.replace(month=(month.month - 1) // 3 * 3 + 1)
    return [(months_before(month, k), 12) for k in range(12)] + [(quarter, 3)]


def stored_period(period):
    """(first month, months) when the period tables hold `period` (periods.Period), else None."""
    first = date(period.first[0], period.first[1], 1)
    if period.count == 12 or (period.count == 3 and period.first[1] % 3 == 1):
        return first, period.count
    return None


last_rebuild = {}  # what the last rebuild() did to the health rollups (flask rollups rebuild reports it)


def contribution(donation, carrier_id, municipality):
    """The ImpactSource values `donation` should have now, or None when it adds nothing.

    `municipality` is the donor store's, as the organisation row says now.
    """
    if donation.status not in RESCUED or donation.picked_up_at is None:
        return None
    return {"donation_id": donation.id, "day": periods.rome_date(donation.picked_up_at),
            "store_id": donation.store_id, "charity_id": donation.recipient_id or NONE_ID,
            "category": donation.category, "carrier_id": carrier_id or NONE_ID,
            "municipality": municipality or "", "kg_declared": donation.kg_declared,
            "kg_received": donation.received_kg, "value_eur": donation.value_eur}


def _amounts(source, sign):
    """The ImpactDay deltas of one donation's contribution (sign -1 takes it away)."""
    weighed = source["kg_received"] is not None
    valued = source["value_eur"] is not None
    best = source["kg_received"] if weighed else source["kg_declared"]
    return {"lots": sign, "weighed_lots": sign if weighed else 0,
            "kg_declared": sign * source["kg_declared"],
            "kg_food": 0.0 if source["category"] == NOT_FOOD else sign * best,
            "kg_received": sign * (source["kg_received"] or 0.0),
            "kg_unweighed": 0.0 if weighed else sign * source["kg_declared"],
            "value_declared": sign * (source["value_eur"] or 0.0) if valued else 0.0,
            "kg_unvalued": 0.0 if valued else sign * source["kg_declared"]}


def _upsert():
    return pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _touch(pairs):
    """Bump the version of each (month, category) (in order, so that two transactions take them in the same order)."""
    upsert = _upsert()
    for month, category in sorted(set(pairs)):
        statement = upsert(ImpactVersion).values(month=month, category=category, version=1)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=["month", "category"], set_={"version": ImpactVersion.version + 1}))


def _move(model, key, keys, amounts):
    """Add `amounts` (negative to take away) to one cell of `model`; drop the cell when it empties."""
    statement = _upsert()(model).values(**{k: keys[k] for k in key}, **amounts)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=list(key), set_={k: getattr(model, k) + statement.excluded[k] for k in AMOUNTS}))
    if amounts["lots"] < 0:
        # An empty cell would only carry rounding residue: remove it.
        db.session.execute(delete(model).where(*(getattr(model, k) == keys[k] for k in key), model.lots <= 0))


def _add(source, sign):
    """Upsert one donation's contribution into its cell of every rollup table; drop cells that empty."""
    keys = {**source, "month": source["day"].replace(day=1)}
    amounts = _amounts(source, sign)
    for model, key in TABLES:
        _move(model, key, keys, amounts)
    for model, dim, _monthly in PERIOD_TABLES:
        _move_periods(model, dim, keys[dim], keys["month"], amounts)


def _move_periods(model, dim, value, month, amounts):
    """Add `amounts` to the 13 periods of `model` that hold `month` for `value` of `dim`, in one statement;
    drop the rows that empty."""
    spans = period_keys(month)
    statement = _upsert()(model).values([{"first": first, "months": months, dim: value, **amounts}
                                         for first, months in spans])
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["first", "months", dim],
        set_={k: getattr(model, k) + statement.excluded[k] for k in AMOUNTS}))
    if amounts["lots"] < 0:
        db.session.execute(delete(model).where(getattr(model, dim) == value,
                                               tuple_(model.first, model.months).in_(spans), model.lots <= 0))


def sync_donation(donation_id, unclaimed_at=None):
    """Make the impact and health rollups count donation `donation_id` as it is now (no-op when already so).

    `unclaimed_at`: the instant of an unclaim being applied, which the log does not hold yet.
    """
    changed = _sync_impact(donation_id)
    changed = health_rollups.sync_health(donation_id, unclaimed_at) or changed
    if changed:
        db.session.flush()
    return changed


def _sync_impact(donation_id):
    """Make the impact rollup count donation `donation_id` as it is now; True when something moved."""
    donation = db.session.get(Donation, donation_id)
    new = None
    if donation is not None:
        # The store's municipality and the DDT's carrier (if any) in one round trip.
        found = db.session.execute(
            select(Organisation.municipality, TransportDocument.carrier_id).select_from(Organisation)
            .outerjoin(TransportDocument, TransportDocument.donation_id == donation_id)
            .where(Organisation.id == donation.store_id)).first()
        new = contribution(donation, found.carrier_id if found else None, found.municipality if found else "")
    row = db.session.get(ImpactSource, donation_id)
    old = {c: getattr(row, c) for c in SOURCE} if row is not None else None
    if old == new:
        return False
    _touch((source["day"].replace(day=1), source["category"]) for source in (old, new) if source is not None)
    _bump_versions({source["day"].replace(day=1) for source in (old, new) if source is not None})
    if old is not None:
        _add(old, -1)
    if new is None:
        db.session.delete(row)
    else:
        _add(new, +1)
        if row is None:
            db.session.add(ImpactSource(**new))
        else:
            for key, value in new.items():
                setattr(row, key, value)
    db.session.flush()
    return True


def move_store(store_id):
    """Count a store's rescued food under its municipality as it is now; returns how many donations moved.

    Call it in the transaction that changes the municipality. Only the
    month x municipality x category cells key on it: they are moved cell by
    cell (at most months x categories of them), the other tables stay as they are.
    """
    municipality = db.session.scalar(select(Organisation.municipality).where(Organisation.id == store_id)) or ""
    rows = db.session.scalars(select(ImpactSource).where(
        # Through the donations' store index: impact_source has none on store_id.
        ImpactSource.donation_id.in_(select(Donation.id).where(Donation.store_id == store_id)),
        ImpactSource.municipality != municipality)).all()
    if not rows:
        return 0
    cells = {}
    for row in rows:
        source = {c: getattr(row, c) for c in SOURCE}
        month = row.day.replace(day=1)
        for place, sign in ((row.municipality, -1), (municipality, +1)):
            cell = cells.setdefault((month, place, row.category), dict.fromkeys(AMOUNTS, 0))
            for name, value in _amounts(source, sign).items():
                cell[name] += value
        row.municipality = municipality
    _touch((month, category) for month, _place, category in cells)
    towns = {}
    for (month, place, category), amounts in sorted(cells.items()):
        _move(ImpactMonthMunicipality, ("month", "municipality", "category"),
              {"month": month, "municipality": place, "category": category}, amounts)
        town = towns.setdefault((month, place), dict.fromkeys(AMOUNTS, 0))
        for name, value in amounts.items():
            town[name] += value
    # The periods of the two towns (every category at once): the old one's first, in key order.
    for (month, place), amounts in sorted(towns.items(), key=lambda item: (item[1]["lots"] >= 0, item[0])):
        _move_periods(ImpactPeriodMunicipality, "municipality", place, month, amounts)
    db.session.flush()
    return len(rows)


def _bump_versions(months):
    """Count a change of the impact cells of `months` (what caches of a month's figures check, see equity.py)."""
    dialect = db.session.get_bind().dialect.name
    upsert = pg_insert if dialect == "postgresql" else sqlite_insert
    token = secrets.token_hex(8)
    statement = upsert(ImpactMonthVersion).values([{"month": month, "version": 1, "token": token}
                                                   for month in sorted(months)])
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["month"], set_={"version": ImpactMonthVersion.version + 1}))


def sync_on_operation(ctx):
    """Operation subscriber: bring the rollups in line with the operation's donation."""
    if ctx.refusal or ctx.donation_id is None:
        return
    sync_donation(ctx.donation_id, ctx.occurred_at if ctx.kind == "donation.unclaim" else None)


if sync_on_operation not in SUBSCRIBERS:  # after the DDT subscriber (registry order): the carrier is known
    SUBSCRIBERS.append(sync_on_operation)


def _sources_select():
    """SELECT of every donation's contribution, computed by the database (PostgreSQL)."""
    day = cast(func.timezone(periods.ROME.key, Donation.picked_up_at), Date)
    return (select(Donation.id, day, Donation.store_id, func.coalesce(Donation.recipient_id, NONE_ID),
                   Donation.category, func.coalesce(TransportDocument.carrier_id, NONE_ID),
                   func.coalesce(Organisation.municipality, ""), Donation.kg_declared, Donation.received_kg,
                   Donation.value_eur)
            .join(Organisation, Organisation.id == Donation.store_id)
            .outerjoin(TransportDocument, TransportDocument.donation_id == Donation.id)
            .where(Donation.status.in_(RESCUED), Donation.picked_up_at.is_not(None)))


def _month_of(column):
    """SQL for the 1st of the month of a DATE column."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", column), Date)
    return type_coerce(func.date(column, "start of month"), Date)  # SQLite answers text: read it as a date


def _cells_select(model, key):
    """SELECT summing ImpactSource into the cells of `model` (keyed by `key`)."""
    s = ImpactSource
    weighed = s.kg_received.is_not(None)
    valued = s.value_eur.is_not(None)
    best = func.coalesce(s.kg_received, s.kg_declared)
    columns = {"month": _month_of(s.day), "day": s.day, "store_id": s.store_id, "charity_id": s.charity_id,
               "category": s.category, "carrier_id": s.carrier_id, "municipality": s.municipality}
    keys = [columns[k] for k in key]
    return (select(*keys, func.count(), func.sum(case((weighed, 1), else_=0)), func.sum(s.kg_declared),
                   func.sum(func.coalesce(s.kg_received, 0.0)),
                   func.sum(case((weighed, 0.0), else_=s.kg_declared)),
                   func.sum(case((s.category == NOT_FOOD, 0.0), else_=best)),
                   func.sum(func.coalesce(s.value_eur, 0.0)),
                   func.sum(case((valued, 0.0), else_=s.kg_declared)))
            .group_by(*keys))


def _shifted(column, offset):
    """SQL for the 1st of the month `offset` months before a DATE column holding a 1st of the month."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(column - func.make_interval(0, offset), Date)
    return type_coerce(func.date(column, literal("-").concat(cast(offset, String)).concat(" months")), Date)


def _quarter_of(column):
    """SQL for the 1st of the quarter of a DATE column holding a 1st of the month."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("quarter", column), Date)
    return _shifted(column, (cast(func.strftime("%m", column), Integer) - 1) % 3)


def _period_select(dim, monthly):
    """SELECT summing a monthly table into the period cells (first, months, `dim`)."""
    m = monthly
    sums = [func.sum(getattr(m, k)) for k in AMOUNTS]
    offsets = union_all(*(select(literal(k).label("k")) for k in range(12))).subquery()
    first = _shifted(m.month, offsets.c.k)
    rolling = select(first.label("first"), literal(12).label("months"), getattr(m, dim), *sums) \
        .select_from(m).join(offsets, true()).group_by(first, getattr(m, dim))
    quarter = _quarter_of(m.month)
    quarters = select(quarter.label("first"), literal(3).label("months"), getattr(m, dim), *sums) \
        .group_by(quarter, getattr(m, dim))
    # In key order: a period's rows sit together on disk, so a page reads few blocks for 30,000 stores.
    return union_all(rolling, quarters).order_by(*(literal_column(str(n)) for n in (1, 2, 3)))


def _sum_cells():
    """(Re)fill every rollup table from ImpactSource, then the period tables from the monthly ones.

    Every version moves on: the open data's (month, category) ones, and the months' (a new token),
    so no cache keeps an older figure.
    """
    for model, key in TABLES:
        db.session.execute(delete(model))
        db.session.execute(insert(model).from_select([*key, *AMOUNTS], _cells_select(model, key)))
    for model, dim, monthly in PERIOD_TABLES:
        db.session.execute(delete(model))
        db.session.execute(insert(model).from_select(["first", "months", dim, *AMOUNTS], _period_select(dim, monthly)))
    v, c = ImpactVersion, ImpactMonthCategory
    db.session.execute(v.__table__.update().values(version=v.version + 1))
    db.session.execute(insert(v).from_select(["month", "category", "version"], select(c.month, c.category, 1).where(
        ~select(v.month).where(v.month == c.month, v.category == c.category).exists())))
    db.session.execute(delete(ImpactMonthVersion))
    db.session.execute(insert(ImpactMonthVersion).from_select(
        ["month", "version", "token"], select(ImpactMonthCategory.month, literal(1), literal(secrets.token_hex(8)))
        .group_by(ImpactMonthCategory.month)))


def _rows_with_municipality(query):
    """`query` (donations outer-joined to their DDT) with the store's municipality added."""
    return query.add_columns(Organisation.municipality).join(Organisation, Organisation.id == Donation.store_id)


def rebuild(batch=5000, impact=True, health=True):
    """Recompute the impact and health rollups from the donations, DDTs and log; returns (donations, cells).

    Commits. The health rollups (health_rollups.rebuild) are recomputed too; their
    count and time are in `last_rebuild` for the command's report. `impact=False` or
    `health=False` leaves that family alone (returning None for it): the two share no
    table, so two connections can rebuild them at once (the scale benchmark does).
    """
    sources = cells = None
    if impact:
        sources, cells = _rebuild_impact(batch)
        counts.rebuild()  # the network's counts: a bulk load left them behind too
    if health:
        began = time.perf_counter()
        last_rebuild["health_donations"] = health_rollups.rebuild(batch)
        last_rebuild["health_seconds"] = time.perf_counter() - began
    if db.session.get_bind().dialect.name == "postgresql":
        # Fresh statistics for the planner: the pages' small reads need them (an open window's
        # few rows through its index, not a scan), and autovacuum may be off or late.
        tables = ([ImpactSource, *(m for m, _k in TABLES), *(m for m, _d, _m in PERIOD_TABLES), ImpactMonthVersion]
                  if impact else []) + (list(health_rollups.TABLES) if health else [])
        db.session.execute(text("ANALYZE " + ", ".join(m.__tablename__ for m in tables)))
    db.session.commit()
    return sources, cells


def _rebuild_impact(batch):
    """The impact half of rebuild(): ImpactSource, then every cell, period and version table."""
    columns = list(SOURCE)
    db.session.execute(delete(ImpactSource))
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(insert(ImpactSource).from_select(columns, _sources_select()))
    else:
        # SQLite has no time zones: the Rome day is computed in Python, a batch at a time.
        query = _rows_with_municipality(
            select(Donation, TransportDocument.carrier_id)
            .outerjoin(TransportDocument, TransportDocument.donation_id == Donation.id)
            .where(Donation.status.in_(RESCUED), Donation.picked_up_at.is_not(None))).execution_options(yield_per=batch)
        rows = []
        for donation, carrier, municipality in db.session.execute(query):
            rows.append(contribution(donation, carrier, municipality))
            if len(rows) >= batch:
                db.session.execute(insert(ImpactSource), rows)
                rows = []
        if rows:
            db.session.execute(insert(ImpactSource), rows)
    _sum_cells()
    sources = db.session.scalar(select(func.count()).select_from(ImpactSource))
    cells = db.session.scalar(select(func.count()).select_from(ImpactDay))
    return sources, cells


def differences():
    """Donations whose recorded impact or health contribution differs from what they should add (catch-up check)."""
    expected = {}
    query = _rows_with_municipality(
        select(Donation, TransportDocument.carrier_id)
        .outerjoin(TransportDocument, TransportDocument.donation_id == Donation.id)
        .where(Donation.status.in_(RESCUED), Donation.picked_up_at.is_not(None)))
    for donation, carrier, municipality in db.session.execute(query):
        expected[donation.id] = contribution(donation, carrier, municipality)
    wrong = []
    for row in db.session.scalars(select(ImpactSource)):
        have = {c: getattr(row, c) for c in SOURCE}
        if expected.pop(row.donation_id, None) != have:
            wrong.append(row.donation_id)
    return sorted(set(wrong) | set(expected) | set(health_rollups.differences()))


def _differ(model, key, rows, tolerance):
    """Cells of `model` (keyed by `key`) that differ from `rows` of (*key, *AMOUNTS) sums, or are missing."""
    expected = {tuple(row[:len(key)]): row[len(key):] for row in rows}
    wrong = []
    for cell in db.session.scalars(select(model)):
        name = tuple(getattr(cell, k) for k in key)
        want = expected.pop(name, None)
        have = [getattr(cell, k) for k in AMOUNTS]
        if want is None or any(abs(float(a) - float(b)) > tolerance for a, b in zip(have, want)):
            wrong.append((model.__tablename__, name))
    return wrong + [(model.__tablename__, name) for name in expected]


def cell_differences(tolerance=1e-6):
    """Cells of the rollup tables that are not the sum of the contributions recorded for them."""
    wrong = []
    for model, key in TABLES:
        wrong += _differ(model, key, db.session.execute(_cells_select(model, key)), tolerance)
    for model, dim, monthly in PERIOD_TABLES:
        wrong += _differ(model, ("first", "months", dim), db.session.execute(_period_select(dim, monthly)), tolerance)
    return (wrong + health_rollups.cell_differences(tolerance)
            + [("network_count", key) for key in counts.differences()])


def catch_up():
    """Re-sync only the donations whose contribution is out of date; returns how many things it fixed. Commits."""
    wrong = differences()
    for donation_id in wrong:
        sync_donation(donation_id)
    db.session.commit()
    fixed = len(wrong)
    if counts.differences():  # the network's counts, after a bulk load or a change outside the ORM
        counts.rebuild()
        db.session.commit()
        fixed += 1
    if cell_differences():
        # The cells themselves drifted (written outside the engine): sum them again.
        _sum_cells()
        health_rollups.sum_cells()
        db.session.commit()
        fixed += 1
    return fixed
