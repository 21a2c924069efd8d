"""Calendar periods in the province's time zone (months, quarters, years) as UTC instants.

Every report counts "March" or "Q1" as the Italian calendar does: from local
midnight to local midnight in Europe/Rome, daylight saving included. The
database holds UTC, so periods are turned into [start, end) UTC bounds here
and nowhere else.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.services import ServiceError

ROME = ZoneInfo("Europe/Rome")
MONTHS_IT = (_l("gennaio"), _l("febbraio"), _l("marzo"), _l("aprile"), _l("maggio"), _l("giugno"),
             _l("luglio"), _l("agosto"), _l("settembre"), _l("ottobre"), _l("novembre"), _l("dicembre"))
_KEY = re.compile(r"^(?:(?P<last>\d{1,2})m|(?P<year>\d{4})(?:-(?P<month>\d{2})|-[Qq](?P<quarter>[1-4]))?)$")


def local_midnight(day):
    """The UTC instant of midnight at the start of `day` in Rome."""
    return datetime(day.year, day.month, day.day, tzinfo=ROME).astimezone(timezone.utc)


def month_start(year, month):
    """UTC instant at which month `month` of `year` begins in Rome (months may overflow)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return local_midnight(date(year, month, 1))


def rome_date(instant):
    """The calendar date of an aware instant in Rome."""
    return instant.astimezone(ROME).date()


def today():
    """Today's date in Rome."""
    return datetime.now(ROME).date()


def month_label(year, month):
    """'marzo 2026'."""
    return f"{MONTHS_IT[month - 1]} {year}"


@dataclass(frozen=True)
class Period:
    """A whole number of Rome months: [start, end) in UTC, and the months it covers."""

    key: str
    label: str
    first: tuple  # (year, month) of the first month
    count: int  # number of months

    @property
    def months(self):
        """[(year, month), ...] in order."""
        y, m = self.first
        return [(y + (m - 1 + i) // 12, (m - 1 + i) % 12 + 1) for i in range(self.count)]

    @property
    def start(self):
        return month_start(*self.first)

    @property
    def end(self):
        return month_start(self.first[0], self.first[1] + self.count)

    def edges(self):
        """The UTC start of every month, then the end: len(months) + 1 instants."""
        return [month_start(self.first[0], self.first[1] + i) for i in range(self.count + 1)]


def months_period(first, count, key, label):
    return Period(key=key, label=label, first=first, count=count)


def year_period(year):
    return months_period((year, 1), 12, str(year), _("anno %(y)d", y=year))


def month_period(year, month):
    return months_period((year, month), 1, f"{year}-{month:02d}", month_label(year, month))


def quarter_period(year, quarter):
    return months_period((year, 3 * quarter - 2), 3, f"{year}-Q{quarter}",
                         _("%(q)d° trimestre %(y)d", q=quarter, y=year))


def last_months(count, on=None):
    """The last `count` months, the current one included."""
    on = on or today()
    first_index = on.year * 12 + on.month - 1 - (count - 1)
    return months_period((first_index // 12, first_index % 12 + 1), count, f"{count}m",
                         _("ultimi %(n)d mesi", n=count))


DEFAULT_KEY = "12m"


def parse_period(key, on=None):
    """A Period from '12m', '2026', '2026-03' or '2026-Q1'; ServiceError with an Italian message otherwise."""
    key = (key or DEFAULT_KEY).strip()
    match = _KEY.match(key)
    problem = ServiceError("bad_period", _(
        "Periodo non riconosciuto: «%(key)s». Usa ad esempio 12m (ultimi 12 mesi), 2026 (un anno), "
        "2026-03 (un mese) o 2026-Q1 (un trimestre).", key=key[:20]))
    if not match:
        raise problem
    if match["last"]:
        count = int(match["last"])
        if not 1 <= count <= 36:
            raise ServiceError("bad_period", _("Si possono chiedere da 1 a 36 mesi."))
        return last_months(count, on)
    year = int(match["year"])
    if not 2000 <= year <= 2100:
        raise problem
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise problem
        return month_period(year, month)
    if match["quarter"]:
        return quarter_period(year, int(match["quarter"]))
    return year_period(year)


def period_choices(on=None):
    """The periods offered by the filter menus, most useful first."""
    on = on or today()
    previous = (on.year - 1, 12) if on.month == 1 else (on.year, on.month - 1)
    quarter = (on.month - 1) // 3 + 1
    return [last_months(12, on), year_period(on.year), year_period(on.year - 1),
            month_period(on.year, on.month), month_period(*previous), quarter_period(on.year, quarter)]


def rome_year(instant):
    return rome_date(instant).year
