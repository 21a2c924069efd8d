"""Equity: how evenly food reaches people across charities (kg per person served, Gini, Lorenz curve), by month.

Definitions (also on the dashboard):
- kg per person served of a charity in a period: the rescued kg it got
  (status picked_up, delivered or received, dated by pickup; weighed kg,
  else declared) divided by its `people_served_week`.
- The charities counted are the active ones that declare people served, also
  those that got nothing: an empty charity is exactly what unevenness means.
- The Gini coefficient is population-weighted: every person served counts
  once, so a charity of 400 people weighs four times one of 100. With the
  charities sorted by kg per person, x_i the cumulative share of people and
  y_i the cumulative share of kg, G = 1 - sum_i (x_i - x_{i-1}) (y_i + y_{i-1}).
  0 means every person got the same kg; near 1, a few got everything.
  No food in the period: no figure (None).

It reads the impact rollups like every other figure (app/models/rollup.py): for
network-wide scopes the period's one row per charity (the period tables, else the
monthly ones) and, month by month, the month-by-charity table; the daily cells
otherwise. A national network has 8,000 charities: each month's Gini sorts them
all, so a process keeps the months it measured, keyed by the month's
ImpactMonthVersion (which every change of its cells moves) and by the charities'
people served. One statement reads every month's version and the cells of only
the months whose figure is not known at that version: the figures stay exact,
and only the month that changed (the current one, usually) is measured again.
"""
import hashlib
from array import array
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import Date, Float, Integer, String, any_, func, literal, or_, select, tuple_, union_all

from sqlalchemy.dialects.postgresql import ARRAY

from app.extensions import db
from app.models import ImpactDay, ImpactMonthCharity, ImpactMonthVersion, Organisation
from app.models.rollup import NONE_ID
from app.services.impact import charts, stats
from app.services.impact.stats import month_key

CACHE = "raccolto.equity_months"  # current_app.extensions key of the months measured by this process
SHOWN = 10  # charities listed at each end of the kg-per-person table
LORENZ_POINTS = 60  # vertices drawn of the Lorenz curve (the Gini uses them all)


@dataclass(slots=True)
class Share:
    """One charity's food and people in a period."""

    charity_id: int
    name: str
    people: int
    kg: float

    @property
    def kg_per_person(self):
        return self.kg / self.people


@dataclass
class Equity:
    """The equity figures of one period (or month): shares sorted by kg per person, the Gini, the Lorenz points.

    `rows` are the shares as plain tuples (kg per person, charity id, name, people, kg), in that order: a
    national network has 8,000 charities, and a page needs only a few of them as Share objects.
    """

    rows: list
    gini: float | None
    lorenz: list = field(default_factory=list)  # [(people share, kg share)] from (0, 0) to (1, 1)

    @property
    def shares(self):
        return [Share(charity_id, name, people, kg) for _ratio, charity_id, name, people, kg in self.rows]

    @property
    def kg(self):
        return sum(row[4] for row in self.rows)

    @property
    def people(self):
        return sum(row[3] for row in self.rows)

    def ends(self, count=SHOWN):
        """{'most': the `count` shares with most kg per person, 'middle': the others as {'count', 'kg',
        'people'} (None when none), 'least': the `count` with least}: what a page lists of thousands."""
        def shares(rows):
            return [Share(charity_id, name, people, kg) for _ratio, charity_id, name, people, kg in reversed(rows)]
        if len(self.rows) <= 2 * count:
            return {"most": shares(self.rows), "middle": None, "least": []}
        middle = self.rows[count:-count]
        return {"most": shares(self.rows[-count:]), "least": shares(self.rows[:count]),
                "middle": {"count": len(middle), "kg": sum(row[4] for row in middle),
                           "people": sum(row[3] for row in middle)}}


def measure(shares):
    """Gini and Lorenz points of `shares` (population-weighted, see module doc)."""
    return measure_rows([(s.charity_id, s.name, s.people, s.kg) for s in shares])


