"""First load of `/volontario/` as the app itself sends it: bytes on the wire, compressed by the app.

    .venv/bin/python -m benchmarks.wire_weight

Serves the demo as `make run` does (gunicorn, SQLite, demo data), signs the demo
volunteer in, and opens the page in a fresh Chromium profile (empty HTTP cache,
no service worker yet), which asks for `Accept-Encoding: gzip, deflate, br, zstd`.
For every response the page received it counts what crossed the wire: the
response headers and the body as encoded (Chrome's own `sizes()`), and prints
the encoding the app chose. Budget: 50 KB.
"""
import os
import sys

from benchmarks.page_weight import ARGS, CHROMIUM, PATH
from benchmarks.server import login_cookie, running_app

LIMIT_BYTES = 50 * 1024


def measure(base, cookie, path=PATH):
    """[(path, type, encoding, body bytes decoded, bytes on the wire)] of the first load of `path`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="it-IT")
        context.add_cookies([{"name": name.strip(), "value": value, "url": base}
                             for name, _sep, value in (c.partition("=") for c in cookie.split("; "))])
        page = context.new_page()
        seen = []
        page.on("requestfinished", lambda request: seen.append(request))
        page.goto(base + path, wait_until="networkidle")
        rows = []
        for request in seen:
            response = request.response()
            if response is None or response.from_service_worker:
                continue
            sizes = request.sizes()
            kind = response.headers.get("content-type", "").split(";")[0]
            rows.append(("/" + request.url.split("/", 3)[3], kind, response.headers.get("content-encoding", "-"),
                         len(response.body()), sizes["responseHeadersSize"] + sizes["responseBodySize"]))
        browser.close()
    return rows


def main():
    if not os.path.exists(CHROMIUM):
        print("chromium not found: apt-get install chromium")
        return 1
    with running_app() as (base, _env):
        rows = measure(base, login_cookie(base, "volontario@demo.raccolto.it"))
    print(f"\n== First load of {PATH} from the app (gunicorn, demo data), Accept-Encoding: gzip, br ==")
    print(f"{'resource':58} {'type':22} {'enc':>5} {'body B':>8} {'wire B':>8}")
    for path, kind, encoding, body, wire in sorted(rows, key=lambda r: -r[4]):
        print(f"{path[:58]:58} {kind[:22]:22} {encoding:>5} {body:8d} {wire:8d}")
    total = sum(r[4] for r in rows)
    print(f"{'total (headers + encoded bodies)':58} {'':22} {'':5} {sum(r[3] for r in rows):8d} {total:8d}"
          f"  ({total / 1024:.1f} KiB)")
    print(f"{'within' if total <= LIMIT_BYTES else 'OVER'} the {LIMIT_BYTES // 1024} KiB budget")
    return 0 if total <= LIMIT_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
