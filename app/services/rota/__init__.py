"""The rota: recurring pickup schedules, the slots they generate, sign-ups and fairness.

Owns pickup schedules (recurrence, exceptions, places), slot generation,
sign-ups (single and standing), absences, the weekly cap and trial pickups,
and the volunteer's calendar feed. Every change is an operation of the engine
(kinds `schedule.*`, `slot.*`, `rota.*`, registered by the modules below);
the worker generates slots ahead. Sits above the engine and logistics, below
notify (which tells people about the rota's events).
"""
# Handler modules: importing them registers their kinds.
from app.services.rota import schedules, slots, posting  # noqa: F401,E402
from app.services.rota import queries as _queries  # noqa: E402
from app.services.people import accounts as _accounts  # noqa: E402

_accounts.EXPORTERS.append(_queries.export)  # the rota's rows in the user's GDPR export

# The areas this one may import (tests/test_layout.py checks it).
MAY_IMPORT = ("people", "food", "ops", "logistics")
