"""Reading the impact filters from a query string, with Italian messages for bad values."""
from flask_babel import gettext as _
from sqlalchemy import select

from app.domain import CATEGORIES
from app.extensions import db
from app.models import Organisation
from app.services import ServiceError
from app.services.impact import periods, stats


def _organisation_id(raw, kind, message):
    if raw in (None, ""):
        return None
    try:
        org_id = int(raw)
    except ValueError:
        raise ServiceError("bad_filter", message) from None
    if db.session.scalar(select(Organisation.id).where(Organisation.id == org_id, Organisation.kind == kind)) is None:
        raise ServiceError("bad_filter", message)
    return org_id


def scope_from(args, **fixed):
    """A stats.Scope from ?periodo=&negozio=&ente=&categoria=; ServiceError (Italian) on a bad value.

    `fixed` values (the user's own store or charity) win over the query string.
    """
    period = periods.parse_period(args.get("periodo"))
    category = args.get("categoria") or None
    if category is not None and category not in CATEGORIES:
        raise ServiceError("bad_filter", _("Categoria sconosciuta: «%(c)s». Scegline una dall'elenco.", c=category[:30]))
    values = {"period": period, "category": category,
              "store_id": _organisation_id(args.get("negozio"), "store",
                                           _("Punto vendita non trovato: scegline uno dall'elenco.")),
              "charity_id": _organisation_id(args.get("ente"), "charity",
                                             _("Ente beneficiario non trovato: scegline uno dall'elenco."))}
    values.update(fixed)
    return stats.Scope(**values)


def filter_options():
    """Stores and charities for the filter menus (id, name), by name."""
    rows = db.session.execute(select(Organisation.id, Organisation.name, Organisation.kind)
                              .where(Organisation.kind.in_(("store", "charity")))
                              .order_by(Organisation.name)).all()
    return {"stores": [r for r in rows if r.kind == "store"], "charities": [r for r in rows if r.kind == "charity"],
            "categories": [(key, str(entry[0])) for key, entry in CATEGORIES.items()],
            "periods": periods.period_choices()}


def query_args(scope):
    """The query string that reproduces `scope` (for links: CSV, page URL)."""
    args = {"periodo": scope.period.key}
    if scope.store_id is not None:
        args["negozio"] = scope.store_id
    if scope.charity_id is not None:
        args["ente"] = scope.charity_id
    if scope.category:
        args["categoria"] = scope.category
    return args
