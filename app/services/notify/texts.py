"""What each notification says. Called inside force_locale(recipient), so gettext picks their language.

Every function returns (title, body): short enough for a phone's lock screen.
"""
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import format_date, format_decimal, format_time, get_locale
from flask_babel import gettext as _

from app.domain import category_label
from app.models.base import utcnow

ROME = ZoneInfo("Europe/Rome")


def when(moment, now=None):
    """"oggi alle 18:30", "domani alle 9:00", or "ven 27 nov alle 9:00" (Italian time)."""
    now = now or utcnow()
    day, today = moment.astimezone(ROME).date(), now.astimezone(ROME).date()
    hour = format_time(moment, "H:mm")
    if day == today:
        return _("oggi alle %(time)s", time=hour)
    if day == today + timedelta(days=1):
        return _("domani alle %(time)s", time=hour)
    return _("%(day)s alle %(time)s", day=format_date(moment, "EEE d MMM"), time=hour)


def kg(value):
    """12,5 kg in the reader's notation."""
    return _("%(kg)s kg", kg=format_decimal(value or 0, "#,##0.#"))


def what(donation):
    """"Latticini e formaggi freschi, 12 kg" plus the cold chain when it matters."""
    text = f"{category_label(donation.category)}, {kg(donation.kg_declared)}"
    if donation.storage == "frozen":
        text += ", " + _("surgelato")
    elif donation.storage == "chilled" or donation.needs_cold:
        text += ", " + _("refrigerato")
    return text


def place(donation):
    """The store and its town."""
    store = donation.store
    return f"{store.name} ({store.municipality})" if store.municipality else store.name


def new_donation(donation, again=False):
    title = _("Ritiro di nuovo disponibile") if again else _("Nuovo ritiro vicino a te")
    return title, _("%(place)s: %(what)s. Da ritirare entro %(end)s.", place=place(donation),
                    what=what(donation), end=when(donation.window_end))


def urgent(donation):
    return (_("Urgente: ritiro ancora libero"),
            _("%(place)s: %(what)s. Nessuno l'ha ancora prenotato e la finestra chiude %(end)s.",
              place=place(donation), what=what(donation), end=when(donation.window_end)))


def claimed(donation, volunteer):
    return (_("Donazione prenotata"),
            _("%(name)s passerà a ritirare %(what)s entro %(end)s.", name=volunteer.name if volunteer else "?",
              what=what(donation), end=when(donation.window_end)))


def unclaimed(donation, volunteer, reason, late):
    title = _("Rinuncia all'ultimo momento") if late else _("Prenotazione ritirata")
    return title, _("%(name)s non può più ritirare %(what)s. Motivo: %(reason)s. La donazione torna "
                    "disponibile per gli altri volontari.", name=volunteer.name if volunteer else "?",
                    what=what(donation), reason=reason or "-")


def late_unclaim_alert(donation, volunteer, reason):
    return (_("Rinuncia all'ultimo momento"),
            _("%(name)s ha lasciato il ritiro di %(what)s da %(place)s (finestra dalle %(start)s). "
              "Motivo: %(reason)s.", name=volunteer.name if volunteer else "?", what=what(donation),
              place=place(donation), start=when(donation.window_start), reason=reason or "-"))


def cancelled_for_volunteer(donation, by_coordinator):
    title = _("Ritiro annullato dal coordinamento") if by_coordinator else _("Ritiro annullato dal punto vendita")
    return title, _("%(place)s: %(what)s non è più da ritirare. Motivo: %(reason)s. Non andare al ritiro.",
                    place=place(donation), what=what(donation), reason=donation.cancel_reason or "-")


def cancelled_for_store(donation):
    return (_("Donazione annullata dal coordinamento"),
            _("%(what)s: annullata. Motivo: %(reason)s.", what=what(donation),
              reason=donation.cancel_reason or "-"))


def reassigned_for_volunteer(donation):
    recipient = donation.recipient
    return (_("Cambio di destinazione"),
            _("Porta %(what)s a %(charity)s, %(address)s.", what=what(donation),
              charity=recipient.name if recipient else "?",
              address=f"{recipient.address}, {recipient.municipality}" if recipient else ""))


def reassigned_for_charity(donation):
    return (_("Donazione assegnata al vostro ente"),
            _("%(what)s da %(place)s, ritiro entro %(end)s.", what=what(donation), place=place(donation),
              end=when(donation.window_end)))


def on_the_way(donation, volunteer):
    return (_("Consegna in arrivo"),
            _("%(name)s ha ritirato %(what)s da %(place)s e lo sta portando da voi.",
              name=volunteer.name if volunteer else "?", what=what(donation), place=place(donation)))


