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
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import (Date, Float, Integer, String, and_, any_, cast, func, literal, null, or_, select, tuple_,
                        union_all)

from sqlalchemy.dialects.postgresql import ARRAY

from app.extensions import db
from app.models import ImpactDay, ImpactMonthCharity, ImpactMonthVersion, NetworkCount, Organisation
from app.models.rollup import NONE_ID
from app.services.impact import charts, stats
from app.services.impact.stats import month_key
from app.services.people.counts import CHARITIES_VERSION

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
    def count(self):
        return len(self.rows)

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


@dataclass
class Summary:
    """The equity of a period as the database measured it (_period_summary): what a page shows, not every row.

    `rows`: (kg per person, charity id, name, people, kg) of the charities at both ends
    and at the drawn vertices, in kg-per-person order, `ranks` their places (1..count);
    `lorenz`: the vertices _drawn() keeps, (0, 0) first; `kg` and `people`: every charity's.
    """

    rows: list
    ranks: list
    gini: float | None
    lorenz: list
    count: int
    kg: float
    people: int

    @property
    def shares(self):
        return [Share(charity_id, name, people, kg) for _ratio, charity_id, name, people, kg in self.rows]

    def ends(self, count=SHOWN):
        """As Equity.ends(); the middle's figures are the totals less both ends."""
        def shares(rows):
            return [Share(charity_id, name, people, kg) for _ratio, charity_id, name, people, kg in reversed(rows)]
        if count > SHOWN:
            raise ValueError("a Summary keeps SHOWN charities at each end")
        least = [row for row, rank in zip(self.rows, self.ranks) if rank <= count]
        most = [row for row, rank in zip(self.rows, self.ranks) if rank > self.count - count]
        if self.count <= 2 * count:
            return {"most": shares(sorted(set(least) | set(most))), "middle": None, "least": []}
        return {"most": shares(most), "least": shares(least),
                "middle": {"count": self.count - 2 * count, "kg": self.kg - sum(row[4] for row in least + most),
                           "people": self.people - sum(row[3] for row in least + most)}}


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


def _period_summary(scope):
    """The equity of a network-wide period, measured by the database in one statement (a Summary).

    The same figures as measure_rows() over every charity counted (ordered by kg per
    person, then id; population-weighted Gini: 1 - sum(people x (2 x kg so far - kg)) /
    (people x kg)), but only the charities a page shows come back: the SHOWN at each
    end and the Lorenz vertices _drawn() would keep (vertex j of n is drawn when some
    i of 0..M, M = LORENZ_POINTS - 1, has round(i x n / M) = j, that is |i x n - M x j|
    < M / 2 for i = floor(M x j / n) or the next one), not 8,000 rows.
    """
    model, where = stats.network_cells(scope, "charity")
    amount = model.kg_received + model.kg_unweighed
    if stats._one_row_each(scope):
        kg = select(model.charity_id, amount.label("kg")).where(*where, model.charity_id != NONE_ID).subquery()
    else:
        kg = (select(model.charity_id, func.sum(amount).label("kg"))
              .where(*where, model.charity_id != NONE_ID).group_by(model.charity_id).subquery())
    o = Organisation
    base = (select(o.id.label("id"), o.name.label("name"), o.people_served_week.label("people"),
                   func.coalesce(kg.c.kg, 0.0).cast(Float).label("kg"))
            .outerjoin(kg, kg.c.charity_id == o.id).where(*_counted()).subquery("counted"))
    ratio = base.c.kg / base.c.people
    order = [ratio, base.c.id]
    ranked = select(base, ratio.label("ratio"), func.row_number().over(order_by=order).label("rn"),
                    func.sum(base.c.people).over(order_by=order, rows=(None, 0)).label("people_so_far"),
                    func.sum(base.c.kg).over(order_by=order, rows=(None, 0)).label("kg_so_far"),
                    func.count().over().label("n"), func.sum(base.c.people).over().label("people_all"),
                    func.sum(base.c.kg).over().label("kg_all")).subquery("ranked")
    r = select(ranked, func.sum(ranked.c.people * (2 * ranked.c.kg_so_far - ranked.c.kg)).over().label("area")
               ).subquery("measured")
    m = LORENZ_POINTS - 1
    below = (m * r.c.rn) // r.c.n  # floor(M x j / n): `//` is integer division, `/` would be a true one
    drawn = or_(2 * func.abs(below * r.c.n - m * r.c.rn) < m,
                and_(below + 1 <= m, 2 * func.abs((below + 1) * r.c.n - m * r.c.rn) < m))
    rows = db.session.execute(select(r).where(or_(r.c.rn <= SHOWN, r.c.rn > r.c.n - SHOWN, drawn))
                              .order_by(r.c.rn)).all()
    if not rows:
        return Summary(rows=[], ranks=[], gini=None, lorenz=[], count=0, kg=0.0, people=0)
    first = rows[0]
    count, people, kg_all = int(first.n), int(first.people_all), float(first.kg_all or 0)
    kept = [(float(row.ratio), row.id, row.name, int(row.people), float(row.kg)) for row in rows]
    ranks = [int(row.rn) for row in rows]
    if kg_all <= 0:
        return Summary(rows=kept, ranks=ranks, gini=None, lorenz=[], count=count, kg=kg_all, people=people)
    lorenz = [(0.0, 0.0)] + [(int(row.people_so_far) / people, float(row.kg_so_far) / kg_all) for row in rows
                             if count + 1 <= LORENZ_POINTS or _is_drawn(int(row.rn), count)]
    return Summary(rows=kept, ranks=ranks, gini=max(0.0, 1.0 - float(first.area) / (people * kg_all)),
                   lorenz=lorenz, count=count, kg=kg_all, people=people)


