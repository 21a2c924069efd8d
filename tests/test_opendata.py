"""Open data: hand-computed figures by month x category x municipality, no personal data, a documented schema."""
import csv
import io
import json
from datetime import datetime, timezone

import brotli
import pytest

from tests.impact_helpers import EXPECTED, dataset  # noqa: F401

# (month in Rome, category, store municipality) -> donation of the dataset
ROWS = {("2025-03", "frutta_verdura", "Bologna"): EXPECTED["category"]["frutta_verdura"],
        ("2025-04", "dispensa", "Bologna"): EXPECTED["category"]["dispensa"],
        ("2025-04", "non_umano", "Imola"): EXPECTED["category"]["non_umano"],
        ("2025-04", "carne", "Imola"): EXPECTED["category"]["carne"]}
FIELDS = {"donazioni": "lots", "kg": "kg", "kg_pesati": "kg_weighed", "kg_dichiarati": "kg_declared",
          "pasti_equivalenti": "meals", "co2e_kg": "co2e_kg", "valore_eur": "value_eur"}


def _check(records):
    got = {(r["mese"], r["categoria"], r["comune"]): r for r in records}
    assert set(got) == set(ROWS)
    for key, figures in ROWS.items():
        for field, name in FIELDS.items():
            assert float(got[key][field]) == pytest.approx(figures[name], abs=0.005), (key, field)
    return got


