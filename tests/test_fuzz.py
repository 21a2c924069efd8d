"""Fuzz test (issue 16): generated hostile values to /api/ops, every form and every query string.

Runs in `make test` on SQLite and on PostgreSQL, with a fixed hypothesis profile
(derandomize) so that CI is reproducible. It fails on any 5xx, on any exception
that escapes a view, and on any operation answered `server_error`. Each example
is one request; EXAMPLES sets how many per test (several thousand in all).
"""
import inspect
import json
import os
import pathlib
import re
import sys
from datetime import timedelta
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models.base import utcnow
from app.services import ops
from tests.pickups_helpers import network, tokens  # noqa: F401

ROOT = pathlib.Path(__file__).resolve().parents[1]
# RACCOLTO_FUZZ_SCALE=0.1 for a quick look while developing, 10 for a long hunt.
SCALE = float(os.environ.get("RACCOLTO_FUZZ_SCALE", "1"))
EXAMPLES = {kind: max(1, int(n * SCALE)) for kind, n in {"api": 700, "forms": 900, "queries": 900}.items()}
FUZZ = settings(derandomize=True, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])
# Views that would end the session or the account the test runs as: not fuzzed.
SKIP = {"auth.logout", "account.delete", "static", "pwa.service_worker"}

NASTY = ["\x00", "a\x00b", "\ud800", "x\udfff", "0001-01-01", "9999-12-31", "0001-01-01T00:00:00+01:00",
         "9999-12-31T23:59:59-01:00", str(2 ** 31), str(2 ** 63), "1" + "0" * 400, "-1", "1e400", "NaN",
         "", " ", '"><svg onload=alert(1)>', "12,5", "2026-13-45", "../../etc/passwd", "%00", "🍎",
         "a" * 3000, "[]", "{}", "null", "true", "0", "00000000000000000000001", "100000000000000000000",
         str(-2 ** 63), "2026-02-30", "T", "1.5", "-0"]
TEXT = st.one_of(st.sampled_from(NASTY), st.sampled_from(NASTY), st.text(max_size=20),
                 st.integers(min_value=-2 ** 80, max_value=2 ** 80).map(str))
# Plausible values, so that most fields of a request get past the first check and the
# hostile one among them reaches the view.
BENIGN = st.one_of(st.sampled_from(["", "1", "2", "3", "x", "12,5", "on", "latticini", "chilled", "use_by",
                                    "pending", "30", "2026-12-01", "pickup", "it", "en", "a@example.org"]),
                   st.text(st.characters(categories=("L", "N")), max_size=8))
VALUE = st.one_of(BENIGN, BENIGN, BENIGN, TEXT)


def _names(pattern, *globs):
    found = set()
    for glob in globs:
        for path in ROOT.glob(glob):
            found.update(re.findall(pattern, path.read_text()))
    return sorted(found)


# Every form field name in the templates and form classes, every query name the views read.
FORM_FIELDS = sorted(set(_names(r'name="([a-z_]+)"', "templates/**/*.html"))
                     | set(_names(r"^\s+(\w+) = \w*Field\(", "app/**/forms.py")))
QUERY_PATTERN = r'args(?:\.get)?[\(\[]\s*"(\w+)"'
QUERY_NAMES = _names(QUERY_PATTERN, "app/**/*.py") + ["q", "lang"]
PARAMS = _names(QUERY_PATTERN, "app/impact/params.py")  # the impact pages' filters, read by scope_from
OP_FIELDS = ["donation_id", "recipient_id", "store_id", "token", "stage", "temperature_c", "kg", "crates",
             "category", "storage", "description", "date_kind", "date", "allergens", "value_eur",
             "window_start", "window_end", "best_before_confirmed", "notes", "reason", "override",
             "received_kg", "problems", "problem", "note"]


