"""Views: /open-data (the schema), /open-data/impatto.json and /open-data/impatto.csv.

Rows are month x category x municipality of the donor store: counts, kg and
derived figures only. No names of people or organisations, no contacts.
"""
import csv
import hashlib
import io
import json

from flask import current_app, render_template, request
from flask_babel import lazy_gettext as _l

from app.domain import CATEGORIES
from app.opendata.blueprint import bp
from app.services.impact import stats

LICENCE = {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/deed.it"}
MAX_AGE = 900  # the figures move with each pickup; a quarter of an hour is fresh enough
FIELDS = [
    ("mese", "string (AAAA-MM)", _l("Mese del ritiro, ora di Roma.")),
    ("provvisorio", "boolean", _l("Vero per il mese in corso: i numeri possono ancora crescere.")),
    ("comune", "string", _l("Comune del punto vendita che ha donato.")),
    ("categoria", "string", _l("Codice della categoria di alimenti (vedi l'elenco delle categorie).")),
    ("categoria_nome", "string", _l("Nome della categoria in italiano.")),
    ("donazioni", "integer", _l("Numero di donazioni ritirate.")),
    ("kg", "number", _l("Kg recuperati: peso rilevato alla ricezione, altrimenti kg dichiarati.")),
    ("kg_pesati", "number", _l("Parte dei kg pesata dall'ente alla ricezione.")),
    ("kg_dichiarati", "number", _l("Parte dei kg dichiarata dal punto vendita e non ancora pesata.")),
    ("pasti_equivalenti", "number", _l("Kg di cibo per persone diviso i kg per pasto (fattore sotto).")),
    ("co2e_kg", "number", _l("Kg di CO₂ equivalente evitati: kg per il fattore sotto.")),
    ("valore_eur", "number", _l("Valore all'ultimo prezzo di vendita, in euro (stimato per kg se non dichiarato).")),
]


def _records():
    """The open data rows with Italian field names, numbers rounded to 2 decimals."""
    out = []
    for row in stats.open_data_rows():
        entry = CATEGORIES.get(row["category"])
        out.append({"mese": row["month"], "provvisorio": row["provisional"], "comune": row["municipality"],
                    "categoria": row["category"], "categoria_nome": str(entry[0]) if entry else row["category"],
                    "donazioni": row["lots"], "kg": round(row["kg"], 2), "kg_pesati": round(row["kg_weighed"], 2),
                    "kg_dichiarati": round(row["kg_declared"], 2), "pasti_equivalenti": round(row["meals"], 2),
                    "co2e_kg": round(row["co2e_kg"], 2), "valore_eur": round(row["value_eur"], 2)})
    return out


def _public(body, mimetype):
    """A response any cache may keep for MAX_AGE, revalidated by ETag."""
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    return response.make_conditional(request)


@bp.route("")
def index():
    """What the open data contains: fields, licence, factors and their sources."""
    return render_template("opendata/index.html", fields=FIELDS, licence=LICENCE, factors=stats.factors(),
                           categories=[(k, str(v[0])) for k, v in CATEGORIES.items()])


@bp.route("/impatto.json")
def impact_json():
    """Rescued food by month, category and municipality, as JSON with its metadata."""
    factors = stats.factors()
    body = json.dumps({
        "titolo": "Raccolto: cibo recuperato per mese, categoria e comune",
        "licenza": LICENCE, "fonte": "Raccolto", "fattori": factors,
        "campi": [{"nome": name, "tipo": kind, "descrizione": str(text)} for name, kind, text in FIELDS],
        "dati": _records(),
    }, ensure_ascii=False, indent=1)
    return _public(body, "application/json")


@bp.route("/impatto.csv")
def impact_csv():
    """The same rows as CSV (comma, dot decimals, UTF-8), for any tool."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _kind, _text in FIELDS])
    for record in _records():
        writer.writerow(["true" if v is True else "false" if v is False else v for v in record.values()])
    response = _public(buffer.getvalue(), "text/csv")
    response.headers["Content-Disposition"] = 'inline; filename="raccolto-impatto.csv"'
    return response
