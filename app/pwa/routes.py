"""Views of the offline shell: the worker scripts, the manifest, the offline page, the outbox."""
import os

from flask import Response, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from app.assets import asset
from app.permissions import home_endpoint
from app.pwa import shell
from app.pwa.blueprint import bp

THEME = "#1d6b3f"
BACKGROUND = "#f6f4ee"


def _script(body):
    """A worker script: never served stale, allowed to control the whole origin."""
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    response.add_etag()
    return response.make_conditional(request)


@bp.route("/sw.js")
def service_worker():
    """The service worker, with its version and precache list filled in (scope /)."""
    return _script(shell.worker_script())


@bp.route("/sw-push.js")
def push_script():
    """The push listeners (service_worker/push.js, the notifications work), when present."""
    if not os.path.exists(shell.PUSH_SOURCE):
        abort(404)
    with open(shell.PUSH_SOURCE, encoding="utf-8") as handle:
        return _script(handle.read())


@bp.route("/sw-handover.js")
def handover_script():
    """The worker's part for the driver's run: photos in the outbox (service_worker/handover.js)."""
    with open(shell.HANDOVER_SOURCE, encoding="utf-8") as handle:
        return _script(handle.read())


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest; its start URL is the signed-in user's home."""
    start = url_for(home_endpoint(current_user)) if current_user.is_authenticated else url_for("public.home")
    icons = [{"src": asset(f"icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
              "purpose": "any"} for size in (192, 512)]
    icons += [{"src": asset(f"icons/icon-maskable-{size}.png"), "sizes": f"{size}x{size}",
               "type": "image/png", "purpose": "maskable"} for size in (192, 512)]
    data = {
        # A fixed id: the start URL differs by role, and the installed app must stay one app.
        "id": "/",
        "name": "Raccolto",
        "short_name": "Raccolto",
        "description": _("Eccedenze alimentari dai negozi agli enti: ritiri, consegne, ricevute."),
        "lang": "it",
        "dir": "ltr",
        "start_url": start,
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME,
        "background_color": BACKGROUND,
        "categories": ["food", "social", "utilities"],
        "icons": icons,
    }
    response = jsonify(data)
    response.mimetype = "application/manifest+json"
    response.vary.add("Cookie")
    return response


@bp.route("/offline")
def offline():
    """The page shown for a page never opened online. Precached: no personal data in it."""
    return render_template("pwa/offline.html")


@bp.route("/offline/salvato")
def queued():
    """The fragment the worker answers with when it saves an action on the phone (precached)."""
    return render_template("pwa/_queued.html")


@bp.route("/coda")
@login_required
def outbox():
    """The actions saved on this phone: a shell whose list static/js/outbox-page.js fills."""
    return render_template("pwa/outbox.html")


@bp.route("/coda/stato")
def session_state():
    """The worker's check before a replay: who is signed in, and a fresh CSRF token.

    401 JSON (never a redirect to /login) when the session expired, so the worker
    keeps the queue and asks the user to sign in.
    """
    if not current_user.is_authenticated:
        response = jsonify({"user": None, "message": _("Accedi per inviare le azioni salvate.")})
        response.status_code = 401
    else:
        response = jsonify({"user": current_user.pseudonym, "csrf": generate_csrf()})
    response.headers["Cache-Control"] = "no-store"
    return response