def _is_drawn(j, n, most=LORENZ_POINTS):
    """True when _drawn() keeps vertex j (1..n) of n + 1 (the SQL's condition, for the rows kept for the ends)."""
    m = most - 1
    below = m * j // n
    return 2 * abs(below * n - m * j) < m or (below + 1 <= m and 2 * abs((below + 1) * n - m * j) < m)


def _kg_by(scope, by_month=False):
    """Rows ([month 'YYYY-MM',] charity_id, kg) of the food rescued in `scope`, from the rollups."""
    model = ImpactMonthCharity if stats.network_wide(scope) and not scope.category else ImpactDay
    where = stats.rollup_filters(scope, model)
    when = model.month if model is ImpactMonthCharity else model.day
    keys = ([month_key(when)] if by_month else []) + [model.charity_id]
    kg = func.sum(model.kg_received + model.kg_unweighed)
    return db.session.execute(select(*keys, kg).where(*where, model.charity_id != NONE_ID).group_by(*keys)).all()


def _month_figures(charities, kg):
    """{'gini', 'kg', 'people'} of a month from its kg per charity id (a month with no food needs no sorting)."""
    if not kg:
        return {"gini": None, "kg": 0.0, "people": sum(people for _id, _name, people in charities)}
    figures = measure_rows([(charity_id, name, people, kg.get(charity_id, 0.0))
                            for charity_id, name, people in charities])
    return {"gini": figures.gini, "kg": figures.kg, "people": figures.people}


def _network_months(scope):
    """[{'year', 'month', 'gini', 'kg', 'people'}] of the whole network, each month measured once per version.

    One statement (one snapshot) reads every month's version, the charities' version
    (counts.CHARITIES_VERSION, moved by any change to which charities count or their
    people), the per-charity kg of the months this process must measure again, and the
    charities counted (id, name, people) only when some month must be: a month not
    measured here, one whose cells moved, one cached without cells that has some now,
    or every month when the charities' version is not the one they were measured at.
    """
    cache = current_app.extensions.setdefault(CACHE, {})
    current, kg, seen, charities = _month_cells(scope, cache)
    by_month = []
    for (year, month), first in zip(scope.period.months, _firsts(scope)):
        entry = cache.get(first)
        # A month without a version row has no cells (the first cell of a month makes its row in the
        # same transaction): its key is None until then, and its figures are those of no food.
        key = current.get(first)
        if entry and entry["charities"] == seen and entry["key"] == key:
            figures = entry["figures"]
        else:
            figures = _month_figures(charities, kg.get(first, {}))
            cache[first] = {"key": key, "charities": seen, "figures": figures}
        by_month.append({"year": year, "month": month, **figures})
    return by_month


def _firsts(scope):
    return [date(year, month, 1) for year, month in scope.period.months]


