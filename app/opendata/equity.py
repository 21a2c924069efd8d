"""View: /open-data/equita.json, how evenly food reaches people across charities, by month (aggregates only)."""
import json

from app.opendata.blueprint import bp
from app.opendata.routes import LICENCE, _public
from app.services.impact import equity


@bp.route("/equita.json")
def equity_json():
    """The monthly Gini coefficient of kg per person served across charities, with its definition."""
    body = json.dumps({
        "titolo": "Raccolto: equità della distribuzione tra gli enti, per mese",
        "licenza": LICENCE, "fonte": "Raccolto",
        "definizione": "Indice di Gini, pesato per persone servite, dei kg ricevuti per persona servita a settimana "
                       "dagli enti attivi che dichiarano le persone servite (0 = tutti uguali). Nessun dato personale.",
        "dati": equity.open_data(),
    }, ensure_ascii=False, indent=1)
    return _public(body, "application/json")