def test_json_has_the_hand_computed_figures_and_metadata(client, dataset):
    response = client.get("/open-data/impatto.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    got = _check(data["dati"])
    assert got[("2025-03", "frutta_verdura", "Bologna")]["provvisorio"] is False
    assert data["licenza"]["name"] == "CC BY 4.0"
    assert data["fattori"] == {"meal_kg": 0.5, "co2e_per_kg": 2.5, "value_eur_per_kg": 3.7}
    assert [f["nome"] for f in data["campi"]] == list(data["dati"][0])
    assert sum(r["kg"] for r in data["dati"]) == pytest.approx(EXPECTED["total"]["kg"])


def test_csv_has_the_same_rows(client, dataset):
    response = client.get("/open-data/impatto.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    _check(list(csv.DictReader(io.StringIO(response.get_data(as_text=True)))))


def test_open_data_holds_no_personal_data(client, dataset, make_user):
    from app.extensions import db
    from app.models import Organisation, User

    people = db.session.scalars(db.select(User)).all()
    organisations = db.session.scalars(db.select(Organisation)).all()
    secrets = [u.email for u in people] + [u.phone for u in people if u.phone] + [u.name for u in people]
    secrets += [o.email for o in organisations if o.email] + [o.phone for o in organisations if o.phone]
    secrets += [u.pseudonym for u in people] + [o.vat_number for o in organisations if o.vat_number]
    for path in ("/open-data/impatto.json", "/open-data/impatto.csv", "/open-data"):
        body = client.get(path).get_data(as_text=True)
        json_body = json.dumps(json.loads(body), ensure_ascii=False) if path.endswith(".json") else body
        leaked = [s for s in secrets if s and (s in body or s in json_body)]
        assert not leaked, (path, leaked)
        if path != "/open-data":
            assert "@" not in body  # no e-mail address of any kind


def test_schema_page_documents_fields_licence_and_factors(client):
    html = client.get("/open-data").get_data(as_text=True)
    for text in ("CC BY 4.0", "<code>kg_pesati</code>", "<code>pasti_equivalenti</code>", "0,5 kg", "2,5 kg",
                 "3,70 €", "FAO 2013", "Banco Alimentare", "<code>non_umano</code>"):
        assert text in html, text


def test_open_data_is_public_and_cacheable(client, dataset):
    response = client.get("/open-data/impatto.json")
    assert response.headers["Cache-Control"].startswith("public") and response.headers["ETag"]
    again = client.get("/open-data/impatto.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_current_month_is_provisional(client, make_org, make_user):
    from app.models.base import utcnow
    from tests.impact_helpers import make_donation

    now = utcnow()
    make_donation(make_org("store"), make_org("charity"), status="picked_up", category="dispensa", kg=3,
                  posted=now, window=(now, now), picked=now, claimed=now, claimer=make_user("volunteer"),
                  value_eur=5.0)
    [row] = client.get("/open-data/impatto.json").get_json()["dati"]
    assert row["provvisorio"] is True and row["kg"] == 3


# --- one file per year, kept ready in monthly parts (issue 17: national scale) -----------------------

def _now_donation(make_org, make_user, kg=3.0, municipality="Bologna", category="dispensa"):
    from app.models.base import utcnow
    from tests.impact_helpers import make_donation

    now = utcnow()
    return make_donation(make_org("store", municipality=municipality), make_org("charity"), status="picked_up",
                         category=category, kg=kg, posted=now, window=(now, now), picked=now, claimed=now,
                         claimer=make_user("volunteer"), value_eur=5.0)


def _statements(client, path, **headers):
    """(response, [SQL statements]) of one GET."""
    from sqlalchemy import event

    from app.extensions import db

    seen = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(path, headers=headers)
        response.get_data()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return response, seen


def test_the_default_file_is_the_latest_year_and_links_every_year(client, dataset, make_org, make_user):
    from app.models.base import utcnow

    _now_donation(make_org, make_user)
    this_year = utcnow().year
    data = client.get("/open-data/impatto.json").get_json()
    assert data["anno"] == this_year and {r["mese"][:4] for r in data["dati"]} == {str(this_year)}
    assert [(y["anno"], y["json"].endswith(f"/open-data/impatto.json?anno={y['anno']}"),
             y["csv"].endswith(f"/open-data/impatto.csv?anno={y['anno']}")) for y in data["anni"]] == \
        [(year, True, True) for year in range(this_year, 2024, -1)]
    assert data["anni"][0]["json"].startswith("http")  # absolute: the file is read outside the site
    older = client.get("/open-data/impatto.json?anno=2025").get_json()
    assert older["anno"] == 2025 and older["anni"] == data["anni"]
    _check(older["dati"])
    response = client.get("/open-data/impatto.csv?anno=2025")
    assert 'filename="raccolto-impatto-2025.csv"' in response.headers["Content-Disposition"]
    _check(list(csv.DictReader(io.StringIO(response.get_data(as_text=True)))))
    page = client.get("/open-data").get_data(as_text=True)
    for year in range(2025, this_year + 1):
        assert f"/open-data/impatto.json?anno={year}" in page and f"/open-data/impatto.csv?anno={year}" in page


@pytest.mark.parametrize("value,words", [("duemila", "non è un anno"), ("20255", "quattro cifre"),
                                         ("2024", "i file vanno dal 2025"), ("2099", "Non ci sono dati per il 2099")])
def test_a_bad_year_is_refused_with_an_italian_reason(client, dataset, make_org, make_user, value, words):
    _now_donation(make_org, make_user)
    response = client.get(f"/open-data/impatto.json?anno={value}")
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert words in response.get_json()["errore"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    response = client.get(f"/open-data/impatto.csv?anno={value}")
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert words in response.get_data(as_text=True)


def test_without_data_only_this_year_exists(client):
    from app.models.base import utcnow

    data = client.get("/open-data/impatto.json").get_json()
    assert data["dati"] == [] and data["anno"] == utcnow().year and len(data["anni"]) == 1
    assert "c'è solo il file del" in client.get("/open-data/impatto.json?anno=2001").get_json()["errore"]
    assert client.get("/open-data/impatto.csv").get_data(as_text=True).startswith("mese,provvisorio,comune,")


def test_the_fields_described_are_the_fields_sent(client, dataset):
    from app.opendata.routes import FIELDS
    from app.services.impact import opendata

    assert tuple(name for name, _kind, _text in FIELDS) == opendata.FIELDS
    header = client.get("/open-data/impatto.csv").get_data(as_text=True).splitlines()[0]
    assert header.split(",") == list(opendata.FIELDS)


@pytest.mark.parametrize("path", ["/open-data/impatto.json", "/open-data/impatto.csv"])
def test_gzip_clients_get_the_kept_parts_as_they_are(client, dataset, path):
    """Stored parts joined into one gzip member: it decodes to the plain file, and revalidates."""
    import gzip
    import zlib

    from app.services.impact import opendata

    plain = client.get(path)
    assert opendata.refresh() == 8  # four (month, category) pairs of 2025, JSON and CSV
    response = client.get(path, headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["Cache-Control"].startswith("public") and response.headers["ETag"].endswith(':gzip"')
    body = response.get_data()
    decoder = zlib.decompressobj(wbits=31)  # one member, checked CRC and length, nothing after it
    assert decoder.decompress(body) == plain.get_data() and decoder.eof and not decoder.unused_data
    assert gzip.decompress(body) == plain.get_data()
    assert response.headers["ETag"] == plain.headers["ETag"][:-1] + ':gzip"'
    for etag in (response.headers["ETag"], plain.headers["ETag"]):
        again = client.get(path, headers={"Accept-Encoding": "gzip, br", "If-None-Match": etag})
        assert again.status_code == 304 and again.headers["ETag"].endswith(':gzip"') and not again.get_data()
    assert client.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    # No gzip: the plain text, which Flask-Compress compresses itself above its minimum size (the JSON here).
    brotli_only = client.get(path, headers={"Accept-Encoding": "br"})
    encoding = brotli_only.headers.get("Content-Encoding")
    assert encoding == ("br" if path.endswith(".json") else None)
    assert (brotli.decompress if encoding else bytes)(brotli_only.get_data()) == plain.get_data()


def test_stored_parts_send_the_same_bytes_with_fewer_statements(client, dataset):
    from app.services.impact import opendata

    computed, before = _statements(client, "/open-data/impatto.json?anno=2025")
    assert any("impact_month_municipality" in s and "min(" not in s for s in before)  # rows from the rollup
    opendata.refresh()
    stored, after = _statements(client, "/open-data/impatto.json?anno=2025")
    assert stored.get_data() == computed.get_data() and stored.headers["ETag"] == computed.headers["ETag"]
    assert not any("impact_month_municipality" in s and "min(" not in s for s in after)
    assert len(after) == len(before) - 1 == 2
    assert opendata.refresh() == 0  # nothing left to build


def test_a_change_is_in_the_file_at_once_though_its_month_was_stored(client, dataset, make_org, make_user):
    """A stored part whose month changed is not sent: the month is computed again until the job rebuilds it."""
    from app.extensions import db
    from app.models import Organisation
    from app.services.impact import opendata
    from tests.impact_helpers import make_donation, rome

    opendata.refresh()
    store = db.session.scalar(db.select(Organisation).where(Organisation.name == "Super Uno"))
    make_donation(store, None, status="picked_up", category="frutta_verdura", kg=2.0, value_eur=4.0,
                  posted=rome(2025, 3, 20, 9), window=(rome(2025, 3, 20, 10), rome(2025, 3, 20, 12)),
                  claimed=rome(2025, 3, 20, 9, 30), claimer=make_user("volunteer"), picked=rome(2025, 3, 20, 11))
    fresh = client.get("/open-data/impatto.json?anno=2025").get_json()["dati"]
    row = next(r for r in fresh if (r["mese"], r["categoria"], r["comune"]) == ("2025-03", "frutta_verdura", "Bologna"))
    assert row["donazioni"] == 2 and row["kg"] == pytest.approx(EXPECTED["category"]["frutta_verdura"]["kg"] + 2)
    before = client.get("/open-data/impatto.csv?anno=2025").get_data()
    assert opendata.refresh() == 2  # March's fruit and vegetables, JSON and CSV; the other parts stay as they were
    assert client.get("/open-data/impatto.csv?anno=2025").get_data() == before


def test_a_month_stops_being_provisional_when_it_ends(app, dataset):
    from app.services.impact import opendata
    from tests.impact_helpers import rome

    in_april, in_may = rome(2025, 4, 25, 12), rome(2025, 5, 2, 12)
    assert opendata.refresh(now=in_april) == 8
    assert opendata.refresh(now=in_april) == 0
    text = opendata.assemble("json", "[", opendata.year_parts("json", 2025, now=in_may), "]").plain()
    assert {r["mese"]: r["provvisorio"] for r in json.loads(text)} == {"2025-03": False, "2025-04": False}
    assert opendata.refresh(now=in_may) == 6  # April's three categories, no longer provisional


def test_a_change_of_factors_is_in_the_file_at_once(client, app, dataset, monkeypatch):
    from app.services.impact import opendata

    opendata.refresh()
    monkeypatch.setitem(app.config, "MEAL_KG", 1.0)
    data = client.get("/open-data/impatto.json?anno=2025").get_json()
    assert data["fattori"]["meal_kg"] == 1.0
    row = next(r for r in data["dati"] if r["categoria"] == "dispensa")
    assert row["pasti_equivalenti"] == pytest.approx(EXPECTED["category"]["dispensa"]["meals"] / 2, abs=0.005)


def test_the_file_is_the_same_in_every_language(client, dataset):
    from app.services.impact import opendata

    italian = client.get("/open-data/impatto.json").get_data()
    english = client.get("/open-data/impatto.json", headers={"Accept-Language": "en"})
    assert english.get_data() == italian and "Frutta e verdura" in english.get_data(as_text=True)
    opendata.refresh()
    assert client.get("/open-data/impatto.json", headers={"Accept-Language": "en"}).get_data() == italian


def test_the_worker_keeps_the_parts_ready(app, dataset):
    from app import worker
    from app.services.impact import opendata

    [run] = [func for name, _every, func in worker.JOBS if name == "open_data_parts"]
    assert run() == 8
    assert opendata.refresh() == 0


def test_a_store_moved_to_another_municipality_takes_its_figures_along(client, as_role, dataset):
    """The coordinator corrects a store's municipality: its past rows move, and the rollups stay exact."""
    from app.extensions import db
    from app.models import Organisation
    from app.services.impact import opendata, rollups

    opendata.refresh()
    as_role("coordinator")
    store = db.session.scalar(db.select(Organisation).where(Organisation.name == "Super Due"))
    form = {"name": store.name, "address": store.address, "municipality": "Medicina", "lat": "", "lon": "",
            "vat_number": "", "phone": store.phone, "email": store.email, "notes": ""}
    assert client.post(f"/coordinamento/organizzazioni/{store.id}", data=form).status_code == 302
    got = {(r["mese"], r["categoria"], r["comune"]) for r in client.get("/open-data/impatto.json").get_json()["dati"]}
    assert got == {("2025-03", "frutta_verdura", "Bologna"), ("2025-04", "dispensa", "Bologna"),
                   ("2025-04", "non_umano", "Medicina"), ("2025-04", "carne", "Medicina")}
    assert rollups.differences() == [] and rollups.cell_differences() == []
    assert opendata.refresh() == 4  # April's food for people and not, JSON and CSV


def test_crc32_combine_is_zlibs():
    import random
    import zlib

    from app.services.impact.opendata import crc32_combine

    rng = random.Random(17)
    for size_a, size_b in ((0, 0), (0, 5), (7, 0), (1, 1), (1000, 3), (3, 70000)):
        a, b = rng.randbytes(size_a), rng.randbytes(size_b)
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_a_part_is_written_as_json_dumps_would(app):
    """The rows are formatted without json.dumps, for speed: the text must be the same, odd names included."""
    from datetime import date

    from app.services.impact import opendata

    cells = [(date(2026, 1, 1), "dispensa", 'Sant\'Agata "50%" %s \\ è', 3, 1.005, 0.0, 1e-7, 12.345, 3.0),
             (date(2026, 1, 1), "dispensa", "Zola", 1, 1.0, 0.25, 0.75, 2.0, 7.123)]
    lines = opendata.part_text("json", cells, now=datetime(2026, 1, 10, tzinfo=timezone.utc)).split(",\n")
    records = [json.loads(line) for line in lines]
    assert lines == ["\n" * (n == 0) + json.dumps(r, ensure_ascii=False) for n, r in enumerate(records)]
    assert [r["comune"] for r in records] == ['Sant\'Agata "50%" %s \\ è', "Zola"]
    assert records[0]["provvisorio"] is True and records[0]["pasti_equivalenti"] == 24.69
    assert records[1]["categoria_nome"] == "Dispensa (pasta, conserve, secco)"
    rows = list(csv.reader(io.StringIO(opendata.part_text("csv", cells))))
    assert [row[2] for row in rows] == [r["comune"] for r in records] and rows[1][-1] == "7.12"


def test_the_parts_can_be_built_from_the_command_line(runner, dataset):
    """`flask rollups open-data` builds every part now; `flask rollups rebuild` builds them after the rollups."""
    result = runner.invoke(args=["rollups", "open-data"])
    assert result.exit_code == 0 and "Open data: 8 parti preparate." in result.output
    assert "Open data: 0 parti preparate." in runner.invoke(args=["rollups", "open-data"]).output
    result = runner.invoke(args=["rollups", "rebuild"])  # every version moves on: every part again
    assert result.exit_code == 0 and "Open data: 8 parti preparate." in result.output
