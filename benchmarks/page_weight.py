"""Page weight: what the first load of the volunteer's pickups page transfers.

A fresh Chromium profile (empty HTTP cache, no service worker yet) opens the page;
every response the page itself received (HTML, CSS, JS, icons) is counted.
Here each text resource is measured as a reverse proxy would send it, whatever the app
sends (the app compresses itself since issue 17: benchmarks/wire_weight.py measures that):
gzip at level 6 (nginx's `gzip_comp_level 6`, as `gzip -6`);
PNGs are counted as they are (proxies do not recompress images). The service worker's
own background download (the script and the precached shell not already loaded by the
page) is printed apart: it happens after the page is shown and only once.
"""
import gzip
import os
import shutil
import urllib.error
import urllib.request

LIMIT_BYTES = 100 * 1024
PATH = "/volontario/"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
_COMPRESSIBLE = ("text/", "javascript", "json", "xml", "svg", "manifest")


def wire_size(body, content_type):
    """Bytes on the wire behind a proxy that gzips text at level 6."""
    if any(kind in (content_type or "") for kind in _COMPRESSIBLE):
        return len(gzip.compress(body, compresslevel=6, mtime=0))
    return len(body)


def measure(page, url):
    """Open `url` in `page` (a fresh context) and return [(path, type, raw, wire)] of its responses."""
    seen = []
    page.on("response", lambda response: seen.append(response))
    page.goto(url, wait_until="networkidle")
    rows = []
    for response in seen:
        if response.status != 200 or response.from_service_worker:
            continue
        body = response.body()
        kind = response.headers.get("content-type", "").split(";")[0]
        path = "/" + response.url.split("/", 3)[3]
        rows.append((path, kind, len(body), wire_size(body, kind)))
    return rows


def worker_download(base, already):
    """The service worker's first download: its scripts and the precache not loaded by the page."""
    import json
    import re

    source = urllib.request.urlopen(base + "/sw.js").read()
    rows = [("/sw.js", "text/javascript", len(source), wire_size(source, "javascript"))]
    precache = json.loads(re.search(rb"var PRECACHE = (.+?);\n", source).group(1))
    for path in ["/sw-push.js"] + precache:
        if path in already:
            continue
        try:
            with urllib.request.urlopen(base + path) as response:
                body = response.read()
                kind = response.headers.get("Content-Type", "").split(";")[0]
        except urllib.error.HTTPError:  # /sw-push.js before the push listeners exist
            continue
        rows.append((path, kind, len(body), wire_size(body, kind)))
    return rows


def report(rows, title):
    """Print a table of `rows`; return the total wire bytes."""
    print(f"\n{title}")
    print(f"{'resource':58} {'type':24} {'raw B':>8} {'gzip-6 B':>9}")
    for path, kind, raw, wire in sorted(rows, key=lambda r: -r[3]):
        print(f"{path[:58]:58} {kind[:24]:24} {raw:8d} {wire:9d}")
    total = sum(r[3] for r in rows)
    print(f"{'total':58} {'':24} {sum(r[2] for r in rows):8d} {total:9d}  ({total / 1024:.1f} KiB)")
    return total


def run(base, cookies, path=PATH):
    """`make bench`: the volunteer's pickups page, first load, as the volunteer (cookies['volunteer'])."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        print("chromium not found: apt-get install chromium")
        return {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="it-IT")
        context.add_cookies([{"name": name.strip(), "value": value, "url": base}
                             for name, _sep, value in (c.partition("=") for c in cookies["volunteer"].split("; "))])
        page = context.new_page()
        rows = measure(page, base + path)
        browser.close()
    total = report(rows, f"== Page weight: first load of {path} (gzip -6 as a reverse proxy would send it) ==")
    verdict = "within" if total <= LIMIT_BYTES else "OVER"
    print(f"{verdict} the {LIMIT_BYTES // 1024} KiB budget; jsQR loaded: "
          f"{'yes' if any('jsQR' in r[0] for r in rows) else 'no'}")
    extra = report(worker_download(base, {r[0] for r in rows}),
                   "== then, in the background, the service worker's first install ==")
    return {"page_bytes": total, "worker_bytes": extra}
