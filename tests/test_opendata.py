"""Open data: hand-computed figures by month x category x municipality, no personal data, a documented schema."""
import csv
import io
import json

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
