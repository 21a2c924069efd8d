"""The open data files (impatto.json, impatto.csv), one per year, sent at any size of the network.

A year's file is a head (the JSON metadata, the CSV header), its rows by
month, category and municipality, and a tail. The rows of one month and
category (one a municipality) are a *part*, compressed on their own as raw
deflate ending with a sync flush: that ends on a byte boundary without a final
block, so parts placed one after another are one deflate stream. A gzip member
is then the gzip header, the head's, the parts' and the tail's deflate data,
an empty final block, and the CRC-32 and length of the whole text (the CRC
combined from the pieces', as zlib's crc32_combine does). Sending a year costs
reading its parts: nothing is compressed again, whatever its size (at national
size a year is about 120,000 rows, 35 MB of JSON, 4 MB gzipped).

Parts live in OpenDataPart (in the database, so every web instance sends the
same bytes). A part is valid while the ImpactVersion of its month and category
has not moved since it was built and its recipe (layout, factors, provisional
or not, the category names) is the one in force. The worker job builds the
parts that are missing or out of date. A request never writes: it computes
from the rollup the parts without a valid copy (after a pickup, the one of the
current month and that category, until the job runs; everything where no
worker runs), so a file is always as fresh as the rollup.
The texts are the same whether they come from a part or are computed: the
ETag (the SHA-256 of the parts' digests) does not depend on it.
"""
import csv
import hashlib
import io
import json
import struct
import zlib
from collections import namedtuple
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.domain import CATEGORIES
from app.extensions import db
from app.models import ImpactMonthMunicipality, ImpactVersion, OpenDataPart
from app.models.base import utcnow
from app.services.impact import periods, stats
from app.worker import job

FORMATS = ("json", "csv")
# The fields of a row, in order (app/opendata/routes.py describes each).
FIELDS = ("mese", "provvisorio", "comune", "categoria", "categoria_nome", "donazioni", "kg", "kg_pesati",
          "kg_dichiarati", "pasti_equivalenti", "co2e_kg", "valore_eur")
LAYOUT = 1  # bump when the text of a part changes shape: every stored part is then built again
PARTS_PER_RUN = 48  # (month, category) pairs one run of the job builds (both formats): a run stays short
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no time, unknown OS
_CRC_POLY = 0xEDB88320

Segment = namedtuple("Segment", "data crc size digest")  # raw deflate (sync-flushed), CRC-32, bytes, SHA-256


# --- gzip from pieces ----------------------------------------------------------------------------

def _multmodp(a, b):
    """a x b modulo the CRC-32 polynomial (bit-reflected), as zlib's multmodp."""
    m, p = 1 << 31, 0
    while True:
        if a & m:
            p ^= b
            if a & (m - 1) == 0:
                return p
        m >>= 1
        b = (b >> 1) ^ _CRC_POLY if b & 1 else b >> 1


def _x2n_table():
    table, p = [], 1 << 30  # x^1
    for _ in range(32):
        table.append(p)
        p = _multmodp(p, p)
    return table


_X2N = _x2n_table()


def crc32_combine(crc1, crc2, len2):
    """The CRC-32 of A + B from CRC-32(A), CRC-32(B) and len(B), as zlib's crc32_combine."""
    p, k = 1 << 31, 3  # x^0; then x^(8 * len2): 2^3 bits per byte
    while len2:
        if len2 & 1:
            p = _multmodp(_X2N[k & 31], p)
        len2 >>= 1
        k += 1
    return _multmodp(p, crc1) ^ crc2


def _level():
    return int(current_app.config.get("COMPRESS_GZIP_LEVEL", 6))


def segment(text):
    """`text` as a Segment: its own raw deflate stream, sync-flushed (a byte boundary, no final block)."""
    raw = text.encode()
    compressor = zlib.compressobj(_level(), zlib.DEFLATED, -15)
    data = compressor.compress(raw) + compressor.flush(zlib.Z_SYNC_FLUSH) if raw else b""
    return Segment(data, zlib.crc32(raw), len(raw), hashlib.sha256(raw).hexdigest())


