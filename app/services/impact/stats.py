"""Impact and operational figures: impact from the rollups (rollups.py), health from its own (health.py).

Definitions (shown on the dashboard too):
- Rescued food: donations picked up (status picked_up, delivered or received),
  counted in the Rome month of the pickup (`picked_up_at`).
- kg: received kg where the charity weighed it, else the store's declared kg;
  both parts are reported separately so pages can say which.
- Meal equivalents: kg of food for people (not the "non per consumo umano"
  category) / MEAL_KG. CO2e: all rescued kg x CO2E_PER_KG.
- EUR value: the declared last selling price, else kg x VALUE_EUR_PER_KG.
- Operational health looks at donations *posted* in the period (health.py).
- The rollup keeps these definitions per Rome day (app/services/impact/rollups.py);
  tests/test_rollups.py proves its figures equal the raw-SQL ones on random histories.
"""
from datetime import timedelta
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import case, func, select, tuple_

from app.extensions import db
from app.models import (ImpactDay, ImpactMonthCategory, ImpactMonthCharity, ImpactMonthMunicipality, ImpactMonthStore,
                        ImpactPeriodCharity, ImpactPeriodMunicipality, ImpactPeriodStore, Organisation)
from app.models.base import utcnow
from app.services.impact import health as stats_health, periods, rollups
from app.services.impact.scope import Scope, scope_filters  # noqa: F401  (Scope: stats.Scope)

RESCUED = ("picked_up", "delivered", "received")
NOT_FOOD = "non_umano"


def factors():
    """The conversion factors in force (config, DOMAIN.md defaults)."""
    config = current_app.config
    return {"meal_kg": float(config.get("MEAL_KG", 0.5)),
            "co2e_per_kg": float(config.get("CO2E_PER_KG", 2.5)),
            "value_eur_per_kg": float(config.get("VALUE_EUR_PER_KG", 3.7))}


# --- building blocks: every figure reads the rollup (app/models/rollup.py), never the donations ---

def network_wide(scope):
    """True when `scope` spans the whole network (no store, charity or volunteer): the monthly tables answer."""
    return scope.store_id is None and scope.charity_id is None and scope.volunteer_id is None


def rollup_filters(scope, model=ImpactDay):
    """WHERE conditions of `scope` on a rollup table (Rome pickup days, or months, of the period)."""
    first = periods.rome_date(scope.period.start)
    after = periods.rome_date(scope.period.end)
    when = model.day if model is ImpactDay else model.month
    conditions = [when >= first, when < after]
    for name, value in (("store_id", scope.store_id), ("charity_id", scope.charity_id),
                        ("category", scope.category or None), ("carrier_id", scope.volunteer_id)):
        if value is not None:
            conditions.append(getattr(model, name) == value)
    return conditions


