"""Finding organisations without reading them all: by name or town, and nearest to a point.

A national network has 30,000 stores and 8,000 charities, so no page lists
every one: forms offer the few nearest and let people search the others.
Both functions answer bounded rows (id, name, municipality), never ORM objects.
"""
import math

from sqlalchemy import case, or_, select

from app.extensions import db
from app.models import Organisation

LONGEST_QUERY = 80


def search(kind, query, limit, active_only=False):
    """Up to `limit` organisations of `kind` whose name or town contains `query`, by name (rows)."""
    o = Organisation
    query = (query or "").strip()[:LONGEST_QUERY]
    where = [o.kind == kind, or_(o.name.icontains(query, autoescape=True),
                                 o.municipality.icontains(query, autoescape=True))]
    if active_only:
        where.append(o.active.is_(True))
    return db.session.execute(select(o.id, o.name, o.municipality).where(*where)
                              .order_by(o.name, o.id).limit(limit)).all()


def nearest(kind, coords, limit, objects=False):
    """Up to `limit` active organisations of `kind`, nearest to `coords` first: rows (id, name,
    municipality, lat, lon), or Organisation objects when `objects` (the recipient rules read them).

    The order is the squared distance on a plane scaled by the cosine of the
    latitude, exact enough to rank places a few tens of km apart and computed
    by the database, which returns only `limit` rows; organisations without
    coordinates come after, by name. With `coords` None: the first by name.
    """
    o = Organisation
    order = [o.name, o.id]
    if coords is not None:
        lat, lon = coords
        scale = math.cos(math.radians(lat)) ** 2
        unplaced = case((o.lat.is_(None) | o.lon.is_(None), 1), else_=0)
        order = [unplaced, (o.lat - lat) * (o.lat - lat) + (o.lon - lon) * (o.lon - lon) * scale] + order
    query = select(o) if objects else select(o.id, o.name, o.municipality, o.lat, o.lon)
    query = query.where(o.kind == kind, o.active.is_(True)).order_by(*order).limit(limit)
    return db.session.scalars(query).all() if objects else db.session.execute(query).all()


def active_row(kind, org_id):
    """The (id, name, municipality) row of an active organisation of `kind`, or None (also for a bad id)."""
    try:
        org_id = int(org_id)
    except (TypeError, ValueError):
        return None
    if not 0 < org_id < 2 ** 31:
        return None
    o = Organisation
    return db.session.execute(select(o.id, o.name, o.municipality)
                              .where(o.id == org_id, o.kind == kind, o.active.is_(True))).first()
