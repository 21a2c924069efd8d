"""`/volontario/` in-process: SQL statements per request and median time, on the demo data.

    .venv/bin/python -m benchmarks.volunteer_inprocess [DATABASE_URL] [--requests 200]

Builds a fresh database (PostgreSQL when a URL is given: the database is dropped
and created again, so give a throwaway name), seeds the demo network, signs the demo
volunteer in with Flask's test client and requests the page: the statements of one
request (each is a round trip on PostgreSQL) and the median of `--requests` timings.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

PATH = "/volontario/"
EMAIL = "volontario@demo.raccolto.it"


def recreate(url):
    """Drop and create the PostgreSQL database of `url` (the benchmark's own)."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def build(url, instance):
    """An app on a migrated, seeded database."""
    os.environ.update(INSTANCE_PATH=instance, RACCOLTO_ENV="development", SECRET_KEY="bench-secret")
    from flask_migrate import upgrade

    from app import create_app, demo

    overrides = {"SQLALCHEMY_DATABASE_URI": url} if url else {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/bench.sqlite3"}
    app = create_app({**overrides, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade(directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
        demo.seed()
    return app


def measure(app, requests):
    """(statements of one request, [SQL texts], median ms, p95 ms) of PATH for the demo volunteer."""
    from app.extensions import db

    client = app.test_client()
    with app.app_context():
        engine = db.engine
    # Requests run outside any outer app context, as under gunicorn: each gets a fresh session.
    login = client.post("/login", data={"email": EMAIL, "password": "raccolto-demo"})
    assert login.status_code in (302, 303), login.status_code
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    for _ in range(5):  # warm up: compiled templates, statement caches, connection pool
        assert client.get(PATH).status_code == 200
    event.listen(engine, "before_cursor_execute", count)
    client.get(PATH)
    event.remove(engine, "before_cursor_execute", count)
    statements = list(seen)
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(PATH)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    timings.sort()
    return len(statements), statements, statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="", help="PostgreSQL URL of a throwaway database")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--show", action="store_true", help="print the SQL of one request")
    args = parser.parse_args(argv)
    if args.url:
        recreate(args.url)
    with tempfile.TemporaryDirectory(prefix="raccolto-inproc-") as instance:
        app = build(args.url, instance)
        n, statements, median, p95 = measure(app, args.requests)
    where = make_url(args.url).get_backend_name() if args.url else "sqlite"
    print(f"{PATH} on the demo data ({where}): {n} SQL statements per request, "
          f"median {median:.1f} ms, p95 {p95:.1f} ms over {args.requests} requests (in-process)")
    if args.show:
        for statement in statements:
            print("  -", " ".join(statement.split())[:150], "...", " ".join(statement.split())[-250:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