def month_key(column):
    """SQL giving 'YYYY-MM' of a DATE column (a rollup's Rome day or month)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _sums(model):
    """The figure columns summed over rollup cells of `model` (labels as _figures reads them)."""
    return tuple(_amounts(model, summed=True))


def _aggregate(conditions, keys, joins=(), model=ImpactDay):
    """GROUP BY `keys` (label -> SQL expression) over the cells of `model` matching `conditions`."""
    query = select(*(expr.label(name) for name, expr in keys.items()), *_sums(model)).select_from(model)
    for target, on in joins:
        query = query.join(target, on)
    return db.session.execute(query.where(*conditions).group_by(*keys.values())).all()


def _figures(row, f=None):
    """A dict of figures from an aggregate row (None sums become 0)."""
    f = f or factors()
    kg = float(row.kg or 0)
    return {"lots": int(row.lots or 0), "kg": kg, "kg_weighed": float(row.kg_weighed or 0),
            "kg_declared": float(row.kg_declared or 0), "meals": float(row.kg_food or 0) / f["meal_kg"],
            "co2e_kg": kg * f["co2e_per_kg"], "value_eur": float(row.value_eur or 0)}


def empty_figures():
    return {"lots": 0, "kg": 0.0, "kg_weighed": 0.0, "kg_declared": 0.0, "meals": 0.0, "co2e_kg": 0.0,
            "value_eur": 0.0}


def add_figures(rows):
    """Sum figure dicts (totals of a breakdown whose parts are disjoint)."""
    total = empty_figures()
    for row in rows:
        for key in total:
            total[key] += row[key]
    return total


def _rollup(rows, key):
    """{key value: summed figures} over already aggregated rows (a few hundred at most)."""
    groups = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return {value: add_figures(parts) for value, parts in groups.items()}


def _ranked(groups, labels):
    rows = [{"key": k, "label": labels(k), **figures} for k, figures in groups.items()]
    return sorted(rows, key=lambda r: (-r["kg"], str(r["label"])))


# --- impact breakdowns ----------------------------------------------------------------------

def _month_category(scope):
    """Rescued figures per (month, category): at most months x categories rows, from the smallest table."""
    f = factors()
    model = ImpactMonthCategory if network_wide(scope) else ImpactDay
    when = model.month if model is ImpactMonthCategory else model.day
    rows = _aggregate(rollup_filters(scope, model), {"b": month_key(when), "category": model.category}, model=model)
    return [{"b": r.b, "category": r.category, **_figures(r, f)} for r in rows]


def network_cells(scope, dim):
    """(model, conditions) of the network's cells of `dim` ('store' or 'charity') over the scope's period.

    The period table when it holds the period (12 months in a row, a quarter: one row
    per store), the monthly table otherwise (a month: one row per store; other spans
    are summed over their months).
    """
    stored = rollups.stored_period(scope.period)
    if stored is not None:
        model = {"store": ImpactPeriodStore, "charity": ImpactPeriodCharity, "municipality": ImpactPeriodMunicipality}[dim]
        return model, [model.first == stored[0], model.months == stored[1]]
    model = {"store": ImpactMonthStore, "charity": ImpactMonthCharity, "municipality": ImpactMonthMunicipality}[dim]
    return model, rollup_filters(scope, model)


def _one_row_each(scope):
    """True when network_cells() gives one row per store or charity (nothing to sum)."""
    return rollups.stored_period(scope.period) is not None or scope.period.count == 1


def _store_charity(scope):
    """(per store, per charity) rescued figures, as rows {'store', 'charity', figures...}.

    Network-wide without a category, from the period or monthly store and charity
    tables (a row per store); otherwise one scan of the scope's day cells, by pair.
    """
    f = factors()
    if network_wide(scope) and not scope.category:
        model, where = network_cells(scope, "store")
        stores = _aggregate(where, {"store": model.store_id}, model=model)
        model, where = network_cells(scope, "charity")
        charities = _aggregate(where, {"charity": model.charity_id}, model=model)
        return ([{"store": r.store, "charity": None, **_figures(r, f)} for r in stores],
                [{"store": None, "charity": r.charity or None, **_figures(r, f)} for r in charities])
    rows = _aggregate(rollup_filters(scope), {"store": ImpactDay.store_id, "charity": ImpactDay.charity_id})
    pairs = [{"store": r.store, "charity": r.charity or None, **_figures(r, f)} for r in rows]
    return pairs, pairs


def _amounts(model, summed):
    """The figure columns of `model`'s cells (labels as _figures reads them), summed or of one cell."""
    kg = model.kg_received + model.kg_unweighed
    value = model.value_declared + model.kg_unvalued * factors()["value_eur_per_kg"]
    columns = {"lots": model.lots, "kg": kg, "kg_weighed": model.kg_received, "kg_declared": model.kg_unweighed,
               "kg_food": model.kg_food, "value_eur": value}
    return [(func.sum(c) if summed else c).label(name) for name, c in columns.items()]


def _top(key, model, where, limit, summed=True, named=False):
    """(the `limit` groups of `key` with most kg, as figure rows {'key', 'label', ...}, and how many groups there are).

    `summed=False` when `model` holds one row per group already: the rows are ranked
    as they are and counted apart (no window over 30,000 rows). `named`: the groups
    are organisations, named after the limit (ten rows joined, not 30,000).
    """
    query = select(key.label("key"), *_amounts(model, summed)).select_from(model).where(*where)
    if summed:
        inner = query.group_by(key).subquery()
        ranked = (select(inner, func.count().over().label("groups"))
                  .order_by(inner.c.kg.desc(), inner.c.key).limit(limit).subquery())
    else:
        groups = select(func.count()).select_from(model).where(*where).scalar_subquery()
        ranked = (query.add_columns(groups.label("groups"))
                  .order_by((model.kg_received + model.kg_unweighed).desc(), key).limit(limit).subquery())
    label = Organisation.name if named else ranked.c.key
    final = select(ranked, label.label("label"))
    if named:
        final = final.outerjoin(Organisation, Organisation.id == ranked.c.key)
    rows = db.session.execute(final.order_by(ranked.c.kg.desc(), ranked.c.key)).all()
    f = factors()
    return ([{"key": r.key, "label": r.label or "—", **_figures(r, f)} for r in rows],
            rows[0].groups if rows else 0)


