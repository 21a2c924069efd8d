"""My run (il mio giro): a volunteer's pickups of the day and their deliveries as one ordered list.

Stops are the pickups still to do (claimed, window touching the day) and the
deliveries of what is claimed or already on board. The suggested order comes
from `solve()`, an exact search (see its docstring); the driver may rearrange
it by hand with the operation `run.reorder`, kept per volunteer and day.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.geo import distance_km
from app.models import Donation, RunOrder
from app.models.base import utcnow
from app.services.ops import Refused, handler, rules
from app.services.ops.schemas import Day, Names, OpFields

ROME = rules.ROME
ROAD_FACTOR = 1.3  # roads are longer than the straight line between two points
MAX_EXACT_STOPS = 12
KEY = re.compile(r"^[pd]:[0-9]{1,10}$")
MAX_KEYS = 40


@dataclass
class Stop:
    """One stop of the run: load at a store (pickup) or unload at a charity (delivery)."""

    key: str
    kind: str  # pickup, delivery
    donation: Donation
    org: object
    windows: list  # [(start, end)] aware datetimes; empty: no hours known for the day
    eta: datetime | None = None
    service_at: datetime | None = None
    late: bool = False
    problems: list = field(default_factory=list)

    @property
    def coords(self):
        return self.org.coords if self.org is not None else None

    @property
    def notes(self):
        """Access notes: the store's notes on the donation, then the organisation's own notes."""
        parts = [self.donation.notes] if self.kind == "pickup" and self.donation.notes else []
        if self.org is not None and self.org.notes:
            parts.append(self.org.notes)
        return " · ".join(parts)


def _local_windows(org, day):
    """A charity's receiving intervals on `day` (Europe/Rome) as aware datetimes."""
    found = []
    for item in (org.receiving_hours or []) if org is not None else []:
        try:
            weekday, start, end = int(item[0]), str(item[1]), str(item[2])
            start_t, end_t = time.fromisoformat(start), time.fromisoformat(end)
        except (TypeError, ValueError, IndexError):
            continue
        if weekday == day.weekday() and end_t > start_t:
            found.append((datetime.combine(day, start_t, ROME), datetime.combine(day, end_t, ROME)))
    return sorted(found)


