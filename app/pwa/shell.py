"""What the service worker precaches, and the version derived from those files' contents.

The service worker script is a template: the route replaces its tokens with the
version, the precache list (static URLs carry `?v=<hash>` from app/assets.py) and a
few URLs, so the browser sees a new byte-different worker whenever any precached
file changes, and installs it.
"""
import glob
import hashlib
import json
import os

from flask import current_app, url_for

from app.assets import asset

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SW_SOURCE = os.path.join(ROOT, "service_worker", "sw.js")
# Owned by the notifications work; served at /sw-push.js only when it exists.
PUSH_SOURCE = os.path.join(ROOT, "service_worker", "push.js")
# The driver's run (issue 14): photos in the outbox, DDTs offline; served at /sw-handover.js.
HANDOVER_SOURCE = os.path.join(ROOT, "service_worker", "handover.js")
# Templates rendered into precached pages: a change in them is a new version too.
SHELL_TEMPLATES = ("pwa/offline.html", "pwa/_queued.html")

# The shell: small files every page needs. The vendored QR decoder (jsQR, 256 KB) is
# not here on purpose: it is cached at run time when the scan page is first opened
# (or prefetched with the volunteer's claimed pickups), so installing costs little.
SHELL_STATIC = ("css/app.css", "js/*.js", "js/vendor/htmx-*.min.js", "icons/favicon.svg",
                "icons/sprite.svg", "icons/icon-192.png", "icons/icon-maskable-192.png",
                "icons/apple-touch-icon.png")


def shell_static_files():
    """Static filenames (relative to static/) that the service worker precaches, sorted."""
    static = current_app.static_folder
    found = set()
    for pattern in SHELL_STATIC:
        for path in glob.glob(os.path.join(static, pattern)):
            found.add(os.path.relpath(path, static).replace(os.sep, "/"))
    return sorted(found)


def _file_digest(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def version():
    """A short hash of everything the worker precaches, its own source and push.js."""
    digest = hashlib.sha256()
    paths = [SW_SOURCE, PUSH_SOURCE, HANDOVER_SOURCE]
    paths += [os.path.join(current_app.static_folder, name) for name in shell_static_files()]
    paths += [os.path.join(current_app.template_folder, name) for name in SHELL_TEMPLATES]
    for path in paths:
        if os.path.exists(path):
            digest.update(path.encode() + b"\0" + _file_digest(path).encode())
    return digest.hexdigest()[:12]


def worker_script():
    """The service worker source with its tokens replaced."""
    with open(SW_SOURCE, encoding="utf-8") as handle:
        source = handle.read()
    precache = [asset(name) for name in shell_static_files()]
    precache += [url_for("pwa.offline"), url_for("pwa.queued")]
    config = {
        "offline": url_for("pwa.offline"),
        "queued": url_for("pwa.queued"),
        "outbox": url_for("pwa.outbox"),
        "session": url_for("pwa.session_state"),
        "api_ops": "/api/ops",  # DESIGN.md contract; the API blueprint is another issue's
        "login": url_for("auth.login"),
        "outbox_script": asset("js/idb-outbox.js"),
        "push_script": url_for("pwa.push_script"),
        "handover_script": url_for("pwa.handover_script"),
        # Network-first pages that may be opened offline: the volunteer's and the
        # charity's own pages, crate pages and the outbox itself.
        "page_prefixes": ["/volontario/", "/ente/", "/c/", url_for("pwa.outbox"),
                          # Public campaign and event pages: readable offline once visited.
                          "/campagne", "/eventi",
                          # The DDT travels with the goods: shown to an officer without signal.
                          "/documenti/ddt/"],
        # The home page is matched exactly: as a prefix "/" would match everything.
        "exact_pages": [url_for("public.home")],
    }
    return (source.replace("__VERSION__", version())
            .replace("/*__PRECACHE__*/[]", json.dumps(precache))
            .replace("/*__CONFIG__*/{}", json.dumps(config)))
