"""Regression tests for the defects of issue 16: one per defect, on SQLite and PostgreSQL."""
import json

import pytest

from app.extensions import db
from app.models import Donation, Operation
from app.services import ops
from tests.donations_support import clock, op, payload, shop  # noqa: F401

BIG = 2 ** 31


def _batch(client, *operations, raw=None):
    """POST a batch to /api/ops; returns (status code, results)."""
    if raw is not None:
        response = client.post("/api/ops", data=raw, content_type="application/json")
    else:
        response = client.post("/api/ops", json={"ops": list(operations)})
    body = response.get_json()
    return response.status_code, (body or {}).get("results", body)


def _logged(op_id):
    return db.session.scalar(db.select(Operation).where(Operation.op_id == op_id))


# --- a batch never jams -------------------------------------------------------------

MALFORMED = [
    ("kind is a list", {"kind": ["donation.post"]}, "kind"),
    ("kind is an object", {"kind": {"a": 1}}, "kind"),
    ("allergens holds an object", {"allergens": [{"latte": True}]}, "allergens"),
    ("allergens is an object", {"allergens": {"x": 1}}, "allergens"),
    ("kg of 10**400", {"kg": 10 ** 400}, "kg"),
    ("kg is a list", {"kg": [1]}, "kg"),
    ("NUL in description", {"description": "Yogurt\x00"}, "description"),
    ("lone surrogate in description", {"description": "Yogurt \ud800"}, "description"),
    ("NUL in notes", {"notes": "\x00"}, "notes"),
    ("window in year 1", {"window_start": "0001-01-01T00:00:00+01:00"}, "window_start"),
    ("window in year 9999", {"window_end": "9999-12-31T23:59:59-01:00"}, "window_end"),
    ("use-by in year 9999", {"date": "9999-12-31"}, "date"),
    ("recipient_id beyond the integer", {"recipient_id": BIG}, "recipient_id"),
    ("recipient_id beyond the integer, as text", {"recipient_id": str(BIG)}, "recipient_id"),
    ("store_id beyond the integer", {"store_id": 2 ** 70}, "store_id"),
    ("recipient_id in Arabic-Indic digits beyond the integer", {"recipient_id": "٩" * 12}, "recipient_id"),
    ("nested too deep", {"notes": [[[[[["x"]]]]]]}, "notes"),
    ("unreadable occurred_at", {"occurred_at": "ieri sera"}, "occurred_at"),
    ("occurred_at is a number", {"occurred_at": 12}, "occurred_at"),
    ("occurred_at in year 1", {"occurred_at": "0001-01-01T00:00:00+05:00"}, "occurred_at"),
]


def _json(value):
    """Encode as a phone's JSON.stringify would (lone surrogates escaped, huge ints as digits)."""
    return json.dumps(value).encode()


