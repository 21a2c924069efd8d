"""The impact dashboard on 100,000 donations: build the data by bulk inserts, time the requests.

Acceptance (issue 8): the coordinator dashboard answers in under 300 ms on
this machine. The database is a fresh SQLite file, or, with
BENCH_DATABASE_URL set, a scratch PostgreSQL database `raccolto_bench_dashboard`
created (and dropped first) on that server.
"""
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta

DONATIONS = int(os.environ.get("BENCH_DONATIONS", "100000"))
REQUESTS = int(os.environ.get("BENCH_DASHBOARD_REQUESTS", "15"))
BUDGET_MS = 300
STORES, CHARITIES, VOLUNTEERS = 60, 30, 300
CHUNK = 5000


SCRATCH = "raccolto_bench_dashboard"


def _scratch(create):
    """Drop (and, if `create`, recreate) the scratch PostgreSQL database next to BENCH_DATABASE_URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(os.environ["BENCH_DATABASE_URL"])
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{SCRATCH}"'))
        if create:
            conn.execute(text(f'CREATE DATABASE "{SCRATCH}"'))
    admin.dispose()
    return url.set(database=SCRATCH).render_as_string(hide_password=False)


def _database_url(tmp):
    if not os.environ.get("BENCH_DATABASE_URL"):
        return "sqlite:///" + os.path.join(tmp, "dashboard.sqlite3")
    return _scratch(create=True)


def _insert(table, rows, **defaults):
    """Bulk insert (executemany); every row gets the same keys, `defaults` filling the gaps."""
    from app.extensions import db

    keys = set(defaults).union(*rows)
    rows = [{key: row.get(key, defaults.get(key)) for key in keys} for row in rows]
    for i in range(0, len(rows), CHUNK):
        db.session.execute(table.insert(), rows[i:i + CHUNK])
    db.session.commit()


def build(count=DONATIONS, seed=8):
    """Fill the (empty) database with a year of network activity: `count` donations and their log."""
    from app.domain import CATEGORIES
    from app.extensions import db
    from app.models import (Donation, Membership, Operation, Organisation, TransportDocument, User,
                            VolunteerProfile)
    from app.models.base import utcnow
    from app.services.impact import periods

    rng = random.Random(seed)
    now = utcnow()
    municipalities = ["Bologna", "Imola", "Casalecchio di Reno", "San Lazzaro di Savena", "Castenaso",
                      "Budrio", "Pianoro", "Medicina", "Zola Predosa", "Castel Maggiore"]
    orgs = [{"id": i, "kind": "store", "name": f"Punto vendita {i}", "address": f"Via Emilia {i}",
             "municipality": municipalities[i % len(municipalities)], "province": "Bologna",
             "vat_number": f"{10000000000 + i}", "active": True, "created_at": now}
            for i in range(1, STORES + 1)]
    orgs += [{"id": STORES + i, "kind": "charity", "name": f"Ente {i}", "address": f"Via Libertà {i}",
              "municipality": municipalities[i % len(municipalities)], "province": "Bologna",
              "active": True, "created_at": now} for i in range(1, CHARITIES + 1)]
    orgs.append({"id": STORES + CHARITIES + 1, "kind": "coordination", "name": "Coordinamento",
                 "active": True, "created_at": now})
    _insert(Organisation.__table__, orgs, address="", municipality="", province="", vat_number="", phone="",
            email="", receiving_hours=[], categories_accepted=[], cold_storage=False, people_served_week=0,
            notes="")
    users = [{"id": i, "email": f"volontario{i}@bench.invalid", "name": f"Volontario {i}",
              "pseudonym": f"U-B{i:08d}", "session_token": f"{i:032d}", "created_at": now}
             for i in range(1, VOLUNTEERS + 1)]
    coordinator_id = VOLUNTEERS + 1
    users.append({"id": coordinator_id, "email": "coordinatore@bench.invalid", "name": "Coordinatore",
                  "pseudonym": "U-BCOORD", "session_token": "c" * 32, "created_at": now})
    _insert(User.__table__, users)
    _insert(VolunteerProfile.__table__, [{"user_id": i, "status": "approved", "vehicle": "car",
                                          "created_at": now} for i in range(1, VOLUNTEERS + 1)])
    _insert(Membership.__table__, [{"user_id": coordinator_id, "organisation_id": STORES + CHARITIES + 1,
                                    "role": "coordinator", "created_at": now}])

    categories = list(CATEGORIES)
    donations, operations, documents = [], [], []
    counters = {}
    span = timedelta(days=365).total_seconds()
    for i in range(1, count + 1):
        posted = now - timedelta(seconds=rng.uniform(3 * 3600, span))
        store = rng.randint(1, STORES)
        kg = round(rng.uniform(2, 60), 1)
        roll = rng.random()
        status = ("received" if roll < .72 else "delivered" if roll < .76 else "picked_up" if roll < .78
                  else "expired" if roll < .88 else "cancelled" if roll < .93 else "claimed")
        row = {"id": i, "store_id": store, "recipient_id": STORES + rng.randint(1, CHARITIES),
               "status": status, "category": rng.choice(categories), "storage": "ambient",
               "description": "Eccedenze assortite", "kg_declared": kg, "crates_count": rng.randint(1, 6),
               "date_kind": "none", "allergens": [], "value_eur": round(kg * 3.7, 2), "value_estimated": True,
               "best_before_confirmed": False, "needs_cold": False, "notes": "", "cancel_reason": "",
               "window_start": posted + timedelta(hours=1), "window_end": posted + timedelta(hours=4),
               "posted_at": posted, "updated_at": posted}
        ops = [("donation.post", posted, None)]
        if status in ("received", "delivered", "picked_up", "claimed", "cancelled") and rng.random() < .9:
            volunteer = rng.randint(1, VOLUNTEERS)
            claimed = posted + timedelta(minutes=rng.uniform(5, 150))
            row.update(claimed_by_id=volunteer, claimed_at=claimed)
            ops.append(("donation.claim", claimed, volunteer))
            if status in ("received", "delivered", "picked_up"):
                picked = posted + timedelta(minutes=rng.uniform(155, 230))
                row.update(picked_up_at=picked, holder_id=volunteer)
                ops.append(("donation.pickup", picked, volunteer))
                year = periods.rome_year(picked)
                counters[(store, year)] = number = counters.get((store, year), 0) + 1
                documents.append({"donation_id": i, "store_id": store, "recipient_id": row["recipient_id"],
                                  "carrier_id": volunteer, "year": year, "number": number, "issued_at": picked,
                                  "kg": kg, "value_eur": row["value_eur"], "snapshot": {}, "created_at": now})
                if status == "received":
                    received = picked + timedelta(minutes=40)
                    row.update(received_at=received, received_kg=round(kg * rng.uniform(.9, 1.05), 1)
                               if rng.random() < .7 else None)
                    ops.append(("donation.receive", received, None))
        elif status in ("received", "delivered", "picked_up", "claimed"):
            row["status"] = "expired"
        if row["status"] == "expired":
            row["expired_at"] = row["window_end"]
        if status == "cancelled":
            row["cancelled_at"] = posted + timedelta(minutes=30)
        donations.append(row)
        for kind, at, user in ops:
            operations.append({"op_id": f"bench-{i}-{kind}", "kind": kind, "donation_id": i, "user_id": user,
                               "source": "form", "payload": {}, "occurred_at": at, "received_at": at,
                               "status": "applied", "code": "", "message": "", "result": {}})
    _insert(Donation.__table__, donations)  # missing keys (claimed_at, received_kg...) are NULL
    _insert(Operation.__table__, operations)
    _insert(TransportDocument.__table__, documents)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return {"coordinator_id": coordinator_id, "donations": len(donations), "operations": len(operations),
            "documents": len(documents)}


def _time(client, path, n):
    """Wall-clock and CPU milliseconds of `n` requests (CPU: this process, which runs SQLite too)."""
    walls, cpus = [], []
    for _ in range(n):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"benchmark: {path} answered {response.status_code}")
    return sorted(walls), sorted(cpus)


def run():
    """Build the data, time the dashboard through the Flask test client, print the figures."""
    from flask import url_for

    from app import create_app
    from app.extensions import db
    from app.models import User

    with tempfile.TemporaryDirectory(prefix="raccolto-bench-dashboard-") as tmp:
        url = _database_url(tmp)
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret",
                          "UPLOAD_DIR": os.path.join(tmp, "uploads")})
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            built = build()
            build_s = time.perf_counter() - started
            coordinator = db.session.get(User, built["coordinator_id"])
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"], session["_fresh"] = coordinator.get_id(), True
            with app.test_request_context():
                pages = [("dashboard, last 12 months", url_for("impact.dashboard")),
                         ("dashboard, htmx filter by store", url_for("impact.dashboard", negozio=1)),
                         ("dashboard, one category, this year", url_for("impact.dashboard", categoria="carne",
                                                                          periodo=str(time.localtime().tm_year))),
                         ("CSV export", url_for("impact.export_csv")),
                         ("open data JSON", url_for("opendata.impact_json"))]
            engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
            print(f"\n== Impact dashboard on {engine}: {built['donations']:,} donations, "
                  f"{built['operations']:,} operations, {built['documents']:,} DDTs (built in {build_s:.1f} s) ==")
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
            print(f"{REQUESTS} requests each, load average {load:.1f} on {os.cpu_count()} cores "
                  f"(CPU ms: this process's own time, less sensitive to other load)")
            print(f"{'request':36} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'median CPU ms':>14}")
            worst = 0.0
            for label, path in pages:
                _time(client, path, 1)  # warm the caches once
                walls, cpus = _time(client, path, REQUESTS)
                p95 = walls[min(len(walls) - 1, int(round(0.95 * (len(walls) - 1))))]
                print(f"{label:36} {statistics.median(walls):10.1f} {p95:8.1f} {walls[-1]:8.1f} "
                      f"{statistics.median(cpus):14.1f}")
                if label.startswith("dashboard"):
                    worst = max(worst, statistics.median(walls))
            verdict = "OK" if worst < BUDGET_MS else "TOO SLOW"
            print(f"slowest dashboard median {worst:.1f} ms (budget {BUDGET_MS} ms): {verdict}")
            db.session.remove()
            db.engine.dispose()
        if url.startswith("postgresql"):
            _scratch(create=False)
        return worst


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    run()
