"""Today's raw-SQL impact figures (stats.py before the rollups), kept as the reference of the rollup tests.

Straight from the donation rows: GROUP BY over rescued donations dated by their
pickup instant. tests/test_rollups.py checks the rollup-based stats give the same.
"""
from datetime import timedelta

from sqlalchemy import case, func, literal, select

from app.extensions import db
from app.models import Donation, Organisation
from app.services.impact import periods, stats
from app.services.impact.scope import Scope, scope_filters

RESCUED = ("picked_up", "delivered", "received")
NOT_FOOD = "non_umano"


def month_key(column, period):
    """The Rome month 'YYYY-MM' of `column` (PostgreSQL converts; SQLite compares with month edges)."""
    keys = ["%d-%02d" % month for month in period.months]
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(periods.ROME.key, column), "YYYY-MM")
    edges = period.edges()

    def build(lo, hi):
        if hi - lo == 1:
            return literal(keys[lo])
        mid = (lo + hi) // 2
        return case((column < edges[mid], build(lo, mid)), else_=build(mid, hi))

    return build(0, len(keys))


def aggregate(conditions, keys, joins=()):
    """GROUP BY `keys` over the rescued donations matching `conditions` (the old stats._aggregate)."""
    inner = select(*(expr.label(name) for name, expr in keys.items()), Donation.received_kg,
                   Donation.kg_declared, Donation.category.label("_category"), Donation.value_eur)
    for target, on in joins:
        inner = inner.join(target, on)
    d = inner.where(*conditions).subquery()
    kg = func.coalesce(d.c.received_kg, d.c.kg_declared)
    columns = [d.c[name] for name in keys]
    return db.session.execute(select(
        *columns, func.count().label("lots"), func.sum(kg).label("kg"),
        func.sum(func.coalesce(d.c.received_kg, 0.0)).label("kg_weighed"),
        func.sum(case((d.c.received_kg.is_(None), d.c.kg_declared), else_=0.0)).label("kg_declared"),
        func.sum(case((d.c._category == NOT_FOOD, 0.0), else_=kg)).label("kg_food"),
        func.sum(func.coalesce(d.c.value_eur, d.c.kg_declared * stats.factors()["value_eur_per_kg"]))
        .label("value_eur"),
    ).group_by(*columns)).all()


def rescued(scope):
    """WHERE of the rescued donations of `scope`, dated by pickup."""
    return [Donation.status.in_(RESCUED), *scope_filters(scope, Donation.picked_up_at)]


def month_category(scope):
    """{(month, category): figures} from the donations."""
    rows = aggregate(rescued(scope), {"b": month_key(Donation.picked_up_at, scope.period),
                                      "category": Donation.category})
    return {(r.b, r.category): stats._figures(r) for r in rows}


def store_charity(scope):
    """{(store, charity): figures} from the donations."""
    rows = aggregate(rescued(scope), {"store": Donation.store_id, "charity": Donation.recipient_id})
    return {(r.store, r.charity): stats._figures(r) for r in rows}


def open_data(period):
    """{(month, category, municipality): figures} from the donations."""
    rows = aggregate(rescued(Scope(period=period)),
                     {"b": month_key(Donation.picked_up_at, period), "category": Donation.category,
                      "municipality": Organisation.municipality},
                     joins=[(Organisation, Organisation.id == Donation.store_id)])
    return {(r.b, r.category, r.municipality or ""): stats._figures(r) for r in rows}


def public_counters(now):
    """The home page's counters from the donations (the old stats.public_counters)."""
    day = periods.rome_date(now)
    year_start, month_start = periods.month_start(day.year, 1), periods.month_start(day.year, day.month)
    kg = func.coalesce(Donation.received_kg, Donation.kg_declared)
    food = case((Donation.category == NOT_FOOD, 0.0), else_=kg)
    this_month = Donation.picked_up_at >= month_start
    row = db.session.execute(select(
        func.sum(kg).label("kg_year"), func.sum(case((this_month, kg), else_=0.0)).label("kg_month"),
        func.sum(food).label("food_year"), func.sum(case((this_month, food), else_=0.0)).label("food_month"))
        .where(Donation.status.in_(RESCUED), Donation.picked_up_at >= year_start,
               Donation.picked_up_at < now + timedelta(days=1))).one()
    meal = stats.factors()["meal_kg"]
    return {"kg_month": float(row.kg_month or 0), "kg_year": float(row.kg_year or 0),
            "meals_month": float(row.food_month or 0) / meal, "meals_year": float(row.food_year or 0) / meal}