def delivered(donation, volunteer):
    return (_("Consegna arrivata: conferma la ricezione"),
            _("%(name)s ha consegnato %(what)s da %(place)s. Pesa e conferma la ricezione.",
              name=volunteer.name if volunteer else "?", what=what(donation), place=place(donation)))


def expired(donation):
    return (_("Donazione scaduta senza ritiro"),
            _("Nessun volontario ha ritirato %(what)s: la finestra di ritiro è chiusa.", what=what(donation)))


def too_warm(donation, reading, limit):
    return (_("Ritiro rifiutato: troppo caldo"),
            _("%(what)s a %(t)s °C (limite %(max)s °C): le cassette restano al punto vendita.",
              what=what(donation), t=format_decimal(reading or 0, "0.#"), max=format_decimal(limit or 0, "0.#")))


def too_warm_receipt(donation, reading, limit):
    return (_("Troppo caldo all'arrivo all'ente"),
            _("%(what)s a %(t)s °C (limite %(max)s °C): ricezione rifiutata, la catena del freddo si è rotta.",
              what=what(donation), t=format_decimal(reading or 0, "0.#"), max=format_decimal(limit or 0, "0.#")))


def cold_chain(donation, for_driver):
    if for_driver:
        return (_("Catena del freddo: consegna subito"),
                _("%(what)s è a bordo oltre il limite per il cibo refrigerato o surgelato: portalo all'ente "
                  "adesso o chiama il coordinamento.", what=what(donation)))
    return (_("Catena del freddo oltre il limite"),
            _("%(what)s è a bordo da troppo tempo: senti il volontario.", what=what(donation)))


def conflict(donation, scanner, previous, previous_status, moved):
    who = scanner.name if scanner else "?"
    if not moved:
        body = _("%(who)s ha scansionato una cassetta di %(what)s (%(place)s), ma la donazione era già "
                 "in carico a un altro volontario.", who=who, what=what(donation), place=place(donation))
    else:
        why = {"posted": _("non era prenotata"), "cancelled": _("era stata annullata"),
               "expired": _("era scaduta"),
               "claimed": _("era prenotata da %(name)s", name=previous.name if previous else "?")}
        body = _("%(who)s ha ritirato %(what)s (%(place)s), ma la donazione %(why)s. Ora le cassette "
                 "sono in carico a %(who)s.", who=who, what=what(donation), place=place(donation),
                 why=why.get(previous_status, previous_status or ""))
    return _("Conflitto sulle cassette"), body


ACTION_LABELS = {
    "donation.claim": lambda: _("Prenotazione del ritiro"),
    "donation.unclaim": lambda: _("Rinuncia al ritiro"),
    "crate.scan": lambda: _("Scansione di una cassetta"),
    "donation.pickup": lambda: _("Conferma del ritiro"),
    "donation.deliver": lambda: _("Conferma della consegna"),
    "donation.receive": lambda: _("Conferma di ricezione"),
    "crate.problem": lambda: _("Segnalazione di un problema"),
}

REFUSAL_REASONS = {
    "already_claimed": lambda: _("un altro volontario l'aveva già prenotato"),
    "not_allowed": lambda: _("il tuo ruolo non lo permette"),
    "wrong_state": lambda: _("la donazione nel frattempo era cambiata"),
    "use_by_passed": lambda: _("la data di scadenza era passata"),
    "too_warm": lambda: _("la temperatura era troppo alta"),
    "unknown_crate": lambda: _("il codice della cassetta non è stato riconosciuto"),
    "implausible_time": lambda: _("l'ora del telefono non era plausibile"),
    "window_over": lambda: _("la finestra di ritiro era già chiusa"),
    "not_claimer": lambda: _("il ritiro era di un altro volontario"),
}


def refused(kind, code, donation=None):
    action = ACTION_LABELS.get(kind, lambda: _("Un'azione"))()
    reason = REFUSAL_REASONS.get(code, lambda: _("apri la coda delle azioni per sapere perché"))()
    body = _("%(action)s fatta senza rete non è stata accettata: %(reason)s.", action=action, reason=reason)
    if donation is not None:
        body += " " + _("Donazione: %(what)s, %(place)s.", what=what(donation), place=place(donation))
    return _("Azione offline non riuscita"), body


def event_reminder(event):
    title = event.localised(str(get_locale() or "it"))["title"]
    return (_("Promemoria: %(title)s", title=title),
            _("%(when)s · %(where)s", when=when(event.starts_at), where=event.location or "-"))


def test():
    return _("Notifica di prova"), _("Le notifiche di Raccolto funzionano su questo dispositivo.")
