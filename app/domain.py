"""Vocabulary of the field (DOMAIN.md): categories, storage, allergens, cold chain.

Everything here is data, not behaviour, so templates, forms, services and the
API share one list. Labels are Italian msgids, translated by Flask-Babel.
"""
from flask_babel import lazy_gettext as _l

ROLES = ("coordinator", "store", "volunteer", "charity")
ROLE_LABELS = {
    "coordinator": _l("Coordinatore"),
    "store": _l("Punto vendita"),
    "volunteer": _l("Volontario"),
    "charity": _l("Ente beneficiario"),
}

ORG_KINDS = ("coordination", "store", "charity")
ORG_KIND_LABELS = {
    "coordination": _l("Coordinamento"),
    "store": _l("Punto vendita"),
    "charity": _l("Ente beneficiario"),
}

STORAGE = ("ambient", "chilled", "frozen")
STORAGE_LABELS = {
    "ambient": _l("Temperatura ambiente"),
    "chilled": _l("Refrigerato"),
    "frozen": _l("Surgelato"),
}

# key: (label, default storage, refuse-at-pickup-above °C or None)
# Thresholds from DOMAIN.md "Cold chain" (D.Lgs. 110/1992, DPR 327/1980 all. C,
# house rule 8 °C for other chilled food).
CATEGORIES = {
    "frutta_verdura": (_l("Frutta e verdura"), "ambient", None),
    "pane_forno": (_l("Pane e prodotti da forno"), "ambient", None),
    "dispensa": (_l("Dispensa (pasta, conserve, secco)"), "ambient", None),
    "latticini": (_l("Latticini e formaggi freschi"), "chilled", 14.0),
    "carne": (_l("Carne"), "chilled", 10.0),
    "pollame": (_l("Pollame"), "chilled", 8.0),
    "pesce": (_l("Pesce fresco"), "chilled", 4.0),
    "gastronomia": (_l("Gastronomia e piatti pronti"), "chilled", 8.0),
    "surgelati": (_l("Surgelati"), "frozen", -15.0),
    "bevande": (_l("Bevande"), "ambient", None),
    "dolci_snack": (_l("Dolci e snack"), "ambient", None),
    "infanzia": (_l("Prodotti per l'infanzia"), "ambient", None),
    "non_umano": (_l("Non per consumo umano (mangimi, compost)"), "ambient", None),
}
CHILLED_DEFAULT_MAX_C = 8.0
FROZEN_MAX_C = -15.0


def category_label(key):
    """Human label of a category key (the key itself when unknown)."""
    entry = CATEGORIES.get(key)
    return entry[0] if entry else key


def max_pickup_temperature(category, storage):
    """Warmest temperature (°C) acceptable at pickup, or None for ambient food."""
    if storage == "ambient":
        return None
    if storage == "frozen":
        return FROZEN_MAX_C
    entry = CATEGORIES.get(category)
    if entry and entry[2] is not None and entry[1] == "chilled":
        return entry[2]
    return CHILLED_DEFAULT_MAX_C


# The 14 allergens of EU Regulation 1169/2011, Annex II.
ALLERGENS = {
    "glutine": _l("Cereali contenenti glutine"),
    "crostacei": _l("Crostacei"),
    "uova": _l("Uova"),
    "pesce": _l("Pesce"),
    "arachidi": _l("Arachidi"),
    "soia": _l("Soia"),
    "latte": _l("Latte e lattosio"),
    "frutta_guscio": _l("Frutta a guscio"),
    "sedano": _l("Sedano"),
    "senape": _l("Senape"),
    "sesamo": _l("Semi di sesamo"),
    "solfiti": _l("Anidride solforosa e solfiti"),
    "lupini": _l("Lupini"),
    "molluschi": _l("Molluschi"),
}

VEHICLES = ("none", "car", "van")
VEHICLE_LABELS = {
    "none": _l("Nessun mezzo (a piedi, bici)"),
    "car": _l("Auto"),
    "van": _l("Furgone"),
}

WEEKDAYS_IT = ("lun", "mar", "mer", "gio", "ven", "sab", "dom")

DONATION_STATUS_LABELS = {
    "posted": _l("pubblicata"),
    "claimed": _l("prenotata"),
    "picked_up": _l("ritirata"),
    "delivered": _l("consegnata"),
    "received": _l("ricevuta"),
    "cancelled": _l("annullata"),
    "expired": _l("scaduta"),
}

DATE_KIND_LABELS = {
    "use_by": _l("Da consumare entro"),
    "best_before": _l("Da consumarsi preferibilmente entro"),
    "produced": _l("Prodotto il (panetteria)"),
    "none": _l("Nessuna data"),
}