def measure_rows(charities):
    """measure() of (charity id, name, people, kg) tuples (no object per charity)."""
    # Sorted by (kg per person, id): ids are unique, so nothing else is compared.
    rows = sorted((kg / people, charity_id, name, people, kg) for charity_id, name, people, kg in charities
                  if people > 0)
    people, kg = sum(row[3] for row in rows), sum(row[4] for row in rows)
    if not rows or kg <= 0:
        return Equity(rows=rows, gini=None, lorenz=[])
    points, x, y, area = [(0.0, 0.0)], 0.0, 0.0, 0.0
    for _ratio, _charity_id, _name, share_people, share_kg in rows:
        nx, ny = x + share_people / people, y + share_kg / kg
        area += (nx - x) * (ny + y)
        points.append((nx, ny))
        x, y = nx, ny
    return Equity(rows=rows, gini=max(0.0, 1.0 - area), lorenz=points)


def _counted():
    """The charities counted: active, with people served declared."""
    return (Organisation.kind == "charity", Organisation.active.is_(True), Organisation.people_served_week > 0)


def _charities():
    # Core rows (the session's connection): thousands of them, no ORM loading needed.
    return db.session.connection().execute(select(Organisation.id, Organisation.name, Organisation.people_served_week)
                                           .where(*_counted()).order_by(Organisation.id)).all()


def _charities_with_kg(scope):
    """The charities counted with the kg each got in a network-wide scope (one row per charity, one statement).

    Rows (id, name, people, kg as a float, 0.0 when none) in id order. A stored period
    holds one row per charity already (nothing to group); the sort is Python's, on
    8,000 tuples, cheaper than the database's sort and its hand-over of numerics.
    """
    model, where = stats.network_cells(scope, "charity")
    amount = model.kg_received + model.kg_unweighed
    if stats._one_row_each(scope):
        kg = select(model.charity_id, amount.label("kg")).where(*where, model.charity_id != NONE_ID).subquery()
    else:
        kg = (select(model.charity_id, func.sum(amount).label("kg"))
              .where(*where, model.charity_id != NONE_ID).group_by(model.charity_id).subquery())
    rows = db.session.connection().execute(
        select(Organisation.id, Organisation.name, Organisation.people_served_week,
               func.coalesce(kg.c.kg, 0.0).cast(Float))
        .outerjoin(kg, kg.c.charity_id == Organisation.id).where(*_counted())).all()
    return sorted(tuple(row) for row in rows)


def _kg_by(scope, by_month=False):
    """Rows ([month 'YYYY-MM',] charity_id, kg) of the food rescued in `scope`, from the rollups."""
    model = ImpactMonthCharity if stats.network_wide(scope) and not scope.category else ImpactDay
    where = stats.rollup_filters(scope, model)
    when = model.month if model is ImpactMonthCharity else model.day
    keys = ([month_key(when)] if by_month else []) + [model.charity_id]
    kg = func.sum(model.kg_received + model.kg_unweighed)
    return db.session.execute(select(*keys, kg).where(*where, model.charity_id != NONE_ID).group_by(*keys)).all()


def _digest(charities):
    """What the monthly figures depend on besides the cells: which charities count, with how many people.

    `charities`: (id, name, people) in id order (the queries sort them).
    """
    numbers = array("q", [n for charity_id, _name, people in charities for n in (charity_id, people)])
    return hashlib.sha256(numbers.tobytes()).hexdigest()


def _month_figures(charities, kg):
    """{'gini', 'kg', 'people'} of a month from its kg per charity id (a month with no food needs no sorting)."""
    if not kg:
        return {"gini": None, "kg": 0.0, "people": sum(people for _id, _name, people in charities)}
    figures = measure_rows([(charity_id, name, people, kg.get(charity_id, 0.0))
                            for charity_id, name, people in charities])
    return {"gini": figures.gini, "kg": figures.kg, "people": figures.people}