def stops_for(user, day=None, now=None):
    """The unordered stops of `user`'s run on `day` (default: today in Italy)."""
    now = now or utcnow()
    day = day or rules.local_date(now)
    start = datetime.combine(day, time.min, ROME)
    end = start + timedelta(days=1)
    donations = db.session.scalars(select(Donation).where(
        Donation.claimed_by_id == user.id,
        ((Donation.status == "claimed") & (Donation.window_start < end) & (Donation.window_end >= start))
        | ((Donation.status == "picked_up") & (Donation.holder_id == user.id)))
        .order_by(Donation.window_start, Donation.id).limit(MAX_KEYS // 2)).all()
    stops = []
    for donation in donations:
        if donation.status == "claimed":
            stops.append(Stop(f"p:{donation.id}", "pickup", donation, donation.store,
                              [(donation.window_start, donation.window_end)]))
        stops.append(Stop(f"d:{donation.id}", "delivery", donation, donation.recipient,
                          _local_windows(donation.recipient, day)))
    return stops


# --- the solver -----------------------------------------------------------------------------

def _travel_minutes(a, b):
    km = distance_km(a, b)
    speed = current_app.config.get("RUN_SPEED_KMH", 25) or 25
    return 0.0 if km is None else km * ROAD_FACTOR / speed * 60


def _serve(arrival, windows):
    """(minute service starts, minutes late) arriving at `arrival` at a stop with `windows`."""
    if not windows:
        return arrival, 0.0
    for start, end in windows:
        if arrival <= end:
            return max(arrival, start), 0.0
    return arrival, arrival - windows[-1][1]


class _Problem:
    """Stops as minutes from the start, travel times between every pair, precedence."""

    def __init__(self, stops, origin, start):
        self.stops, self.n = stops, len(stops)
        self.service = float(current_app.config.get("RUN_STOP_MINUTES", 10))
        places = [origin] + [s.coords for s in stops]
        self.travel = [[_travel_minutes(a, b) for b in places] for a in places]
        self.windows = [[((a - start).total_seconds() / 60, (b - start).total_seconds() / 60)
                         for a, b in s.windows] for s in stops]
        index = {s.key: i for i, s in enumerate(stops)}
        # A delivery needs its pickup first (when the food is not on board yet).
        self.needs = [1 << index["p:" + s.key[2:]] if s.kind == "delivery" and "p:" + s.key[2:] in index else 0
                      for s in stops]

    def step(self, last, time_now, nxt):
        """(minute service ends, lateness) going from stop `last` (-1: origin) to `nxt`."""
        arrival = time_now + self.travel[last + 1][nxt + 1]
        begin, late = _serve(arrival, self.windows[nxt])
        return begin + self.service, late, self.travel[last + 1][nxt + 1]


def solve(stops, origin, start):
    """The order of `stops` that meets the most windows, then drives least: an exact search.

    Exact, not heuristic: with at most MAX_EXACT_STOPS (12) stops (a volunteer holds at most
    MAX_OPEN_CLAIMS pickups, so usually 6) a dynamic programme over (stops visited, last
    stop) finds the true best order in well under a second, and a driver must be able to
    trust that "every window is met" when it can be. Time windows break the classic
    Held-Karp (an earlier arrival may need a longer drive), so each state keeps its Pareto
    set of labels (lateness, time, distance) and drops only dominated ones; precedence
    (pickup before its delivery) prunes the states. Beyond 12 stops: earliest window first.
    Lexicographic objective: total minutes late, then kilometres driven, then finishing time.
    """
    if len(stops) <= 1:
        return list(stops)
    if len(stops) > MAX_EXACT_STOPS:
        far = datetime.max.replace(tzinfo=ROME)
        return sorted(stops, key=lambda s: (s.windows[0][1] if s.windows else far, s.kind != "pickup", s.key))
    problem = _Problem(stops, origin, start)
    n, full = problem.n, (1 << problem.n) - 1
    # labels[(mask, last)] = [(late, time, dist, path)]
    labels = {}
    for i in range(n):
        if problem.needs[i]:
            continue
        end, late, dist = problem.step(-1, 0.0, i)
        labels.setdefault((1 << i, i), []).append((late, end, dist, (i,)))
    for size in range(1, n):
        for (mask, last), front in [item for item in labels.items() if bin(item[0][0]).count("1") == size]:
            for nxt in range(n):
                bit = 1 << nxt
                if mask & bit or (problem.needs[nxt] & mask) != problem.needs[nxt]:
                    continue
                for late0, time0, dist0, path in front:
                    end, late, dist = problem.step(last, time0, nxt)
                    _add(labels.setdefault((mask | bit, nxt), []), (late0 + late, end, dist0 + dist, path + (nxt,)))
    best = min((label for (mask, _last), front in labels.items() if mask == full for label in front),
               key=lambda label: (round(label[0], 6), round(label[2], 6), label[1], label[3]))
    return [stops[i] for i in best[3]]


def _add(front, label):
    """Insert `label` into a Pareto front unless another is at least as good in every respect."""
    late, end, dist = label[:3]
    for other in front:
        if other[0] <= late + 1e-9 and other[1] <= end + 1e-9 and other[2] <= dist + 1e-9:
            return
    front[:] = [o for o in front if not (late <= o[0] and end <= o[1] and dist <= o[2])]
    front.append(label)


def schedule(stops, origin, start):
    """Fill in each stop's expected arrival, service start and lateness, in the given order."""
    speed_model = _Problem(stops, origin, start) if stops else None
    clock, last, picked = 0.0, -1, set()
    for i, stop in enumerate(stops):
        arrival = clock + speed_model.travel[last + 1][i + 1]
        begin, late = _serve(arrival, speed_model.windows[i])
        stop.eta = start + timedelta(minutes=arrival)
        stop.service_at = start + timedelta(minutes=begin)
        stop.late = late > 0.5
        stop.problems = []
        if stop.kind == "delivery" and f"p:{stop.donation.id}" in {s.key for s in stops} \
                and f"p:{stop.donation.id}" not in picked:
            stop.problems.append(_("prima del suo ritiro"))
        picked.add(stop.key)
        clock, last = begin + speed_model.service, i
    return stops


# --- the run as the page shows it ---------------------------------------------------------

@dataclass
class Run:
    """The volunteer's run of a day: stops in order, and whether the order is their own."""

    day: date
    stops: list
    manual: bool
    suggested: list


def run_for(user, day=None, now=None):
    """The ordered, scheduled run of `user` on `day`: their manual order if any, else the solver's."""
    now = now or utcnow()
    day = day or rules.local_date(now)
    stops = stops_for(user, day, now)
    profile = getattr(user, "volunteer", None)
    origin = profile.base if profile is not None else None
    suggested = solve(stops, origin, now)
    saved = db.session.get(RunOrder, (user.id, day))
    order = suggested
    if saved is not None and saved.stops:
        by_key = {s.key: s for s in stops}
        kept = [by_key[k] for k in saved.stops if k in by_key]
        order = kept + [s for s in suggested if s not in kept]
    schedule(order, origin, now)
    return Run(day=day, stops=order, manual=saved is not None and bool(saved.stops),
               suggested=[s.key for s in suggested])


def moved(keys, key, direction):
    """`keys` with `key` moved one place up or down (unchanged at the ends or if absent)."""
    keys = list(keys)
    if key not in keys or direction not in ("up", "down"):
        return keys
    i = keys.index(key)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(keys):
        keys[i], keys[j] = keys[j], keys[i]
    return keys


class ReorderFields(OpFields):
    """The fields of run.reorder: the day and the stop keys in the driver's order."""

    day: Day = None
    stops: Names = None


@handler("run.reorder", schema=ReorderFields)
def reorder(ctx):
    """The driver's own order of the stops of a day (an empty list goes back to the suggestion)."""
    ctx.require_role("volunteer")
    try:
        day = date.fromisoformat(str(ctx.payload.get("day") or ""))
    except ValueError:
        raise Refused("invalid", _("Giorno del giro non valido: usa AAAA-MM-GG."), field="day") from None
    today = rules.local_date(ctx.occurred_at)
    if abs((day - today).days) > 1:
        raise Refused("invalid", _("Si può riordinare solo il giro di oggi o di domani."), field="day")
    keys = ctx.payload.get("stops")
    if not isinstance(keys, list) or len(keys) > MAX_KEYS or not all(isinstance(k, str) and KEY.match(k)
                                                                    for k in keys):
        raise Refused("invalid", _("Elenco delle tappe non valido."), field="stops")
    if len(set(keys)) != len(keys):
        raise Refused("invalid", _("Una tappa compare due volte."), field="stops")
    ids = {int(k[2:]) for k in keys}
    mine = set(db.session.scalars(select(Donation.id).where(Donation.id.in_(ids),
                                                            Donation.claimed_by_id == ctx.user.id))) if ids else set()
    if ids - mine:
        raise Refused("not_allowed", _("Nel giro ci sono solo i tuoi ritiri."), field="stops")
    for k in keys:
        if k.startswith("d:") and "p:" + k[2:] in keys and keys.index("p:" + k[2:]) > keys.index(k):
            raise Refused("order_invalid", _("Una consegna non può venire prima del ritiro della stessa "
                                             "donazione."), field="stops")
    saved = db.session.get(RunOrder, (ctx.user.id, day))
    if saved is None:
        saved = RunOrder(user_id=ctx.user.id, day=day)
        db.session.add(saved)
    saved.stops, saved.updated_at = list(keys), ctx.received_at
    return {"day": day.isoformat(), "stops": list(keys)}