@pytest.mark.parametrize("changes,field", [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_a_malformed_operation_is_refused_alone_and_the_batch_goes_on(client, login_as, shop, clock,
                                                                      changes, field):
    login_as(shop.clerk)
    batch = [op("donation.post", **payload(clock)) for _n in range(5)]
    batch[2].update(changes)
    status, results = _batch(client, raw=_json({"ops": batch}))
    assert status == 200 and len(results) == 5
    assert [r["status"] for r in results] == ["applied", "applied", "refused", "applied", "applied"]
    assert (results[2]["code"], results[2]["field"]) == ("invalid", field)
    assert results[2]["message"]  # Italian, for people
    # A replay answers the same and applies nothing twice.
    again_status, again = _batch(client, raw=_json({"ops": batch}))
    assert again_status == 200 and [r["status"] for r in again] == ["duplicate"] * 5
    assert [r["original_status"] for r in again] == [r["status"] for r in results]
    assert (again[2]["code"], again[2]["field"]) == ("invalid", field)
    assert db.session.scalar(db.select(db.func.count()).select_from(Donation)) == 4
    logged = _logged(batch[2]["op_id"])
    assert (logged.status, logged.code) == ("refused", "invalid")


def test_acceptance_batch_of_five_third_malformed(client, login_as, shop, clock):
    """Acceptance 2: 200, five results, four applied, one invalid; a replay answers the same."""
    login_as(shop.clerk)
    batch = [op("donation.post", **payload(clock)) for _n in range(5)]
    batch[2]["kind"] = ["donation.post"]
    status, results = _batch(client, *batch)
    assert status == 200 and len(results) == 5
    assert sorted(r["status"] for r in results) == ["applied"] * 4 + ["refused"]
    assert (results[2]["code"], results[2]["field"]) == ("invalid", "kind")
    _status, again = _batch(client, *batch)
    assert [r.get("original_status", r["status"]) for r in again] == [r["status"] for r in results]
    assert again[2]["code"] == "invalid"


def test_an_unexpected_error_in_one_handler_answers_for_that_one_only(client, login_as, shop, clock,
                                                                      monkeypatch):
    login_as(shop.clerk)
    real = ops.HANDLERS["donation.cancel"].func

    def broken(ctx):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(ops.HANDLERS["donation.cancel"], "func", broken)
    status, results = _batch(client, op("donation.post", **payload(clock)),
                             op("donation.cancel", donation_id=1, reason="x"),
                             op("donation.post", **payload(clock)))
    assert status == 200 and [r["status"] for r in results] == ["applied", "refused", "applied"]
    assert results[1]["code"] == "server_error"
    assert real is not broken


# --- validation gaps ----------------------------------------------------------------

@pytest.mark.parametrize("op_id", ["abcdefgh1234\n", "abcdefgh1234\r\n", "abc\x00defgh12", "short", "", None,
                                   ["abcdefgh1234"], "abcdefgh\ud800"])
def test_op_id_must_match_exactly(client, login_as, shop, clock, op_id):
    login_as(shop.clerk)
    status, results = _batch(client, raw=_json({"ops": [{**op("donation.post", **payload(clock)),
                                                          "op_id": op_id}]}))
    assert status == 200 and (results[0]["status"], results[0]["code"]) == ("refused", "invalid")
    assert db.session.scalar(db.select(db.func.count()).select_from(Donation)) == 0


def test_unreadable_occurred_at_is_refused_not_replaced_by_the_server_time(shop, clock):
    result = ops.apply({**op("donation.post", **payload(clock)), "occurred_at": "25/11/2026 17:02"}, shop.clerk)
    assert (result["status"], result["code"], result["field"]) == ("refused", "invalid", "occurred_at")
    # An empty one (a form without JavaScript) still means "now".
    assert ops.apply({**op("donation.post", **payload(clock)), "occurred_at": ""}, shop.clerk)["status"] == "applied"


@pytest.mark.parametrize("changes,code,field", [
    (lambda c: {"date_kind": "use_by", "date": "2099-12-31"}, "invalid", "date"),
    (lambda c: {"date_kind": "best_before", "date": (c.today.replace(year=c.today.year + 6)).isoformat()},
     "invalid", "date"),
    (lambda c: {"date_kind": "none", "window_end": c.at(13, days=3650).isoformat()},
     "window_too_long", "window_end"),
    (lambda c: {"date_kind": "none", "window_start": c.at(10, days=90).isoformat(),
                "window_end": c.at(13, days=90).isoformat()}, "window_too_far", "window_start"),
], ids=["use-by in 2099", "best-before six years on", "ten-year window", "window three months ahead"])
def test_implausible_dates_are_refused(shop, clock, changes, code, field):
    result = ops.apply(op("donation.post", **payload(clock, **changes(clock))), shop.clerk)
    assert (result["status"], result["code"], result["field"]) == ("refused", code, field)


def test_plausible_long_life_dates_still_pass(shop, clock):
    tin = {"category": "dispensa", "storage": "ambient", "date_kind": "best_before",
           "date": clock.today.replace(year=clock.today.year + 3).isoformat(), "allergens": []}
    assert ops.apply(op("donation.post", **payload(clock, **tin)), shop.clerk)["status"] == "applied"


# --- the request guard ----------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/eventi/%00.ics", "/eventi/%00", "/campagne/a%00b", "/?q=%00", "/?x=%ff%fe", "/?x=%ed%a0%80",
    "/coordinamento/ritiri?giorno=0001-01-01", "/coordinamento/ritiri?giorno=9999-12-31",
    "/notifiche/?prima=100000000000000000000", "/negozio/storico?pagina=100000000000000000000",
    "/negozio/storico?pagina=-100000000000000000000", "/open-data/?anno=0001-01-01",
])
def test_hostile_query_or_path_is_a_clear_400_in_italian(client, login_as, make_user, path):
    login_as(make_user("coordinator"))
    response = client.get(path)
    assert response.status_code == 400
    assert "La richiesta non è valida" in response.get_data(as_text=True)  # the page's heading


@pytest.mark.parametrize("path", [
    f"/volontario/ritiri/{BIG}", f"/negozio/donazioni/{BIG}", f"/coordinamento/ritiri/{BIG}",
    f"/notifiche/{BIG}", f"/coordinamento/organizzazioni/{2 ** 70}", f"/coordinamento/campagne/{BIG}",
])
def test_ids_beyond_the_database_integer_are_404(client, login_as, make_user, path):
    login_as(make_user("coordinator"))
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", [f"/volontario/ritiri/{BIG}/prenota", f"/coordinamento/ritiri/{BIG}/ente",
                                  f"/negozio/donazioni/{BIG}/annulla", f"/coordinamento/segnalazioni/{BIG}/gestita"])
