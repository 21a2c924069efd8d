"""Open data files kept ready: one part per (format, Rome month, category), compressed, shared by every web instance.

A year's `impatto.json` or `impatto.csv` is its metadata followed by the parts
of its months and categories (app/services/impact/opendata.py joins them into
one gzip member without compressing them again). A part holds the rows of one
month and category (one a municipality) as raw deflate data ending on a byte
boundary (a sync flush), its CRC-32 and length (to write the gzip trailer), and
the SHA-256 of its text (for the ETag). It is valid while `version` equals the
ImpactVersion of its month and category and `recipe` (the layout, the
conversion factors, the provisional flag, the category names) is the one in
force; any other part is ignored and its rows are computed again from the rollup.
"""
from datetime import date

from sqlalchemy import BigInteger, Date, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class OpenDataPart(db.Model):
    """The rows of one Rome month and category in one open data format, compressed."""

    __tablename__ = "open_data_part"

    format: Mapped[str] = mapped_column(String(8), primary_key=True)  # json | csv
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the 1st of the month
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)  # ImpactVersion.version it was built from
    recipe: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the text, hex
    crc: Mapped[int] = mapped_column(BigInteger)  # CRC-32 of the text
    size: Mapped[int] = mapped_column(Integer)  # bytes of the text
    body: Mapped[bytes] = mapped_column(LargeBinary)  # raw deflate, sync-flushed, no final block
