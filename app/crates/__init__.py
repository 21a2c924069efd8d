"""Crate pages at /c/<token>: where a label's QR code leads (no login needed to open it)."""
from flask import Blueprint

bp = Blueprint("crates", __name__)

from app.crates import routes  # noqa: E402,F401