def test_posts_to_ids_beyond_the_database_integer_are_404(client, login_as, make_user, path):
    login_as(make_user("coordinator"))
    assert client.post(path, data={"reason": "x"}).status_code == 404


def test_form_id_beyond_the_integer_is_400(client, login_as, make_user):
    login_as(make_user("coordinator"))
    response = client.post("/coordinamento/ritiri/1/ente", data={"recipient_id": str(BIG)})
    assert response.status_code == 400


@pytest.mark.parametrize("path,data", [
    ("/registrati", {"name": "Ada\x00", "email": "ada@example.org", "phone": "333", "consent": "y"}),
    ("/contatti", {"name": "Ada", "email": "ada@example.org", "message": "Ciao\x00"}),
    ("/eventi/una-festa/partecipa", {"name": "Ada\x00", "email": "ada@example.org"}),
    ("/login", {"email": "ada@example.org\x00", "password": "x"}),
])
def test_nul_in_a_form_is_a_clear_400(client, path, data):
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "carattere nullo" in response.get_data(as_text=True)


def test_invalid_utf8_in_a_form_is_a_clear_400(client):
    response = client.post("/contatti", data=b"name=%ff&email=a%40b.it",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_deeply_nested_json_is_a_400_not_a_recursion_error(client, login_as, shop):
    login_as(shop.clerk)
    status, body = _batch(client, raw=b'{"ops": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}")
    assert status == 400 and body["error"] == "bad_input"


@pytest.mark.parametrize("value", ["https://fcm.googleapis.com/x\x00", "\ud800", 2 ** 70])
def test_hostile_json_outside_the_api_is_a_400(client, login_as, shop, value):
    login_as(shop.clerk)
    body = json.dumps({"endpoint": value, "keys": {"p256dh": "x", "auth": "y"}}).encode()
    response = client.post("/notifiche/dispositivi", data=body, content_type="application/json")
    assert response.status_code == 400


def test_json_that_is_not_utf8_is_a_400(client, login_as, shop):
    login_as(shop.clerk)
    status, body = _batch(client, raw=b'{"ops": [{"op_id": "\xff\xfe"}]}')
    assert status == 400 and body["error"] == "bad_input"


def test_an_over_long_request_line_gets_an_italian_414(client):
    response = client.get("/?q=" + "a" * 9000)
    assert response.status_code == 414 and "troppo lungo" in response.get_data(as_text=True)


def test_an_over_long_header_gets_an_italian_431(client):
    response = client.get("/", headers={"X-Lungo": "a" * 9000})
    assert response.status_code == 431


def test_openapi_describes_every_kind_a_user_may_send():
    """docs/openapi.json (for integrators) lists every kind a user may send, with its fields."""
    import pathlib

    doc = json.loads((pathlib.Path(__file__).resolve().parents[1] / "docs" / "openapi.json").read_text())
    described = {schema["properties"]["kind"]["const"] for schema in doc["components"]["schemas"].values()
                 if "const" in schema.get("properties", {}).get("kind", {})}
    assert described == {kind for kind, spec in ops.HANDLERS.items() if not spec.system}
    for kind, spec in ops.HANDLERS.items():
        if spec.schema is not None and not spec.system:
            schema = doc["components"]["schemas"][kind.replace(".", "_")]
            assert set(spec.schema.model_fields) <= set(schema["properties"]), kind


def test_every_kind_a_user_may_send_declares_its_fields():
    assert [kind for kind, spec in ops.HANDLERS.items() if not spec.system and spec.schema is None] == []


def test_openapi_file_is_complete_as_flask_openapi_writes_it(runner):
    """`flask openapi --check` passes: no declared kind or field is missing from docs/openapi.json."""
    result = runner.invoke(args=["openapi", "--check"])
    assert result.exit_code == 0, result.output


def test_openapi_completion_adds_a_new_kind_with_its_fields():
    from app.services.ops import openapi
    from app.services.ops.core import Handler, HANDLERS
    from app.services.ops.schemas import Id, OpFields, Text

    class Fields(OpFields):
        thing_id: Id = None
        note: Text = None

    doc = {"components": {"schemas": {"Operation": {"oneOf": []}}}}
    HANDLERS["test.kind"] = Handler("test.kind", lambda ctx: None, False, False, Fields)
    try:
        completed = openapi.complete(doc)
    finally:
        del HANDLERS["test.kind"]
    described = completed["components"]["schemas"]["test_kind"]
    assert described["properties"]["kind"] == {"const": "test.kind"}
    assert described["properties"]["thing_id"]["type"] == ["integer", "string"]
    assert {"$ref": "#/components/schemas/test_kind"} in completed["components"]["schemas"]["Operation"]["oneOf"]
