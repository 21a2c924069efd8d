"""`make bench`: serve the demo with gunicorn and print figures for each benchmark."""
import os
import sys

from benchmarks import dashboard, http_pages, page_weight, wire_weight
from benchmarks.server import check_page, login_cookie, running_app

PAGES = [
    # (label, path, logged-in role or None); the first is the baseline.
    ("trivial route /robots.txt", "/robots.txt", None),
    ("home page /", "/", None),
    ("volunteer home /volontario/", "/volontario/", "volunteer"),
    ("coordinator home /coordinamento/", "/coordinamento/", "coordinator"),
    ("store today /negozio/", "/negozio/", "store"),
    ("charity home /ente/", "/ente/", "charity"),
    ("campaigns and events /eventi", "/eventi", None),
    ("impact dashboard /coordinamento/impatto", "/coordinamento/impatto", "coordinator"),
]
LOGINS = {"volunteer": "volontario@demo.raccolto.it", "coordinator": "coordinatore@demo.raccolto.it",
          "store": "negozio@demo.raccolto.it", "charity": "ente@demo.raccolto.it"}


def main():
    database_url = os.environ.get("BENCH_DATABASE_URL")
    print(f"Raccolto benchmarks on {'PostgreSQL' if database_url else 'SQLite'}, "
          f"gunicorn 2 workers x 4 threads, wrk {http_pages.CONNECTIONS} connections "
          f"for {http_pages.DURATION} per page, {os.cpu_count()} cores")
    with running_app(database_url) as (base, _env):
        cookies = {role: login_cookie(base, email) for role, email in LOGINS.items()}
        for _label, path, role in PAGES:
            check_page(base, path, cookies.get(role, ""))
        print("\n== Pages: throughput and latency ==")
        http_pages.run(base, cookies, PAGES)
        print("\n== Page weight: first load of the volunteer's pickups page (budget 100 KB) ==")
        page_weight.run(base, cookies)
        print("\n== The same first load as the app itself sends it (Brotli/gzip from Flask-Compress, budget 50 KB) ==")
        rows = wire_weight.measure(base, cookies["volunteer"])
        total = sum(r[4] for r in rows)
        print(f"{len(rows)} responses, {total} bytes on the wire (headers + encoded bodies), {total / 1024:.1f} KiB")
    print("\n== Coordinator dashboard on 100,000 donations (budget 300 ms) ==")
    dashboard.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
