"""The installable, offline-first shell: /sw.js, /sw-push.js, /manifest.webmanifest, /offline, /coda."""
from flask import Blueprint

bp = Blueprint("pwa", __name__)


@bp.app_context_processor
def _offline_context():
    """`pwa_prefetch()` for templates/pwa/_head.html."""
    from app.pwa.prefetch import prefetch_urls

    return {"pwa_prefetch": prefetch_urls}


from app.pwa import routes  # noqa: E402,F401
