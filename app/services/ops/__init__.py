"""Operations: the only code that writes donation state (DESIGN.md).

Forms, htmx requests, the offline queue and the JSON API all build an
operation dict and call `apply()`. The handlers of each kind live in the
modules of this package and register themselves with `@handler(kind)`;
areas above the engine add subscribers (the DDT, notifications), which
app/services/registry.py loads.

Owns the operation log, op_id idempotency, and the state of donations and
crates: no other code writes them.
"""
from app.services.ops.core import (HANDLERS, SUBSCRIBERS, Context, Refused, apply, apply_many,  # noqa: F401
                                   apply_system, handler, new_op_id, parse_time, wrong_state_message)
from app.services.ops import machine  # noqa: F401

# Handler modules: importing them registers their kinds.
from app.services.ops import donations  # noqa: F401,E402
from app.services.ops import pickups, scans  # noqa: F401,E402

# The areas this one may import (tests/test_layout.py checks it).
MAY_IMPORT = ("people", "partners", "food")
