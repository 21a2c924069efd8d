"""Impact rollups: rescued food summed per Rome day, store, charity, category and carrier, and per month.

The impact figures (dashboard, personal impact pages, open data, CSV) read these
tables instead of the donation rows. `ImpactDay` has every dimension: pages about
one store, charity or volunteer read its few cells through an index. A store
posts a few donations a month, so over the whole network `ImpactDay` has about a
cell per donation; the network-wide dashboard reads the monthly tables instead,
one dimension each (`ImpactMonthCategory`, `ImpactMonthStore`,
`ImpactMonthCharity`), whose size follows months x stores, not donations, and
the open data reads `ImpactMonthMunicipality` (month x store municipality x
category: about 10,000 cells a month at national size, against 280,000 day cells).
`ImpactVersion` counts the changes of each (month, category): the open data
files keep the part of a month and category (app/models/opendata.py) while
its version stands. Per store and charity the dashboard reads
the period tables (`ImpactPeriodStore`, `ImpactPeriodCharity`: every 12 months
in a row and every quarter), so that a year's ranking of 30,000 stores reads
30,000 rows, not 360,000.
`ImpactSource` records what each donation currently adds to the rollup, so a
change (a receipt weighing the food, a reassignment, an edit) removes exactly
the old contribution before adding the new one. Both are written only by
app/services/impact/rollups.py, in the operation's own transaction.

The operational health (app/services/impact/health.py) has its own rollups,
written only by app/services/impact/health_rollups.py in the same transaction:
`HealthSource` (what each donation adds, dated by its Rome posting month),
`HealthMonth` and `HealthMinutes` (the network's cells by month and category,
and the histogram of minutes to claim that gives the median), `VolunteerMonth`
(DDTs per carrier and month) and `VolunteerSpan` (pairs of a carrier's
consecutive active months, which count distinct active volunteers over any
range of months in a few rows).
"""
from datetime import date

from sqlalchemy import Date, Float, Index, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime

NONE_ID = 0  # charity_id / carrier_id of a cell without one (primary keys cannot be NULL)
NO_MONTH = date(1, 1, 1)  # VolunteerSpan.prev_month of a carrier's first active month
ALL_CATEGORIES = ""  # VolunteerMonth / VolunteerSpan category of the figures over every category


class _Amounts:
    """The summed amounts every rollup table carries (figures are derived from them when read)."""

    lots: Mapped[int] = mapped_column(Integer, default=0)
    weighed_lots: Mapped[int] = mapped_column(Integer, default=0)
    kg_declared: Mapped[float] = mapped_column(Float, default=0.0)  # all lots, as the stores declared
    kg_received: Mapped[float] = mapped_column(Float, default=0.0)  # weighed at receipt
    kg_unweighed: Mapped[float] = mapped_column(Float, default=0.0)  # declared kg of lots not weighed
    kg_food: Mapped[float] = mapped_column(Float, default=0.0)  # best kg of food for people (meals)
    value_declared: Mapped[float] = mapped_column(Float, default=0.0)  # EUR the stores gave
    kg_unvalued: Mapped[float] = mapped_column(Float, default=0.0)  # declared kg of lots with no EUR value


class ImpactDay(_Amounts, db.Model):
    """Rescued food of one (Rome pickup day, store, charity, category, DDT carrier) cell."""

    __tablename__ = "impact_day"
    __table_args__ = (
        Index("ix_impact_day_store", "store_id", "day"),
        Index("ix_impact_day_charity", "charity_id", "day"),
        Index("ix_impact_day_carrier", "carrier_id", "day"),
    )

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    store_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    charity_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    carrier_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class ImpactMonthCategory(_Amounts, db.Model):
    """The whole network's rescued food of one (Rome month, category)."""

    __tablename__ = "impact_month_category"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the 1st of the month
    category: Mapped[str] = mapped_column(String(24), primary_key=True)


class ImpactMonthStore(_Amounts, db.Model):
    """One store's rescued food of one Rome month (every category and charity)."""

    __tablename__ = "impact_month_store"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    store_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class ImpactMonthCharity(_Amounts, db.Model):
    """One charity's rescued food of one Rome month (every category and store)."""

    __tablename__ = "impact_month_charity"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    charity_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class ImpactMonthMunicipality(_Amounts, db.Model):
    """Rescued food of one (Rome month, municipality of the donor store, category): the open data's cells."""

    __tablename__ = "impact_month_municipality"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    municipality: Mapped[str] = mapped_column(String(80), primary_key=True)  # "" when the store has none
    category: Mapped[str] = mapped_column(String(24), primary_key=True)


class ImpactVersion(db.Model):
    """How many times the rollup cells of one (Rome month, category) changed (bumped by each change).

    Never deleted, so it only grows, even when the month x category cell empties and comes back.
    """

    __tablename__ = "impact_version"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class _PeriodKey:
    """A whole period of Rome months: its first month (the 1st) and how many months it spans.

    The period tables hold every 12 months in a row (each year, and the dashboard's
    "last 12 months" whatever the month) and every calendar quarter, so a page
    about such a period reads one row per store or charity instead of twelve.
    """

    first: Mapped[date] = mapped_column(Date, primary_key=True)
    months: Mapped[int] = mapped_column(Integer, primary_key=True)