def _json_values(real):
    """JSON values a careless or hostile client might send, and some real ones."""
    leaves = st.one_of(st.none(), st.booleans(), TEXT, st.sampled_from(real),
                       st.integers(), st.sampled_from([2 ** 31, 2 ** 63, 10 ** 400, -(2 ** 64)]),
                       st.floats(allow_nan=True, allow_infinity=True))
    return st.recursive(leaves, lambda children: st.lists(children, max_size=3)
                        | st.dictionaries(st.text(max_size=6), children, max_size=3), max_leaves=6)


def _operation(real):
    values = _json_values(real)
    kinds = st.sampled_from(sorted(ops.HANDLERS) + ["donation.expire", "nope"])
    return st.builds(
        lambda op_id, kind, fields, when: {"op_id": op_id, "kind": kind, **fields,
                                           **({"occurred_at": when} if when is not None else {})},
        st.one_of(st.uuids().map(str), TEXT, values),
        st.one_of(kinds, kinds, values),
        st.dictionaries(st.sampled_from(OP_FIELDS), values, max_size=6),
        st.one_of(st.none(), st.just(utcnow().isoformat()), TEXT))


def _encode(pairs):
    """A query string or form body from (name, text) pairs; lone surrogates become invalid UTF-8."""
    return "&".join(quote_from_bytes(name.encode("utf-8", "surrogatepass")) + "="
                    + quote_from_bytes(value.encode("utf-8", "surrogatepass")) for name, value in pairs)


def _url(rule, values, real_ids):
    """Fill a URL rule's <converters> with generated values."""

    def fill(match):
        converter = match.group(1) or ""
        value = next(values)
        if converter.startswith("int"):
            # Digits go as they are (2**63 included); anything else picks a real row.
            return value if value.isascii() and value.isdigit() else str(real_ids[len(value) % len(real_ids)])
        if converter.startswith("any("):
            return converter[4:].split(",")[0].strip(" )'\"")
        return quote_from_bytes(value.encode("utf-8", "surrogatepass"), safe="")

    return re.sub(r"<(?:([^:>]+):)?[^>]+>", fill, rule)


@pytest.fixture
def world(app, network, login_as, make_user):
    """A small network with donations in several states, and one logged-in client per role."""
    posted, claimed = network.post(), network.post(description="Pane")
    assert ops.apply({"op_id": ops.new_op_id(), "kind": "donation.claim", "donation_id": claimed.id},
                     network.volunteer)["status"] == "applied"
    people = [network.clerk, network.volunteer, network.charity_staff, network.coordinator,
              make_user("volunteer", volunteer_status="pending"), None]
    clients = []
    for person in people:
        client = app.test_client()
        if person is not None:
            login_as(person, on=client)
        clients.append(client)
    real = [posted.id, claimed.id, network.charity.id, network.store.id, *tokens(posted), "pickup", "receipt",
            "latticini", "chilled", "use_by", (utcnow() + timedelta(hours=2)).isoformat()]
    ids = [posted.id, claimed.id, network.store.id, network.charity.id, network.volunteer.id, 1]
    return {"clients": clients, "real": real, "ids": ids, "people": people}


# The client of the role each area is for (the others are tried too, less often).
AREAS = {"/negozio": 0, "/volontario": 1, "/ente": 2, "/coordinamento": 3}


def _client_for(world, url, who):
    """The client of the area's role for 3 draws in 4, else the drawn one."""
    area = next((index for prefix, index in AREAS.items() if url.startswith(prefix)), None)
    return world["clients"][area if area is not None and who % 4 else who % len(world["clients"])]


def _query_names(app, rule):
    """The query names the view's module reads (and the impact filters, where it uses them)."""
    source = inspect.getsource(sys.modules[app.view_functions[rule.endpoint].__module__])
    names = set(re.findall(QUERY_PATTERN, source))
    if "scope_from" in source or "params." in source:
        names.update(PARAMS)
    return sorted(names)


