"""The installable, offline-first shell: /sw.js, /sw-push.js, /manifest.webmanifest, /offline, /coda."""
from app.pwa.blueprint import bp  # noqa: F401
from app.pwa import routes  # noqa: F401  (importing them adds their views)
