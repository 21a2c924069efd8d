"""Crate pages at /c/<token>: where a label's QR code leads (no login needed to open it)."""
from app.crates.blueprint import bp  # noqa: F401
from app.crates import routes  # noqa: F401  (importing them adds their views)