def _form_fields(app, world, rules):
    """For each POST rule, the field names of the forms on its page (or its parent's), else all."""
    found = {}
    for rule in rules:
        url = _url(rule.rule, iter(["1"] * 3), world["ids"])
        names = set()
        client = _client_for(world, url, 1)
        for page in (url, url.rsplit("/", 1)[0] or "/"):
            response = client.get(page)
            if response.status_code == 200 and response.mimetype == "text/html":
                names.update(re.findall(r'name="([\w-]+)"', response.get_data(as_text=True)))
        names.discard("csrf_token")
        found[rule.rule] = sorted(names) or FORM_FIELDS
    return found


def _no_server_error(response, what):
    assert response.status_code < 500, f"{what}: {response.status_code}"


@pytest.mark.fuzz
def test_fuzz_api_ops(world):
    """Batches of generated operations: never a 5xx, one result per operation, never server_error."""

    @settings(FUZZ, max_examples=EXAMPLES["api"])
    @given(who=st.integers(0, len(world["clients"]) - 1),
           batch=st.lists(_operation(world["real"]), min_size=1, max_size=4),
           wrap=st.sampled_from(["ops", "ops", "ops", "raw", "list"]))
    def run(who, batch, wrap):
        body = {"ops": batch} if wrap == "ops" else (batch if wrap == "list" else {"ops": batch[0]})
        raw = json.dumps(body).encode()
        response = world["clients"][who].post("/api/ops", data=raw, content_type="application/json")
        _no_server_error(response, raw[:300])
        if response.status_code == 200:
            results = response.get_json()["results"]
            assert len(results) == len(body["ops"])
            assert [r for r in results if r.get("code") == "server_error"] == []

    run()


def _routes(app, method):
    return [rule for rule in app.url_map.iter_rules()
            if method in rule.methods and rule.endpoint not in SKIP]


def _fields(names):
    """One hostile value first (what a view's .get() reads), then plausible values in other fields."""
    return st.builds(lambda hostile, benign: [hostile] + [pair for pair in benign if pair[0] != hostile[0]],
                     st.tuples(st.sampled_from(names), TEXT),
                     st.lists(st.tuples(st.sampled_from(names), BENIGN), max_size=len(names)))


@pytest.mark.fuzz
def test_fuzz_every_form(app, world):
    """Every POST view, with a hostile value among plausible ones in the fields of its forms."""
    rules = _routes(app, "POST")
    assert len(rules) > 30
    fields_of = _form_fields(app, world, rules)
    per_rule = max(1, EXAMPLES["forms"] // len(rules))

    def fuzz(rule):
        @settings(FUZZ, max_examples=per_rule)
        @given(who=st.integers(0, 99), path_values=st.lists(VALUE, min_size=3, max_size=3),
               fields=_fields(fields_of[rule.rule]))
        def run(who, path_values, fields):
            url = _url(rule.rule, iter(path_values), world["ids"])
            response = _client_for(world, url, who).post(url, data=_encode(fields),
                                                         content_type="application/x-www-form-urlencoded")
            _no_server_error(response, f"POST {url} {fields!r}"[:400])

        run()

    for rule in rules:
        fuzz(rule)


@pytest.mark.fuzz
def test_fuzz_every_query_string(app, world):
    """Every GET view, with generated path values and a hostile value in its query string."""
    rules = _routes(app, "GET")
    assert len(rules) > 50
    names_of = {rule.rule: _query_names(app, rule) for rule in rules}
    # Views that read a query string get the examples; the others a few each.
    weight = {rule.rule: 1 + 4 * len(names_of[rule.rule]) for rule in rules}
    unit = EXAMPLES["queries"] / sum(weight.values())

    def fuzz(rule):
        @settings(FUZZ, max_examples=max(1, round(unit * weight[rule.rule])))
        @given(who=st.integers(0, 99), path_values=st.lists(VALUE, min_size=3, max_size=3),
               query=_fields(names_of[rule.rule] or QUERY_NAMES))
        def run(who, path_values, query):
            url = _url(rule.rule, iter(path_values), world["ids"])
            response = _client_for(world, url, who).get(url + "?" + _encode(query))
            _no_server_error(response, f"GET {url} {query!r}"[:400])

        run()

    for rule in rules:
        fuzz(rule)
