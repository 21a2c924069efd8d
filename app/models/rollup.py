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
its version stands.
`ImpactSource` records what each donation currently adds to the rollup, so a
change (a receipt weighing the food, a reassignment, an edit) removes exactly
the old contribution before adding the new one. Both are written only by
app/services/impact/rollups.py, in the operation's own transaction.
"""
from datetime import date

from sqlalchemy import Date, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

NONE_ID = 0  # charity_id / carrier_id of a cell without one (primary keys cannot be NULL)


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