class File:
    """A file made of segments: its ETag, its gzip member and its plain bytes."""

    def __init__(self, segments):
        self.segments = [s for s in segments if s.size]

    @property
    def etag(self):
        """The SHA-256 of the segments' digests (so of the text), shortened: the same on every instance."""
        return hashlib.sha256("".join(s.digest for s in self.segments).encode()).hexdigest()[:32]

    def gzip(self):
        """One gzip member of the whole text, from the segments' compressed data as they are."""
        crc, size = 0, 0
        for s in self.segments:
            crc, size = crc32_combine(crc, s.crc, s.size), size + s.size
        final = zlib.compressobj(_level(), zlib.DEFLATED, -15).flush()  # an empty final block
        return b"".join([_GZIP_HEADER, *(s.data for s in self.segments), final,
                         struct.pack("<II", crc, size & 0xFFFFFFFF)])

    def plain(self):
        """The text, as bytes (for a client that takes no gzip)."""
        return b"".join(zlib.decompressobj(-15).decompress(s.data) for s in self.segments)


def assemble(fmt, head, parts, tail):
    """The File of one year: `head`, its parts (separated by commas in JSON: each is rows of objects), `tail`."""
    pieces = [segment(head)]
    comma = segment(",")
    for n, part in enumerate(p for p in parts if p.size):
        if n and fmt == "json":
            pieces.append(comma)
        pieces.append(part)
    return File(pieces + [segment(tail)])


# --- the rows of a month and category ---------------------------------------------------------------

def _category_names():
    """{category: its Italian name}: one file for every reader, in Italian whatever the request's language."""
    with force_locale("it"):
        return {key: str(entry[0]) for key, entry in CATEGORIES.items()}


# What json.dumps(dict(zip(FIELDS, values)), ensure_ascii=False) writes, without building the dicts
# (a national year has 120,000 rows): strings through the JSON encoder, floats as their repr as json does.
_JSON_ROW = "\n{" + ", ".join(f'"{name}": %s' for name in FIELDS) + "}"
_string = json.JSONEncoder(ensure_ascii=False).encode


def part_text(fmt, cells, now=None):
    """The text of one part from its cells (stats.open_data_cells of one month and category).

    JSON objects one a line (each after a newline), or CSV lines; the figures
    of stats.open_data_rows, rounded to 2 decimals. One formatting per row,
    the strings shared by every row quoted once.
    """
    if not cells:
        return ""
    f = stats.factors()
    meal, co2e = f["meal_kg"], f["co2e_per_kg"]
    month, category = cells[0][:2]
    provisional = "true" if month == periods.rome_date(now or utcnow()).replace(day=1) else "false"
    key = "%d-%02d" % (month.year, month.month)
    name = _category_names().get(category, category)
    if fmt == "json":
        month_key, category_key, category_name = (s.replace("%", "%%") for s in map(_string, (key, category, name)))
        # The strings of the part written in once; "%s" left for the row's own values.
        row = _JSON_ROW % (month_key, provisional, "%s", category_key, category_name, *("%s",) * 7)
        return ",".join(row % (_string(place), lots, round(kg, 2), round(weighed, 2), round(declared, 2),
                               round(food / meal, 2), round(kg * co2e, 2), round(value, 2))
                        for _m, _c, place, lots, kg, weighed, declared, food, value in cells)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        (key, provisional, place, category, name, lots, round(kg, 2), round(weighed, 2), round(declared, 2),
         round(food / meal, 2), round(kg * co2e, 2), round(value, 2))
        for _m, _c, place, lots, kg, weighed, declared, food, value in cells)
    return buffer.getvalue()


def csv_head():
    """The CSV header line."""
    return ",".join(FIELDS) + "\r\n"


def recipe(fmt, provisional):
    """What a part's text depends on besides the rollup: layout, format, factors, provisional, category names."""
    key = json.dumps([LAYOUT, fmt, stats.factors(), provisional, _category_names()], sort_keys=True,
                     ensure_ascii=False)
    return hashlib.sha256(key.encode()).hexdigest()


# --- years and parts -----------------------------------------------------------------------------------