def _rest(total, shown, groups):
    """The figures of the groups a bounded breakdown leaves out (the total less the shown ones), or None."""
    if groups <= len(shown):
        return None
    rest = {key: total[key] - sum(row[key] for row in shown) for key in total}
    return {"count": groups - len(shown), **rest}


def _bounded(rows, total, limit):
    """The first `limit` rows of a ranked breakdown and the rest's figures (None when nothing is left out)."""
    if limit is None or len(rows) <= limit:
        return rows, None
    return rows[:limit], _rest(total, rows[:limit], len(rows))


def _network_rankings(scope, total, limit):
    """The network's store, charity and municipality breakdowns, each its `limit` first groups and the rest.

    Three small queries over one row per store, charity or town (the period tables), each
    naming its groups: a national network has 30,000 stores; the page shows the first
    few, exactly, and the others in one row.
    """
    figures = {}
    stores, where = network_cells(scope, "store")
    charities, charity_where = network_cells(scope, "charity")
    towns, town_where = network_cells(scope, "municipality")
    single = _one_row_each(scope)
    for name, rows_and_groups in (
            ("by_store", lambda: _top(stores.store_id, stores, where, limit, summed=not single, named=True)),
            ("by_charity", lambda: _top(charities.charity_id, charities, charity_where, limit, summed=not single,
                                        named=True)),
            # The monthly municipality cells are per category too: summed even over one month.
            ("by_municipality", lambda: _top(towns.municipality, towns, town_where, limit,
                                             summed=rollups.stored_period(scope.period) is None))):
        rows, groups = rows_and_groups()
        for row in rows:
            row["key"] = row["key"] or None  # no charity (0), no town ('')
        rows.sort(key=lambda r: (-r["kg"], str(r["label"])))
        figures[name], figures[name + "_rest"] = rows, _rest(total, rows, groups)
    return figures


def _months(scope, cells):
    groups = _rollup(cells, "b")
    return [{"year": year, "month": month, "key": f"{year}-{month:02d}", "label": periods.month_label(year, month),
             **groups.get(f"{year}-{month:02d}", empty_figures())} for year, month in scope.period.months]


def _categories(cells):
    from app.domain import category_label

    return _ranked(_rollup(cells, "category"), lambda k: str(category_label(k)))


def _names(ids):
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {row.id: row for row in db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.municipality).where(Organisation.id.in_(ids)))}


def by_month(scope):
    """[{'year', 'month', 'key', 'label', figures...}] for every month of the period (empty ones too)."""
    return _months(scope, _month_category(scope))


def by_category(scope):
    """Rescued figures per category key, most kg first."""
    return _categories(_month_category(scope))


def _organisations(pairs, key, names=None):
    groups = _rollup(pairs, key)
    names = _names(groups) if names is None else names
    return _ranked(groups, lambda k: names[k].name if k in names else "—"), names


def by_store(scope):
    """Rescued figures per donor store (id and name), most kg first."""
    return _organisations(_store_charity(scope)[0], "store")[0]


def by_charity(scope):
    """Rescued figures per recipient charity (id and name), most kg first."""
    return _organisations(_store_charity(scope)[1], "charity")[0]


def by_municipality(scope, pairs=None, names=None):
    """Rescued figures per municipality of the donor store, most kg first.

    Each store lies in one municipality, so adding up the per-store aggregates
    from SQL gives the municipality's exactly, without another scan.
    """
    stores, names = _organisations(_store_charity(scope)[0] if pairs is None else pairs, "store", names)
    for row in stores:
        row["municipality"] = names[row["key"]].municipality if row["key"] in names else ""
    return _ranked(_rollup(stores, "municipality"), lambda k: k or "—")


def impact(scope, limit=None):
    """Totals and every breakdown of `scope`, from two GROUP BY scans (month x category, store x charity).

    With `limit`, the store, charity and municipality breakdowns keep their `limit`
    groups with most kg and sum the others in `by_store_rest` (etc.: None when none
    is left out); the totals stay exact. Network-wide without a category they come
    from one row per store or charity; otherwise from the scope's day cells.
    """
    cells = _month_category(scope)
    months = _months(scope, cells)
    total = add_figures(months)
    figures = {"total": total, "by_month": months, "by_category": _categories(cells)}
    if limit is not None and network_wide(scope) and not scope.category:
        figures.update(_network_rankings(scope, total, limit))
        return figures
    stores, charities = _store_charity(scope)
    # One query for the names of every store and charity in the breakdowns.
    names = _names({r["store"] for r in stores} | {r["charity"] for r in charities})
    for key, rows in (("by_store", _organisations(stores, "store", names)[0]),
                      ("by_charity", _organisations(charities, "charity", names)[0]),
                      ("by_municipality", by_municipality(scope, stores, names))):
        figures[key], figures[key + "_rest"] = _bounded(rows, total, limit)
    return figures


