"""The donation state machine: the one table of allowed transitions.

posted --claim--> claimed --pickup--> picked_up --deliver--> delivered --receive--> received
   |  <--unclaim--   |
   +--cancel--> cancelled (store/coordinator, before pickup)
   +--expire--> expired (window ended unclaimed)

A donation posted for a rota slot (donation.post with slot_id) is born claimed:
the same operation posts it and applies "claim" for the slot's volunteer.
"""

TRANSITIONS = {
    "claim": ({"posted"}, "claimed"),
    "unclaim": ({"claimed"}, "posted"),
    "pickup": ({"claimed"}, "picked_up"),
    "deliver": ({"picked_up"}, "delivered"),
    "receive": ({"picked_up", "delivered"}, "received"),
    "cancel": ({"posted", "claimed"}, "cancelled"),
    "expire": ({"posted"}, "expired"),
    "edit": ({"posted"}, "posted"),
    "reassign": ({"posted", "claimed"}, None),  # None: the status does not change
    # Facts (DESIGN.md): a crate scanned at pickup moves custody whatever the state
    # said; the contradiction is flagged, not refused.
    "pickup_fact": ({"posted", "claimed", "cancelled", "expired"}, "picked_up"),
}

TERMINAL = {"received", "cancelled", "expired"}


def allowed(action, status):
    """True when `action` may happen to a donation in `status`."""
    sources, _target = TRANSITIONS[action]
    return status in sources


def target(action, status):
    """The status after `action` (the same status for actions that keep it)."""
    _sources, to = TRANSITIONS[action]
    return status if to is None else to


def edges():
    """Every (from, to) pair the machine allows; tests check the log against it."""
    pairs = set()
    for sources, to in TRANSITIONS.values():
        for source in sources:
            pairs.add((source, source if to is None else to))
    return pairs
