"""The open data files on a scale database, in the four states a request can find their parts.

    .venv/bin/python -m benchmarks.opendata [--database NAME] [--requests 40]
    .venv/bin/python -m benchmarks.opendata --national-tables [--requests 40]

The first form measures `raccolto_scale_region` (or NAME) on BENCH_SCALE_URL's
server, as `make bench-scale` left it. The second creates (again) the database
`raccolto_scale_opendata<BENCH_SCALE_TAG>` holding only what the files read, at
national size: 37 months x 1,284 municipalities x 8 categories of
`impact_month_municipality` cells with random amounts, the month x category
cells and their versions (a few seconds, instead of half an hour for the 10
million donations those cells sum up).

Single client (one keep-alive connection, `Accept-Encoding: gzip, br`, 3
warm-ups), p50/p95 of the JSON and CSV of the latest year: with every part
ready (the worker ran), with one (month, category) changed before each request
(a pickup between two runs of the job), with a whole month changed, and with no
part valid in the year (no worker ever ran). It bumps versions in the measured
database: run it on a benchmark database only.
"""
import argparse
import gzip
import http.client
import json
import statistics
import sys
import tempfile
import time

import psycopg

from benchmarks.scale import SERVER, TAG, _pg
from benchmarks.server import _env, flask, running_app

LAST_FULL_MONTH = "(date_trunc('month', now() AT TIME ZONE 'Europe/Rome') - interval '1 month')::date"
NATIONAL_TABLES = """
INSERT INTO impact_month_municipality (month, municipality, category, lots, weighed_lots, kg_declared, kg_received,
  kg_unweighed, kg_food, value_declared, kg_unvalued)
SELECT month, municipality, category, l, w, kg, kg * share, kg * (1 - share),
       CASE WHEN category = 'non_umano' THEN 0 ELSE kg END, kg * (2 + random() * 3), kg * random() * 0.3
FROM (SELECT m::date AS month, 'Comune ' || (c % 107 + 1) || '-' || (c % 12) AS municipality, cat AS category,
             CASE WHEN m = date_trunc('month', now()) THEN 1 ELSE 5 + (random() * 40)::int END AS l
      FROM generate_series(date_trunc('month', now()) - interval '36 months', date_trunc('month', now()),
                           interval '1 month') m,
           generate_series(0, 1283) c,
           unnest(ARRAY['frutta_verdura', 'pane_forno', 'dispensa', 'latticini', 'gastronomia', 'carne',
                        'surgelati', 'non_umano']) cat) base,
     LATERAL (SELECT (l * random())::int AS w, round((l * (3 + random() * 12))::numeric, 3)::float8 AS kg,
                     random() AS share WHERE base.l IS NOT NULL) amounts;
INSERT INTO impact_month_category (month, category, lots, weighed_lots, kg_declared, kg_received, kg_unweighed,
  kg_food, value_declared, kg_unvalued)
SELECT month, category, sum(lots), sum(weighed_lots), sum(kg_declared), sum(kg_received), sum(kg_unweighed),
       sum(kg_food), sum(value_declared), sum(kg_unvalued)
FROM impact_month_municipality GROUP BY month, category;
INSERT INTO impact_version (month, category, version) SELECT month, category, 1 FROM impact_month_category;
ANALYZE;
"""


def national_tables():
    """(Re)create the national-size open data tables alone; returns the database's URL."""
    name = f"raccolto_scale_opendata{TAG}"
    with _pg(SERVER) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{SERVER}/{name}"
    with tempfile.TemporaryDirectory(prefix="raccolto-bench-") as instance:
        flask(["db", "upgrade"], _env(instance, url))
    with _pg(SERVER, name) as conn:
        conn.execute(NATIONAL_TABLES)
    return url


def _get(conn, path, headers=None):
    start = time.perf_counter()
    conn.request("GET", path, headers={"Accept-Encoding": "gzip, br", **(headers or {})})
    response = conn.getresponse()
    body = response.read()
    if response.status not in (200, 304):
        raise SystemExit(f"GET {path} answered {response.status}: {body[:200]!r}")
    return (time.perf_counter() - start) * 1000, response, body


def _run(conn, label, path, requests, before=None, headers=None):
    """Print p50/p95 of `requests` GETs of `path` (after 3 warm-ups), calling `before` ahead of each."""
    timings = []
    for i in range(requests + 3):
        if before:
            before()
        elapsed, response, body = _get(conn, path, headers)
        if i >= 3:
            timings.append(elapsed)
    ordered = sorted(timings)
    p50, p95 = statistics.median(ordered), ordered[max(0, int(round(len(ordered) * 0.95)) - 1)]
    size = ""
    if response.status == 200:
        plain = gzip.decompress(body) if response.getheader("Content-Encoding") == "gzip" else body
        size = f"{len(body) / 1e6:5.2f} MB on the wire, {len(plain) / 1e6:5.1f} MB plain"
    print(f"  {label:46} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {size}", flush=True)
    return response


def measure(url, requests):
    """Serve `url` and time the latest year's files in each state of their parts."""
    with _pg(SERVER, url.rsplit("/", 1)[1]) as db:
        def bump(where):
            return lambda: db.execute(f"UPDATE impact_version SET version = version + 1 WHERE {where}")

        cells = db.execute("SELECT count(*), count(DISTINCT month), count(DISTINCT municipality) "
                           "FROM impact_month_municipality").fetchone()
        print(f"{cells[0]} cells ({cells[1]} months, {cells[2]} municipalities)")
        with running_app(url, prepare=lambda env: flask(["rollups", "open-data"], env)) as (base, _env):
            conn = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=120)
            year = json.loads(gzip.decompress(_get(conn, "/open-data/impatto.json")[2]))["anno"]
            files = (("JSON", "/open-data/impatto.json"), ("CSV", "/open-data/impatto.csv"))
            print(f"{year}, every part ready (the worker ran):")
            for label, path in files:
                _run(conn, label, path, requests)
            _run(conn, "JSON, 304 revalidation", files[0][1], requests,
                 headers={"If-None-Match": _get(conn, files[0][1])[1].getheader("ETag")})
            states = (("one (month, category) changed before each request (a pickup since the job ran)",
                       bump(f"month = {LAST_FULL_MONTH} AND category = 'frutta_verdura'"), True),
                      ("a whole month changed before each request (8 parts computed)",
                       bump(f"month = {LAST_FULL_MONTH}"), True),
                      ("no part of the year valid (no worker ever ran)",
                       bump("month >= date_trunc('year', now() AT TIME ZONE 'Europe/Rome')::date"), False))
            for title, change, every_request in states:
                print(title + ":")
                if not every_request:
                    change()
                for label, path in files:
                    _run(conn, label, path, requests if every_request else max(5, requests // 4),
                         before=change if every_request else None)
            conn.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=f"raccolto_scale_region{TAG}")
    parser.add_argument("--national-tables", action="store_true", help="measure national-size open data tables")
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args(argv)
    url = national_tables() if args.national_tables else f"{SERVER}/{args.database}"
    measure(url, args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