def _month_cells(scope, cache):
    """({month: (token, version)}, {month: {charity id: kg}} of the months to measure, the charities' version,
    [(id, name, people)] of the charities counted when some month is to be measured, else [])."""
    firsts = _firsts(scope)
    v, c, n, o = ImpactMonthVersion, ImpactMonthCharity, NetworkCount, Organisation
    assumed = {cache[month]["charities"] for month in firsts if month in cache}
    assumed = assumed.pop() if len(assumed) == 1 else None  # months measured at different versions: none holds
    cached = [month for month in firsts if month in cache and assumed is not None]
    known = [(month, *cache[month]["key"]) for month in cached if cache[month]["key"] is not None]
    empty = [month for month in cached if cache[month]["key"] is None]  # measured with no cells yet
    unknown = [month for month in firsts if month not in cached]
    # The known months whose version moved (from the dozen version rows: only their cells are scanned),
    # the empty ones that have cells now, and whether the charities changed since (then every month).
    moved = select(v.month).where(v.month.in_([k[0] for k in known]), ~tuple_(v.month, v.token, v.version).in_(known))
    filled = select(v.month).where(v.month.in_(empty))
    changed = ~select(n.name).where(n.name == CHARITIES_VERSION, n.n == (assumed or 0)).exists()
    if assumed == 0:  # no version row yet: unchanged while there is none
        changed = select(n.name).where(n.name == CHARITIES_VERSION).exists()
    no_kg = cast(null(), Float)  # typed: PostgreSQL takes a bare NULL of the first rows for text
    versions = select(v.month, v.token, v.version, literal(None, Integer).label("charity_id"),
                      no_kg.label("kg")).where(v.month.in_(firsts))
    charities_version = select(cast(null(), Date), literal(None, String), n.n, literal(None, Integer), no_kg).where(
        n.name == CHARITIES_VERSION)
    if db.session.get_bind().dialect.name == "postgresql":
        # = ANY(ARRAY(subquery)) is an index condition, where IN (subquery) may hash-join every month's cells.
        moved_months = c.month == any_(func.array(moved.scalar_subquery(), type_=ARRAY(Date)))
        filled_months = c.month == any_(func.array(filled.scalar_subquery(), type_=ARRAY(Date)))
    else:
        moved_months, filled_months = c.month.in_(moved), c.month.in_(filled)
    wanted = ([c.month.in_(unknown)] if unknown else []) + ([moved_months] if known else []) + \
        ([filled_months] if empty else []) + ([and_(c.month.in_(cached), changed)] if cached else [])
    cells = [select(c.month, literal(None, String), literal(None, Integer), c.charity_id,
                    c.kg_received + c.kg_unweighed).where(condition, c.charity_id != NONE_ID)
             for condition in wanted]  # each through the month index
    # The charities, as (no month, name, people, id): with a month not measured here always, else only
    # when a month moved, filled or the charities changed (a one-time filter of the statement).
    needed = [] if unknown else [or_(moved.exists(), filled.exists(), changed)]
    counted = select(cast(null(), Date), o.name, o.people_served_week, o.id, no_kg).where(*_counted(), *needed)
    current, kg, seen, charities = {}, {}, 0, []
    for month, token, version, charity_id, value in db.session.execute(
            union_all(versions, charities_version, *cells, counted)):
        if month is None:
            if charity_id is None:
                seen = version
            else:
                charities.append((charity_id, token, version))
            continue
        month = month if isinstance(month, date) else date.fromisoformat(str(month))
        if charity_id is None:
            current[month] = (token, version)
        else:
            kg.setdefault(month, {})[charity_id] = float(value or 0)
    return current, kg, seen, sorted(charities)


def equity(scope, whole_period=True):
    """{'period': Equity over the whole scope, 'by_month': [{'year', 'month', 'gini', 'kg', 'people'}]}.

    `whole_period=False` leaves the period's own figure out ('period' is None): open data needs the months only.
    """
    if stats.network_wide(scope) and not scope.category:
        return {"period": _period_summary(scope) if whole_period else None, "by_month": _network_months(scope)}
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
             n=result.count, g=format_decimal(result.gini, "0.000"))
    # charts._svg draws WIDTH-wide charts; a Lorenz curve is square, so its viewBox is set here.
    svg = str(charts._svg(chart_id, _("Curva di Lorenz"), desc, size, body))
    svg = svg.replace(f'viewBox="0 0 {charts.WIDTH} {size}"', f'viewBox="0 0 {size} {size}"', 1)
    return Markup(svg.replace('<svg class="chart"', '<svg class="chart chart-square"', 1))


def _pct(share):
    return format_decimal(share * 100, "0")