def years():
    """(first, last) year with rescued food in the rollup, or None (two index lookups)."""
    first, last = db.session.execute(select(func.min(ImpactMonthMunicipality.month),
                                            func.max(ImpactMonthMunicipality.month))).one()
    return (first.year, last.year) if first is not None else None


def _state(fmt, first, after, bodies=True):
    """(month, category) pairs of [first, after) with a version, each with its stored part (or None columns)."""
    v, p = ImpactVersion, OpenDataPart
    columns = [v.month, v.category, v.version, p.version.label("built"), p.recipe]
    columns += [p.digest, p.crc, p.size, p.body] if bodies else []
    return db.session.execute(
        select(*columns).select_from(v)
        .outerjoin(p, (p.month == v.month) & (p.category == v.category) & (p.format == fmt))
        .where(v.month >= first, v.month < after)).all()


class _Recipes:
    """The recipe in force for each month of one format (two values: the current month's and the others')."""

    def __init__(self, fmt, now):
        self.current = periods.rome_date(now).replace(day=1)
        self.values = {flag: recipe(fmt, flag) for flag in (False, True)}

    def valid(self, row):
        """True when `row` of _state has a stored part built from its version and with this recipe."""
        return row.built == row.version and row.recipe == self.values[row.month == self.current]


def _grouped(cells):
    grouped = {}
    for cell in cells:
        grouped.setdefault(cell[:2], []).append(cell)
    return grouped


def year_parts(fmt, year, now=None):
    """The Segments of `year` up to now's month, in (month, category) order: stored parts where valid, else computed.

    Two statements at most: the pairs with their parts, then the rollup rows of
    the pairs whose part is missing or out of date (after one pickup, the rows
    of one month and category: about 1,300 at national size).
    """
    now = now or utcnow()
    recipes = _Recipes(fmt, now)
    pairs = sorted((row for row in _state(fmt, date(year, 1, 1), date(year + 1, 1, 1))
                    if row.month <= recipes.current), key=lambda row: (row.month, row.category))
    stale = [(row.month, row.category) for row in pairs if not recipes.valid(row)]
    computed = _grouped(stats.open_data_cells(now=now, pairs=stale))
    return [Segment(row.body, row.crc, row.size, row.digest) if recipes.valid(row)
            else segment(part_text(fmt, computed.get((row.month, row.category), []), now)) for row in pairs]


def _store(fmt, month, category, version, recipe_, part):
    dialect = db.session.get_bind().dialect.name
    values = {"format": fmt, "month": month, "category": category, "version": version, "recipe": recipe_,
              "digest": part.digest, "crc": part.crc, "size": part.size, "body": part.data}
    key = ("format", "month", "category")
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(OpenDataPart).values(**values)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=list(key), set_={k: statement.excluded[k] for k in values if k not in key}))


def refresh(now=None, limit=PARTS_PER_RUN):
    """Build the parts that are missing or out of date, newest months first; returns how many. Commits.

    The version is read before the rows: a change committed in between leaves
    the part one version behind, so the next run builds it again. Two workers
    building the same part write the same text; the later one stays.
    """
    now = now or utcnow()
    recipes = {fmt: _Recipes(fmt, now) for fmt in FORMATS}
    todo = {}
    for fmt in FORMATS:
        for row in _state(fmt, date.min, recipes[fmt].current + timedelta(days=1), bodies=False):
            if not recipes[fmt].valid(row):
                entry = todo.setdefault((row.month, row.category), {"version": row.version, "formats": []})
                entry["formats"].append(fmt)
    built = 0
    for month, category in sorted(todo, key=lambda pair: (-pair[0].toordinal(), pair[1]))[:limit]:
        cells = stats.open_data_cells(now=now, pairs=[(month, category)])
        entry = todo[(month, category)]
        for fmt in entry["formats"]:
            _store(fmt, month, category, entry["version"], recipes[fmt].values[month == recipes[fmt].current],
                   segment(part_text(fmt, cells, now)))
            built += 1
        db.session.commit()
    return built


@job("open_data_parts", every=15)
def _refresh_parts():
    """Keep the open data files' parts ready: the current month's change with every pickup.

    Often, so that a request seldom computes more than a category or two of
    the current month; a run that finds nothing to build costs two small queries.
    """
    return refresh()
