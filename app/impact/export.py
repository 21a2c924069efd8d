"""CSV files of the impact figures (for spreadsheets in Italian: ';' and decimal comma, UTF-8 with BOM)."""
import csv
import io

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

FIGURES = ("lots", "kg", "kg_weighed", "kg_declared", "meals", "co2e_kg", "value_eur")
HEADER = ("sezione", "chiave", "etichetta", "donazioni", "kg", "kg_pesati", "kg_dichiarati",
          "pasti_equivalenti", "co2e_kg", "valore_eur")
SECTIONS = (("mese", "by_month"), ("categoria", "by_category"), ("punto_vendita", "by_store"),
            ("ente", "by_charity"), ("comune", "by_municipality"))
HEALTH_LABELS = {
    "posted": _l("Donazioni pubblicate"),
    "cancelled": _l("Annullate dal punto vendita"),
    "due": _l("Donazioni da valutare (finestra chiusa o prenotate)"),
    "claimed_in_time": _l("Prenotate in tempo"),
    "claimed_in_time_share": _l("Quota prenotata in tempo"),
    "minutes_to_claim_median": _l("Tempo mediano dalla pubblicazione alla prenotazione (minuti)"),
    "expired_lots": _l("Scadute senza prenotazione"),
    "expired_kg": _l("Kg scaduti senza prenotazione"),
    "no_shows": _l("Mancati ritiri (prenotate ma non ritirate entro la finestra)"),
    "active_volunteers": _l("Volontari attivi (almeno un ritiro)"),
    "kg_per_pickup": _l("Kg per ritiro"),
}
HEALTH = ("posted", "cancelled", "due", "claimed_in_time", "claimed_in_time_share", "minutes_to_claim_median",
          "expired_lots", "expired_kg", "no_shows", "active_volunteers", "kg_per_pickup")


def decimal(value, places=2):
    """`places` decimals with a comma; integers stay integers; None is empty."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.{places}f}".replace(".", ",")


def _writer(buffer):
    return csv.writer(buffer, delimiter=";", lineterminator="\r\n")


def impact_csv(data):
    """One row per total, month, category, store, charity and municipality."""
    buffer = io.StringIO()
    buffer.write("\ufeff")  # lets spreadsheet programs read UTF-8 (accents, €)
    out = _writer(buffer)
    out.writerow(HEADER)
    out.writerow(["totale", "", _("Totale"), *(decimal(data["total"][k]) for k in FIGURES)])
    for section, key in SECTIONS:
        for row in data[key]:
            out.writerow([section, "" if row["key"] is None else row["key"], row["label"],
                          *(decimal(row[k]) for k in FIGURES)])
    return buffer.getvalue()


def health_csv(health):
    """One row per operational indicator: name, Italian label, value."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    out = _writer(buffer)
    out.writerow(("indicatore", "etichetta", "valore"))
    for key in HEALTH:
        # A share (0..1) keeps 4 decimals: 0,6250 is 62.50 %.
        out.writerow([key, str(HEALTH_LABELS[key]), decimal(health.get(key), 4 if key.endswith("_share") else 2)])
    return buffer.getvalue()
