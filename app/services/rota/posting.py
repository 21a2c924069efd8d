"""A donation posted for a slot: pre-filled from the schedule, born claimed by the signed-up volunteer.

Registered with the engine's donation.post (ops.donations.SLOT_POSTING): the
store's staff post for their slot, or — once the window has opened and the
store has done neither — the volunteer signed up to it records the pickup on
the store's behalf (the volunteer is the one who entered it, the store the donor).
"""
from dataclasses import dataclass

from flask_babel import gettext as _

from app.services.ops import donations
from app.services.ops.core import Refused
from app.services.rota.slots import load_slot


@dataclass
class SlotPosting:
    """What donation.post needs from the rota: the donor store, the claimer, the slot to close."""

    store: object
    claimer_id: int | None
    slot: object

    def done(self, donation, ctx):
        """Close the slot as posted, pointing at its donation."""
        self.slot.status, self.slot.donation_id = "posted", donation.id
        self.slot.closed_at, self.slot.closed_by_id = ctx.received_at, ctx.user.id


def resolve(ctx):
    """The SlotPosting of the payload's slot_id for this user, or Refused."""
    slot = load_slot(ctx)
    user = ctx.user
    if slot.status != "open":
        raise Refused("slot_closed", _("Per questo turno la donazione è già stata pubblicata, o il punto vendita "
                                       "ha segnato «niente oggi»."))
    if not slot.store.active:
        raise Refused("not_allowed", _("Il tuo punto vendita non è attivo nella rete."))
    joined = slot.joined
    store = user.org_for("store") if user.has_role("store") else None
    if (store is not None and store.id == slot.store_id) or user.has_role("coordinator"):
        return SlotPosting(slot.store, joined[0].user_id if joined else None, slot)
    if user.has_role("volunteer"):
        if not any(s.user_id == user.id for s in joined):
            raise Refused("not_joined", _("Solo un volontario iscritto a questo turno può registrare il ritiro."))
        if ctx.occurred_at < slot.window_start:
            raise Refused("window_not_open", _("La finestra di ritiro non è ancora iniziata: il punto vendita può "
                                               "ancora pubblicare la donazione."))
        return SlotPosting(slot.store, user.id, slot)
    raise Refused("not_allowed", _("Puoi agire solo per la tua organizzazione."))


donations.SLOT_POSTING.append(resolve)
