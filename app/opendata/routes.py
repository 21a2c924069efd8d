"""Views: /open-data (the schema and each year's files), /open-data/impatto.json and /open-data/impatto.csv.

Rows are month x category x municipality of the donor store: counts, kg and
derived figures only. No names of people or organisations, no contacts. One
file per calendar year (`?anno=2025`; without it, the latest year with data),
whose JSON metadata links every year. The months' rows are kept compressed
(app/services/impact/opendata.py): a client that takes gzip gets those bytes
as they are, whatever the size of the network.
"""
import hashlib
import json
import re

from flask import current_app, render_template, request, url_for
from flask_babel import force_locale, gettext as _, lazy_gettext as _l

from app.compression import send_precompressed
from app.domain import CATEGORIES
from app.models.base import utcnow
from app.opendata.blueprint import bp
from app.services.impact import opendata, periods, stats

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
_YEAR = re.compile(r"\A\d{4}\Z")


def _public(body, mimetype):
    """A response any cache may keep for MAX_AGE, revalidated by ETag."""
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
    return response.make_conditional(request)


def _years():
    """(first, last) year a file can be asked for: those with data, else this year alone."""
    span = opendata.years()
    return span or (periods.rome_date(utcnow()).year,) * 2


def _year(span):
    """(year, None) from ?anno= (absent: the latest year with data), or (None, the Italian reason it is refused)."""
    raw = request.args.get("anno", "").strip()
    if not raw:
        return span[1], None
    if not _YEAR.match(raw):
        return None, _("«%(value)s» non è un anno: scrivi l'anno con quattro cifre, per esempio %(year)d.",
                       value=raw[:20], year=span[1])
    year = int(raw)
    if not span[0] <= year <= span[1]:
        if span[0] == span[1]:
            return None, _("Non ci sono dati per il %(year)d: c'è solo il file del %(first)d.", year=year,
                           first=span[0])
        return None, _("Non ci sono dati per il %(year)d: i file vanno dal %(first)d al %(last)d.", year=year,
                       first=span[0], last=span[1])
    return year, None


def _refused(message, mimetype):
    """400 with the reason, as JSON for the JSON file and as text for the CSV (scripts read them)."""
    body = json.dumps({"errore": message}, ensure_ascii=False) if mimetype == "application/json" else message + "\n"
    response = current_app.response_class(body, status=400, mimetype=mimetype if mimetype == "application/json"
                                          else "text/plain")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _send(file, mimetype):
    """`file` as a public response any cache may keep for MAX_AGE: its gzip as kept, else the plain text."""
    response = send_precompressed(file.etag, file.gzip, file.plain, mimetype)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _links(span):
    """The files of every year, newest first (absolute URLs: the JSON is read outside the site)."""
    return [{"anno": year, "json": url_for("opendata.impact_json", anno=year, _external=True),
             "csv": url_for("opendata.impact_csv", anno=year, _external=True)}
            for year in range(span[1], span[0] - 1, -1)]


@bp.route("")
def index():
    """What the open data contains: fields, licence, factors and their sources, the files of each year."""
    span = _years()
    return render_template("opendata/index.html", fields=FIELDS, licence=LICENCE, factors=stats.factors(),
                           categories=[(k, str(v[0])) for k, v in CATEGORIES.items()],
                           years=range(span[1], span[0] - 1, -1), current_year=periods.rome_date(utcnow()).year)


@bp.route("/impatto.json")
def impact_json():
    """Rescued food of one year by month, category and municipality, as JSON with its metadata."""
    span = _years()
    year, refusal = _year(span)
    if refusal:
        return _refused(refusal, "application/json")
    with force_locale("it"):  # the same file for every reader, in Italian like its field names
        meta = {"titolo": "Raccolto: cibo recuperato per mese, categoria e comune",
                "licenza": LICENCE, "fonte": "Raccolto", "fattori": stats.factors(),
                "anno": year, "anni": _links(span),
                "campi": [{"nome": name, "tipo": kind, "descrizione": str(text)} for name, kind, text in FIELDS]}
    head = json.dumps(meta, ensure_ascii=False, indent=1)[:-2] + ',\n "dati": ['  # the object stays open
    return _send(opendata.assemble("json", head, opendata.year_parts("json", year), "\n ]\n}\n"),
                 "application/json")


@bp.route("/impatto.csv")
def impact_csv():
    """The same rows as CSV (comma, dot decimals, UTF-8), one year per file, for any tool."""
    year, refusal = _year(_years())
    if refusal:
        return _refused(refusal, "text/csv")
    response = _send(opendata.assemble("csv", opendata.csv_head(), opendata.year_parts("csv", year), ""),
                     "text/csv")
    response.headers["Content-Disposition"] = f'inline; filename="raccolto-impatto-{year}.csv"'
    return response