def _network_months(scope, charities):
    """[{'year', 'month', 'gini', 'kg', 'people'}] of the whole network, each month measured once per version.

    One statement (one snapshot): every month's version, and the per-charity kg of
    the months this process does not know at that version for these charities.
    """
    firsts = [date(year, month, 1) for year, month in scope.period.months]
    digest = _digest(charities)
    cache = current_app.extensions.setdefault(CACHE, {})
    # A month cached without cells (key None) is read again (through the month index: no rows while
    # it has none), so the first cell it gets is seen.
    known = [(month, *cache[month]["key"]) for month in firsts
             if month in cache and cache[month]["charities"] == digest and cache[month]["key"] is not None]
    v, c = ImpactMonthVersion, ImpactMonthCharity
    # The months to read: those not known here, and the known ones whose version moved (read
    # from the dozen version rows first, so that only their cells are scanned). Every month with
    # cells has a version row (the sync bumps it, rebuild and migration 0013 make them).
    moved = select(v.month).where(v.month.in_([k[0] for k in known]), ~tuple_(v.month, v.token, v.version).in_(known))
    unknown = [month for month in firsts if month not in {k[0] for k in known}]
    versions = select(v.month, v.token, v.version, literal(None, Integer).label("charity_id"),
                      literal(None, Float).label("kg")).where(v.month.in_(firsts))
    wanted = [c.month.in_(unknown)] if unknown else []
    if known and db.session.get_bind().dialect.name == "postgresql":
        # = ANY(ARRAY(subquery)) is an index condition, where IN (subquery) may hash-join every month's cells.
        wanted.append(c.month == any_(func.array(moved.scalar_subquery(), type_=ARRAY(Date))))
    elif known:
        wanted.append(c.month.in_(moved))
    parts = [versions] + [select(c.month, literal(None, String), literal(None, Integer), c.charity_id,
                                 c.kg_received + c.kg_unweighed).where(condition, c.charity_id != NONE_ID)
                          for condition in wanted]  # each through the month index
    current, kg = {}, {}
    for month, token, version, charity_id, value in db.session.execute(union_all(*parts)):
        month = month if isinstance(month, date) else date.fromisoformat(str(month))
        if charity_id is None:
            current[month] = (token, version)
        else:
            kg.setdefault(month, {})[charity_id] = float(value or 0)
    by_month = []
    for (year, month), first in zip(scope.period.months, firsts):
        entry = cache.get(first)
        # A month without a version row has no cells (the first cell of a month makes its row in the
        # same transaction): its key is None until then, and its figures are those of no food.
        key = current.get(first)
        if entry and entry["charities"] == digest and entry["key"] == key:
            figures = entry["figures"]
        else:
            figures = _month_figures(charities, kg.get(first, {}))
            cache[first] = {"key": key, "charities": digest, "figures": figures}
        by_month.append({"year": year, "month": month, **figures})
    return by_month


def equity(scope, whole_period=True):
    """{'period': Equity over the whole scope, 'by_month': [{'year', 'month', 'gini', 'kg', 'people'}]}.

    `whole_period=False` leaves the period's own figure out ('period' is None): open data needs the months only.
    """
    if stats.network_wide(scope) and not scope.category:
        if not whole_period:
            return {"period": None, "by_month": _network_months(scope, [tuple(row) for row in _charities()])}
        rows = _charities_with_kg(scope)
        period = measure_rows(rows)
        return {"period": period, "by_month": _network_months(scope, [row[:3] for row in rows])}
    charities = [tuple(row) for row in _charities()]  # (id, name, people)
    if scope.charity_id is not None:  # one charity alone has nothing to be even with
        charities = [c for c in charities if c[0] == scope.charity_id]
    months, total = {}, {}
    keys = ["%d-%02d" % m for m in scope.period.months]
    for key, charity_id, kg in _kg_by(scope, by_month=True):  # the period's totals are the months' sums
        months.setdefault(key, {})[charity_id] = float(kg or 0)
        total[charity_id] = total.get(charity_id, 0.0) + float(kg or 0)
    period = measure_rows([(charity_id, name, people, total.get(charity_id, 0.0))
                           for charity_id, name, people in charities])
    by_month = [{"year": year, "month": month, **_month_figures(charities, months.get(key, {}))}
                for (year, month), key in zip(scope.period.months, keys)]
    return {"period": period, "by_month": by_month}


