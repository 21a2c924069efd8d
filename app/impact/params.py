"""Reading the impact filters from a query string, with Italian messages for bad values.

Stores and charities are chosen by search, not from a list of every
organisation (38,000 at national size): `suggestions()` answers a few
matches of a name or town, and `?negozio=<id>` / `?ente=<id>` stay the filters.
"""
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.domain import CATEGORIES
from app.extensions import db
from app.models import Organisation
from app.services import ServiceError
from app.services.impact import periods, stats
from app.services.people import directory

SUGGESTIONS = 10  # matches shown under a search field
MIN_QUERY = 2  # letters before searching
# Query parameter of each organisation filter, its kind, and the parameter of its search field.
PICKERS = (("negozio", "store", "cerca_negozio"), ("ente", "charity", "cerca_ente"))


def _organisation(raw, kind, message):
    """The (id, name, municipality) row of the organisation `raw` names, None when empty; ServiceError if unknown."""
    if raw in (None, ""):
        return None
    try:
        org_id = int(raw)
    except ValueError:
        raise ServiceError("bad_filter", message) from None
    if not 0 < org_id < 2 ** 31:
        raise ServiceError("bad_filter", message)
    row = db.session.execute(select(Organisation.id, Organisation.name, Organisation.municipality)
                             .where(Organisation.id == org_id, Organisation.kind == kind)).first()
    if row is None:
        raise ServiceError("bad_filter", message)
    return row


def _messages():
    return {"store": _("Punto vendita non trovato: scegline uno dall'elenco."),
            "charity": _("Ente beneficiario non trovato: scegline uno dall'elenco.")}


def read_filters(args, **fixed):
    """(stats.Scope, {'negozio': row or None, 'ente': row or None}) from the query string.

    ServiceError (Italian) on a bad value; `fixed` values (the user's own store or charity) win.
    """
    period = periods.parse_period(args.get("periodo"))
    category = args.get("categoria") or None
    if category is not None and category not in CATEGORIES:
        raise ServiceError("bad_filter", _("Categoria sconosciuta: «%(c)s». Scegline una dall'elenco.", c=category[:30]))
    messages = _messages()
    chosen = {param: _organisation(args.get(param), kind, messages[kind]) for param, kind, _search in PICKERS}
    values = {"period": period, "category": category,
              "store_id": chosen["negozio"].id if chosen["negozio"] else None,
              "charity_id": chosen["ente"].id if chosen["ente"] else None}
    values.update(fixed)
    return stats.Scope(**values), chosen


def scope_from(args, **fixed):
    """A stats.Scope from ?periodo=&negozio=&ente=&categoria=; ServiceError (Italian) on a bad value.

    `fixed` values (the user's own store or charity) win over the query string.
    """
    return read_filters(args, **fixed)[0]


def suggestions(kind, query, limit=SUGGESTIONS, active_only=False):
    """Up to `limit` organisations of `kind` whose name or town contains `query` (by name); None if too short."""
    query = (query or "").strip()[:80]
    if len(query) < MIN_QUERY:
        return None
    return directory.search(kind, query, limit, active_only=active_only)


def filter_options():
    """Categories and periods for the filter menus (stores and charities are searched, see suggestions)."""
    return {"categories": [(key, str(entry[0])) for key, entry in CATEGORIES.items()],
            "periods": periods.period_choices()}


# Pages that filter by a searched organisation: the key the suggestions endpoint takes (?per=) -> endpoint.
PICKER_PAGES = {"impatto": "impact.dashboard", "documenti": "documents.coordinator_documents"}
# POST forms whose <select> of organisations a search fills (?per=modulo&campo=<the select's id>), see
# app/impact/choices.py: the matches are buttons that put the organisation in the select, not links.
FORM_PAGE = "modulo"
FORM_FIELDS = ("recipient_id", "s-recipient", "s-store")


def picker(param, args, chosen=None, page="impatto", field=None):
    """The state of one organisation search field: the chosen organisation and the link that drops it,
    the query and its matches, each with the link to `page` that picks it (keeping the other filters).

    With `field` (the id of a form's <select>, page FORM_PAGE) the matches are active organisations
    only and carry no link: the form's select takes them (see app/impact/choices.py).
    """
    param, kind, search = next(p for p in PICKERS if p[0] == param)
    query = (args.get(search) or "").strip()[:80]
    found = suggestions(kind, query, active_only=field is not None) if query else None
    if field is not None:
        matches = None if found is None else [
            {"id": row.id, "name": row.name, "municipality": row.municipality} for row in found]
        return {"param": param, "kind": kind, "search": search, "chosen": chosen, "query": query,
                "matches": matches, "page": FORM_PAGE, "field": field}
    endpoint = PICKER_PAGES[page]
    matches = None if found is None else [
        {"id": row.id, "name": row.name, "municipality": row.municipality,
         "url": url_for(endpoint, **link_args(args, **{param: row.id}))} for row in found]
    return {"param": param, "kind": kind, "search": search, "chosen": chosen, "query": query, "matches": matches,
            "page": page, "clear_url": url_for(endpoint, **link_args(args, **{param: None}))}


def pickers(args, chosen):
    """Every organisation search field of the dashboard (see picker)."""
    return [picker(param, args, chosen.get(param)) for param, _kind, _search in PICKERS]


def link_args(args, **changes):
    """The dashboard's filter parameters of `args` (searches left out) with `changes`; None drops a key."""
    kept = {key: args.get(key) for key in ("periodo", "negozio", "ente", "categoria") if args.get(key)}
    kept.update(changes)
    return {key: value for key, value in kept.items() if value not in (None, "")}


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