class ImpactPeriodStore(_Amounts, _PeriodKey, db.Model):
    """One store's rescued food over a period of 12 months or a quarter (every category and charity)."""

    __tablename__ = "impact_period_store"
    __table_args__ = (PrimaryKeyConstraint("first", "months", "store_id"),)

    store_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class ImpactPeriodCharity(_Amounts, _PeriodKey, db.Model):
    """One charity's rescued food over a period of 12 months or a quarter (every category and store)."""

    __tablename__ = "impact_period_charity"
    __table_args__ = (PrimaryKeyConstraint("first", "months", "charity_id"),)

    charity_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class ImpactPeriodMunicipality(_Amounts, _PeriodKey, db.Model):
    """Rescued food of the stores of one municipality over a period of 12 months or a quarter (the ranking's rows)."""

    __tablename__ = "impact_period_municipality"
    __table_args__ = (PrimaryKeyConstraint("first", "months", "municipality"),)

    municipality: Mapped[str] = mapped_column(String(80), primary_key=True)  # "" when the store has none


class ImpactMonthVersion(db.Model):
    """How many times the impact cells of one Rome month changed: what a cache of the month's figures checks.

    `version` only grows; `token` is drawn when the row is made (and by every
    rebuild), so a cache never mistakes a recreated month for the one it saw.
    """

    __tablename__ = "impact_month_version"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    token: Mapped[str] = mapped_column(String(16))


class ImpactSource(db.Model):
    """What one donation adds to the rollups now (its cell and amounts); absent when nothing."""

    __tablename__ = "impact_source"

    donation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    store_id: Mapped[int] = mapped_column(Integer)
    charity_id: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(24))
    carrier_id: Mapped[int] = mapped_column(Integer)
    # The store's municipality the contribution was counted under, so that it is taken away exactly
    # from that cell even after the store's municipality was corrected (rollups.move_store).
    municipality: Mapped[str] = mapped_column(String(80), default="", server_default="")
    kg_declared: Mapped[float] = mapped_column(Float)
    kg_received: Mapped[float | None] = mapped_column(Float)
    value_eur: Mapped[float | None] = mapped_column(Float)


class HealthSource(db.Model):
    """What one donation adds to the health cells now: its posting month, cell and 0/1 figures.

    `no_show` is the value the donation has once its window is over; `unclaimed`
    (not cancelled, no claim) is what `due` lacks while the window is still open.
    Pages correct both with the few donations whose window has not ended yet
    (ix_health_source_window_end), so nothing here depends on the clock.
    """

    __tablename__ = "health_source"
    __table_args__ = (
        Index("ix_health_source_store", "store_id", "posted_at"),
        Index("ix_health_source_charity", "charity_id", "posted_at"),
        Index("ix_health_source_window_end", "window_end"),
    )

    donation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date)  # the 1st of the Rome month of posting
    posted_at = mapped_column(UTCDateTime, nullable=False)
    window_end = mapped_column(UTCDateTime, nullable=False)
    store_id: Mapped[int] = mapped_column(Integer)
    charity_id: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(24))
    cancelled: Mapped[int] = mapped_column(Integer)
    unclaimed: Mapped[int] = mapped_column(Integer)  # not cancelled and not claimed
    in_time: Mapped[int] = mapped_column(Integer)
    expired: Mapped[int] = mapped_column(Integer)
    expired_kg: Mapped[float] = mapped_column(Float)
    minutes: Mapped[int | None] = mapped_column(Integer)  # whole minutes from posting to the claim held
    no_show: Mapped[int] = mapped_column(Integer)  # once the window is over
    carrier_id: Mapped[int] = mapped_column(Integer)  # the DDT's carrier, NONE_ID without one
    ddt_month: Mapped[date | None] = mapped_column(Date)  # the 1st of the Rome month the DDT was issued


class _HealthCounts:
    """The summed health figures of a cell (due and no-shows as if every window were over)."""

    posted: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    unclaimed: Mapped[int] = mapped_column(Integer, default=0)
    in_time: Mapped[int] = mapped_column(Integer, default=0)
    expired_lots: Mapped[int] = mapped_column(Integer, default=0)
    expired_kg: Mapped[float] = mapped_column(Float, default=0.0)
    no_shows: Mapped[int] = mapped_column(Integer, default=0)


class HealthMonth(_HealthCounts, db.Model):
    """The network's health figures of the donations posted in one (Rome month, category)."""

    __tablename__ = "health_month"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)


class HealthMinutes(db.Model):
    """How many donations of one (posting month, category) were claimed `minutes` after posting.

    Category ALL_CATEGORIES holds the whole month, so the network's median reads a month's few hundred rows.
    """

    __tablename__ = "health_minutes"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer, primary_key=True)
    lots: Mapped[int] = mapped_column(Integer, default=0)


class VolunteerMonth(db.Model):
    """DDTs one volunteer carried in one Rome month, per category (ALL_CATEGORIES: every category)."""

    __tablename__ = "volunteer_month"

    carrier_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    ddts: Mapped[int] = mapped_column(Integer, default=0)


class VolunteerSpan(db.Model):
    """How many volunteers were active in `month` and, before it, last in `prev_month` (per category).

    A volunteer active in some month of [A, B) has exactly one active month there
    whose previous active month is before A (or NO_MONTH): the distinct active
    volunteers of [A, B) are the sum of `carriers` over month in [A, B), prev_month < A.
    """

    __tablename__ = "volunteer_span"

    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    prev_month: Mapped[date] = mapped_column(Date, primary_key=True)
    carriers: Mapped[int] = mapped_column(Integer, default=0)