def health(scope, now=None):
    """Operational figures for the donations posted in the period (see stats_health.health)."""
    return stats_health.health(scope, now)


BREAKDOWN_ROWS = 10  # stores, charities and towns the dashboard lists by name (the rest in one row)


def dashboard(scope, now=None, limit=BREAKDOWN_ROWS):
    """Everything the coordinator dashboard shows for `scope` (breakdowns bounded to `limit` groups)."""
    figures = impact(scope, limit)
    figures["health"] = health(scope, now)
    lots = figures["total"]["lots"]
    figures["health"]["kg_per_pickup"] = figures["total"]["kg"] / lots if lots else None
    figures["factors"] = factors()
    return figures


# --- a volunteer's own figures ------------------------------------------------------------------

def volunteer_figures(user_id, period):
    """kg carried, pickups, meals and CO2e of the DDTs this volunteer carried in the period."""
    scope = Scope(period=period, volunteer_id=user_id)
    cells = _month_category(scope)
    months = _months(scope, cells)
    return {"total": add_figures(months), "by_month": months, "by_category": _categories(cells)}


# --- public figures -------------------------------------------------------------------------------

def public_counters(now=None):
    """kg and meal equivalents rescued this month and this year (Rome), as floats, for the home page.

    From the network's month x category table: a dozen rows a year at any size.
    """
    now = now or utcnow()
    day = periods.rome_date(now)
    r = ImpactMonthCategory
    kg = r.kg_received + r.kg_unweighed
    this_month = r.month == day.replace(day=1)
    row = db.session.execute(select(
        func.sum(kg).label("kg_year"), func.sum(case((this_month, kg), else_=0.0)).label("kg_month"),
        func.sum(r.kg_food).label("food_year"), func.sum(case((this_month, r.kg_food), else_=0.0)).label("food_month"))
        .where(r.month >= day.replace(month=1, day=1), r.month <= day)).one()
    meal = factors()["meal_kg"]
    return {"kg_month": float(row.kg_month or 0), "kg_year": float(row.kg_year or 0),
            "meals_month": float(row.food_month or 0) / meal, "meals_year": float(row.food_year or 0) / meal}


def open_data_cells(now=None, pairs=None):
    """The month x category x store municipality cells up to now's month (or of the (month, category) `pairs`).

    `pairs` holds (1st-of-month date, category) tuples. Plain tuples (month,
    category, municipality, lots, kg, kg_weighed, kg_declared, kg_food,
    value_eur), sorted by month, category and municipality; about 10,000 a
    month at national size, 1,300 a month and category. Sorted here, not by
    the database: its collation would make the files differ between servers.
    """
    if pairs is not None and not pairs:
        return []
    today = periods.rome_date(now or utcnow())
    r = ImpactMonthMunicipality
    conditions = [r.month <= today] + ([tuple_(r.month, r.category).in_(pairs)] if pairs is not None else [])
    rows = db.session.execute(select(
        r.month, r.category, r.municipality, r.lots, r.kg_received + r.kg_unweighed, r.kg_received,
        r.kg_unweighed, r.kg_food, r.value_declared + r.kg_unvalued * factors()["value_eur_per_kg"])
        .where(*conditions)).all()
    return sorted(map(tuple, rows))  # (month, category, municipality) is unique: the first three decide


def open_data_rows(now=None):
    """Rescued food by Rome month x category x store municipality, every month up to now's.

    No names, no people: only counts, kg and derived figures. The current month is provisional.
    """
    now = now or utcnow()
    current = periods.rome_date(now).replace(day=1)
    f = factors()
    return [{"month": "%d-%02d" % (month.year, month.month), "provisional": month == current, "category": category,
             "municipality": municipality, **_figures(SimpleNamespace(lots=lots, kg=kg, kg_weighed=weighed,
                                                                      kg_declared=declared, kg_food=food,
                                                                      value_eur=value), f)}
            for month, category, municipality, lots, kg, weighed, declared, food, value in open_data_cells(now)]
