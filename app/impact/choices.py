"""Choosing one store or charity in a POST form without listing the network (30,000 stores, 8,000 charities).

The field is one <select>, the value the form submits, holding the
organisation chosen so far, a bounded list (the nearest charities, or the
eligible nearest ones in the order of the recipient proposal) and, after a
search, the matches. The search is the impact picker in form mode
(`params.picker(..., field=...)`):

- with htmx the matches appear as one types (`impact.form_suggestions`) and a
  tap puts one in the select (static/js/app.js), which stays the submitted value;
- without script the «Cerca» button posts the form to its own view, which sees
  `searching(request.form)` and renders the form again with what was entered
  and the matches in the select, applying nothing. A POST rather than a GET
  search, so the CSRF token and the op_id never go into an address or a log.

The submitted id is still checked where it always was: by the operation
(`unknown_recipient`, `unknown_store`), with its Italian message.
"""
from flask_babel import format_decimal
from flask_babel import gettext as _

from app.geo import distance_km

from app.impact import params
from app.services.people import directory

SEARCH_BUTTON = "cerca"  # the name of the no-script search button


def searching(form):
    """True when a POST is the no-script search of a choice field, not the form's submission."""
    return bool(form.get(SEARCH_BUTTON))


def _option(row, note=None):
    return {"id": row.id, "name": row.name, "municipality": row.municipality, "note": note}


def option(org_id, name, municipality, km=None):
    """One option of a bounded list, with its distance from the store when known («3,2 km»)."""
    return {"id": org_id, "name": name, "municipality": municipality,
            "note": _("%(km)s km", km=format_decimal(round(km, 1))) if km is not None else None}


def nearest_options(rows, coords):
    """Options of directory.nearest rows, each with its distance from `coords`."""
    return [option(row.id, row.name, row.municipality, distance_km(coords, (row.lat, row.lon))) for row in rows]


def field(field_id, param, values, selected, groups, label, name=None, blank=None, required=False,
          error=None, hint=None):
    """The state of one organisation <select> (rendered by impact/_org_choice.html).

    `values`: the submitted form or the query string (its search text is read from them);
    `selected`: the chosen id (kept as an option even when no list holds it);
    `groups`: [(label, [option dicts or rows with id, name, municipality])], already bounded.
    """
    picker = params.picker(param, values, field=field_id)
    kind = picker["kind"]
    groups = [(group_label, [row if isinstance(row, dict) else _option(row) for row in rows])
              for group_label, rows in groups]
    matches = [dict(match, note=None) for match in picker["matches"] or []]
    if matches:
        groups.insert(0, (_("Risultati della ricerca"), matches))
    try:
        chosen = int(selected) if selected not in (None, "") else None
    except (TypeError, ValueError):
        chosen = None
    shown = {option["id"] for _label, options in groups for option in options}
    current = None
    if chosen is not None and chosen not in shown:
        row = directory.active_row(kind, chosen)
        current = _option(row) if row else None
    return {"id": field_id, "name": name or field_id, "label": label, "blank": blank, "required": required,
            "selected": chosen, "current": current, "groups": [g for g in groups if g[1]], "picker": picker,
            "error": error, "hint": hint, "limit": params.SUGGESTIONS, "min_query": params.MIN_QUERY}
