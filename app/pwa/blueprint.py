"""The pwa blueprint: its URL prefix, the checks before every view, its template helpers.

Its views live in the other modules of this package, which `__init__` imports.
"""
from flask import Blueprint

bp = Blueprint("pwa", __name__)


@bp.app_context_processor
def _offline_context():
    """`pwa_prefetch()` for templates/pwa/_head.html."""
    from app.pwa.prefetch import prefetch_urls

    return {"pwa_prefetch": prefetch_urls}
