"""One guard in front of every request (issue 16): hostile input gets a clear 4xx, never a 500.

It runs before any view and refuses, with an Italian page (JSON under /api):
- a request line longer than MAX_REQUEST_LINE (414) or a header longer than
  MAX_HEADER_BYTES (431): gunicorn's own limit is lifted in the Makefile so
  that the answer is ours, in Italian;
- NUL bytes or invalid UTF-8 in the path, the query string or a form body,
  and JSON bodies that are not UTF-8 or nest deeper than MAX_JSON_DEPTH (400);
- integer query values beyond the database's integer, and dates with an
  implausible year in the query (400).
Integer path values beyond the database's integer match no route (404): the
`int` URL converter is bounded here, before the blueprints register their rules.

What one operation of a /api/ops batch holds (a NUL in a description) is not
the request's fault: the engine refuses that operation alone, so a phone's
queue never jams on it.
"""
import re
from urllib.parse import unquote_to_bytes

from flask import abort, jsonify, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from app.services.ops import schemas
from app.services.ops.schemas import INT32, YEARS

MAX_REQUEST_LINE = 8190  # what gunicorn allows by default, answered by us in Italian
MAX_HEADER_BYTES = 8190
MAX_JSON_DEPTH = 32
# Query parameters whose value is text even when it is all digits (a typed crate code).
TEXT_QUERY = ("codice", "next", "q", "firmatario", "qualifica", "cerca_negozio", "cerca_ente")
_DIGITS = re.compile(r"\A[+-]?\d+\Z")
_ISO_DAY = re.compile(r"\A\s*(\d{1,})-\d{1,2}-\d{1,2}")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(rb"[\[\]{}]")


class DatabaseInt(IntegerConverter):
    """The `int` URL converter, bounded by the database's integer: a bigger id is no page (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT32, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _utf8_problem(raw):
    """Why bytes cannot be text (invalid UTF-8, NUL, a lone surrogate), else None."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _("contiene caratteri non validi (non è testo UTF-8)")
    if "\x00" in text:
        return _("contiene un carattere nullo")
    return None


def _percent_problem(encoded):
    """The problem of a percent-encoded string (a path, a query, a form body), else None."""
    return _utf8_problem(unquote_to_bytes(encoded.replace(b"+", b" ")))


def json_depth(raw):
    """How deep a JSON text nests (strings skipped), counted without parsing it."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_JSON_STRING.sub(b"", raw)):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _value_problem(name, value):
    """The problem of one decoded query value: an integer or a year out of range, else None."""
    if name in TEXT_QUERY:
        return None
    if _DIGITS.match(value) and abs(int(value)) > INT32:
        return _("il numero «%(value)s» è fuori intervallo", value=value[:20])
    day = _ISO_DAY.match(value)
    if day and not YEARS[0] <= int(day.group(1)) <= YEARS[1]:
        return _("l'anno %(year)s non è plausibile", year=day.group(1)[:6])
    return None


def _refuse(status, why):
    """Answer `status` with an Italian explanation: JSON under /api, else the error page."""
    if request.path.startswith("/api/"):
        response = jsonify({"error": "bad_input", "message": _("La richiesta non è valida: %(why)s.", why=why)})
        response.status_code = status
        return response
    abort(status, why[:1].upper() + why[1:] + ".")  # under the page's own heading, "La richiesta non è valida."


def _check():
    """Look at the raw request before any view reads it (see the module docstring)."""
    environ = request.environ
    path = environ.get("PATH_INFO", "").encode("latin-1", "replace")
    query = environ.get("QUERY_STRING", "").encode("latin-1", "replace")
    if len(path) + len(query) > MAX_REQUEST_LINE:
        return _refuse(414, _("l'indirizzo è troppo lungo"))
    for header, value in request.headers.items():
        if len(header) + len(value) > MAX_HEADER_BYTES:
            return _refuse(431, _("un'intestazione è troppo lunga"))
    why = _utf8_problem(path)  # PATH_INFO is already percent-decoded by the server
    if why:
        return _refuse(400, _("l'indirizzo %(why)s", why=why))
    why = _percent_problem(query)
    if why:
        return _refuse(400, _("un parametro %(why)s", why=why))
    for name, value in request.args.items(multi=True):
        why = _value_problem(name, value)
        if why:
            return _refuse(400, _("il parametro «%(name)s»: %(why)s", name=name[:30], why=why))
    return _check_body()


def _check_body():
    """The body: form fields decodable and without NUL; JSON in UTF-8 and not too deep."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        why = _percent_problem(request.get_data(cache=True))
        if why:
            return _refuse(400, _("un campo del modulo %(why)s", why=why))
    elif mimetype == "multipart/form-data":
        for name, value in request.form.items(multi=True):
            if "\x00" in name or "\x00" in value:
                return _refuse(400, _("un campo del modulo contiene un carattere nullo"))
    elif request.is_json or request.path.startswith("/api/"):
        raw = request.get_data(cache=True)
        why = _utf8_problem(raw.replace(b"\x00", b" ")) if raw else None
        if why:
            return _refuse(400, _("il corpo JSON %(why)s", why=why))
        if json_depth(raw) > MAX_JSON_DEPTH:
            return _refuse(400, _("il JSON ha più di %(n)d livelli annidati", n=MAX_JSON_DEPTH))
        if not request.path.startswith("/api/"):
            # Other JSON bodies (a push subscription) go to views without a schema of their own.
            body = request.get_json(silent=True)
            problem = schemas.generic_problem(body if isinstance(body, dict) else {"body": body})
            if problem:
                return _refuse(400, problem[1].rstrip("."))
    for name, value in request.form.items(multi=True):
        if name.endswith("_id") and _DIGITS.match(value.strip()) and abs(int(value)) > INT32:
            return _refuse(400, _("il campo «%(name)s» è fuori intervallo", name=name[:30]))
    return None


def init_app(app):
    """Bound the `int` converter and check every request; call before registering blueprints."""
    app.url_map.converters["int"] = DatabaseInt
    app.before_request(_check)