def open_data(now=None):
    """[{'mese', 'provvisorio', 'gini', 'enti', 'persone_servite_settimana', 'kg'}] since the first pickup: aggregates only."""
    from app.models.base import utcnow
    from app.services.impact import periods
    from app.services.impact.scope import Scope

    now = now or utcnow()
    first = db.session.scalar(select(func.min(ImpactMonthCharity.month)).where(ImpactMonthCharity.lots > 0))
    if first is None:
        return []
    start, end = first, periods.rome_date(now)
    count = (end.year - start.year) * 12 + end.month - start.month + 1
    result = equity(Scope(period=periods.months_period((start.year, start.month), count, "all", "")),
                    whole_period=False)
    current = (end.year, end.month)
    charities = len(_charities())
    return [{"mese": "%d-%02d" % (m["year"], m["month"]), "provvisorio": (m["year"], m["month"]) == current,
             "gini": round(m["gini"], 4) if m["gini"] is not None else None, "enti": charities,
             "persone_servite_settimana": m["people"], "kg": round(m["kg"], 2)} for m in result["by_month"]]


def _drawn(points, most=LORENZ_POINTS):
    """At most `most` of the curve's vertices, evenly spread, the first and last kept (the curve is convex)."""
    if len(points) <= most:
        return points
    step = (len(points) - 1) / (most - 1)
    return [points[round(i * step)] for i in range(most)]


def lorenz_chart(chart_id, result):
    """The Lorenz curve as SVG (no library): the curve, the line of perfect equality, the area between.

    Thousands of charities would be thousands of vertices: LORENZ_POINTS of them are drawn.
    """
    points = _drawn(result.lorenz)
    if not points:
        return Markup("")
    size, pad = 240, 28
    plot = size - 2 * pad

    def xy(px, py):
        return f"{pad + px * plot:.1f},{pad + (1 - py) * plot:.1f}"

    curve = " ".join(xy(px, py) for px, py in points)
    gap = curve + " " + xy(1, 1) + " " + xy(0, 0)
    dots = []
    for px, py in points[1:-1]:
        label = _("%(people)s su 100 persone, %(kg)s su 100 kg", people=_pct(px), kg=_pct(py))
        dots.append(f'<circle class="chart-dot" cx="{pad + px * plot:.1f}" cy="{pad + (1 - py) * plot:.1f}" r="3">'
                    f'<title>{escape(label)}</title></circle>')
    x_label, y_label = _("persone servite →"), _("↑ kg ricevuti")
    body = (f'<rect class="chart-frame" x="{pad}" y="{pad}" width="{plot}" height="{plot}"></rect>'
            f'<polygon class="chart-gap" points="{gap}"></polygon>'
            f'<line class="chart-equal" x1="{pad}" y1="{pad + plot}" x2="{pad + plot}" y2="{pad}"></line>'
            f'<polyline class="chart-curve" points="{curve}"></polyline>{"".join(dots)}'
            f'<text class="chart-tick" x="{pad}" y="{size - 8}">{escape(x_label)}</text>'
            f'<text class="chart-tick" x="4" y="{pad - 10}">{escape(y_label)}</text>')
    desc = _("Curva di Lorenz: %(n)d enti ordinati per kg a persona; indice di Gini %(g)s.",
             n=len(result.lorenz) - 1, g=format_decimal(result.gini, "0.000"))
    # charts._svg draws WIDTH-wide charts; a Lorenz curve is square, so its viewBox is set here.
    svg = str(charts._svg(chart_id, _("Curva di Lorenz"), desc, size, body))
    svg = svg.replace(f'viewBox="0 0 {charts.WIDTH} {size}"', f'viewBox="0 0 {size} {size}"', 1)
    return Markup(svg.replace('<svg class="chart"', '<svg class="chart chart-square"', 1))


def _pct(share):
    return format_decimal(share * 100, "0")
