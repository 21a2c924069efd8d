"""Generate a whole Raccolto network on PostgreSQL with COPY, for `make bench-scale`.

The network is made of provinces ("clusters"): each has its stores, charities and
volunteers around a centre, so a volunteer's radius holds about one province's
stores at every size. province = 1 cluster, 300 stores, 80 charities, 800
volunteers, 100,000 donations; region = x10; national = 107 clusters, 30,000
stores, 8,000 charities, 50,000 volunteers, 10,000,000 donations. Donations cover
three years up to now (the last day and a half still open), each with its crates,
its operation log (post, claim, pickup, deliver, receive, or cancel/expire) and, once
picked up, its DDT, numbered per store and year.

Fast on purpose: the schema comes from the migrations, then secondary indexes and
unique constraints are dropped, rows stream through psycopg 3's `cursor.copy()` in
text format on four connections at once, from BENCH_SCALE_WORKERS processes (2)
that each own a share of the stores (foreign-key triggers off with
`session_replication_role = replica`, the loader is a superuser), and indexes are
built after loading and after the rollups (`rollups.rebuild()` in SQL, the health
rollups included), so that the rebuild's millions of inserts maintain only primary
keys; ANALYZE runs before both.
"""
import json
import math
import multiprocessing
import os
import random
import time
from datetime import datetime, timedelta, timezone

import psycopg

SIZES = {
    "province": {"clusters": 1, "stores": 300, "charities": 80, "volunteers": 800, "donations": 100_000},
    "region": {"clusters": 10, "stores": 3_000, "charities": 800, "volunteers": 8_000, "donations": 1_000_000},
    "national": {"clusters": 107, "stores": 30_000, "charities": 8_000, "volunteers": 50_000,
                 "donations": 10_000_000},
}
DAYS = 3 * 365
OPEN_DAYS = 1.5  # the last day and a half of donations are still open (posted or claimed)
CHUNK = 20_000
PASSWORD = "raccolto-demo"
TABLES = ("organisation", "user_account", "membership", "volunteer_profile", "donation", "crate", "operation",
          "transport_document", "document_counter", "impact_day", "impact_source", "health_source")
CATEGORIES = (("frutta_verdura", 30), ("pane_forno", 25), ("dispensa", 15), ("latticini", 10),
              ("gastronomia", 8), ("carne", 4), ("surgelati", 3), ("non_umano", 5))
NULL = "\\N"


def email(role, n):
    """The email of the n-th generated account of a role (all share PASSWORD)."""
    return f"{role}{n}@scala.raccolto.it"


def centres(count, seed=17):
    """Province centres: Bologna first, the others spread over Italy's latitude and longitude."""
    rng = random.Random(seed)
    points = [(44.4949, 11.3426)]
    while len(points) < count:
        points.append((rng.uniform(37.6, 46.4), rng.uniform(7.6, 18.2)))
    return points


def _near(rng, centre, spread_km):
    lat, lon = centre
    r = spread_km * math.sqrt(rng.random())
    a = rng.uniform(0, 2 * math.pi)
    return lat + r * math.cos(a) / 111.2, lon + r * math.sin(a) / (111.2 * math.cos(math.radians(lat)))


class Clock:
    """Fast text timestamps for COPY: cached day strings plus seconds of the day."""

    def __init__(self, start):
        self.start = start
        self.days = [(start + timedelta(days=i)).strftime("%Y-%m-%d") for i in range(DAYS + 10)]

    def __call__(self, seconds):
        day, rest = divmod(int(seconds), 86400)
        if day >= len(self.days):
            raise ValueError(f"instant {seconds} beyond the clock's {len(self.days)} days")
        hours, rest = divmod(rest, 3600)
        return f"{self.days[day]} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}+00"

    def year(self, seconds):
        return int(self.days[int(seconds) // 86400][:4])


def _copy(conn, table, columns):
    return conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN")


def _drop_indexes(conn):
    """Drop secondary indexes and unique constraints of the loaded tables; return how to rebuild them."""
    names = list(TABLES)
    rebuild = []
    for table, name, definition in conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)", (names,)).fetchall():
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
            "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname)", (names,)).fetchall():
        conn.execute(f'DROP INDEX "{name}"')
        rebuild.append(definition)
    conn.commit()
    return rebuild


def _people(conns, spec, clock, now_s, rng, password_hash):
    """Organisations, accounts, memberships and volunteer profiles; returns who is where."""
    org, users, members, profiles = conns
    points = centres(spec["clusters"])
    net = {"stores": [], "charities": [], "volunteers": [], "store_users": {}, "charity_users": {},
           "cluster_charities": [[] for _ in points], "cluster_volunteers": [[] for _ in points]}
    created = clock(now_s - (DAYS + 5) * 86400)
    hours = json.dumps([[d, "08:00", "20:00"] for d in range(7)])
    cats = json.dumps([c for c, _w in CATEGORIES])
    with _copy(org, "organisation", ("id", "kind", "name", "address", "municipality", "province", "lat", "lon",
                                     "vat_number", "phone", "email", "active", "created_at", "receiving_hours",
                                     "categories_accepted", "cold_storage", "people_served_week", "notes")) as cp:
        cp.write(f"1\tcoordination\tCoordinamento nazionale\t\t\t\t{NULL}\t{NULL}\t\t\t\tt\t{created}\t[]\t[]\tf\t0\t\n")
        oid = 1
        for kind, count in (("store", spec["stores"]), ("charity", spec["charities"])):
            for i in range(count):
                oid += 1
                cluster = i % len(points)
                lat, lon = _near(rng, points[cluster], 25)
                name = f"{'Punto vendita' if kind == 'store' else 'Ente'} {i + 1}"
                cp.write(f"{oid}\t{kind}\t{name}\tVia Roma {i + 1}\tComune {cluster + 1}-{i % 12}\t"
                         f"Provincia {cluster + 1}\t{lat:.6f}\t{lon:.6f}\t{'IT%011d' % oid if kind == 'store' else ''}"
                         f"\t\t\tt\t{created}\t{hours if kind == 'charity' else '[]'}\t"
                         f"{cats if kind == 'charity' else '[]'}\t{'t' if kind == 'charity' else 'f'}\t"
                         f"{120 if kind == 'charity' else 0}\t\n")
                net["stores" if kind == "store" else "charities"].append((oid, cluster))
                if kind == "charity":
                    net["cluster_charities"][cluster].append(oid)
    uid = 0
    with _copy(users, "user_account", ("id", "email", "name", "phone", "password_hash", "locale", "pseudonym",
                                       "session_token", "created_at")) as cu, \
            _copy(members, "membership", ("id", "user_id", "organisation_id", "role", "created_at")) as cm, \
            _copy(profiles, "volunteer_profile", ("user_id", "status", "municipality", "base_lat", "base_lon",
                                                  "vehicle", "cold_transport", "hygiene_training_on",
                                                  "decided_at", "decision_note", "created_at")) as cv:
        def account(role, n, org_id, member_role):
            nonlocal uid
            uid += 1
            cu.write(f"{uid}\t{email(role, n)}\t{role.title()} {n}\t\t{password_hash}\tit\tp{uid:014d}\t"
                     f"{'%032x' % rng.getrandbits(128)}\t{created}\n")
            if org_id:
                cm.write(f"{uid}\t{uid}\t{org_id}\t{member_role}\t{created}\n")
            return uid

        account("coordinatore", 1, 1, "coordinator")
        for i, (oid, _cluster) in enumerate(net["stores"]):
            net["store_users"][oid] = account("negozio", i + 1, oid, "store")
        for i, (oid, _cluster) in enumerate(net["charities"]):
            net["charity_users"][oid] = account("ente", i + 1, oid, "charity")
        training = (clock.start + timedelta(seconds=now_s) - timedelta(days=200)).date().isoformat()
        for i in range(spec["volunteers"]):
            cluster = i % len(points)
            vid = account("volontario", i + 1, 0, "")
            # Volunteers live near their province's centre: the radius around them is a province.
            lat, lon = _near(rng, points[cluster], 10) if i >= len(points) else points[cluster]
            cold = "t" if i % 3 == 0 else "f"
            cv.write(f"{vid}\tapproved\tComune {cluster + 1}\t{lat:.6f}\t{lon:.6f}\tcar\t{cold}\t{training}\t"
                     f"{created}\t\t{created}\n")
            net["volunteers"].append(vid)
            net["cluster_volunteers"][cluster].append(vid)
    return net


def _donations(conninfo, spec, net, clock, now_s, part, parts, seed):
    """Donations `part` of `parts` (ids, and the stores they belong to, split between processes) with their
    crates, operations and DDTs, streamed in chunks on four COPYs; returns row counts.

    Each part owns its stores, so DDT numbers per (store, year) never collide; ids
    are disjoint by construction (crate = donation x 4 + n, operation = donation x 8 + k).
    """
    rng = random.Random(seed * 1000 + part)
    conns = [psycopg.connect(conninfo) for _ in range(4)]
    for conn in conns:
        conn.execute("SET session_replication_role = replica")  # no FK triggers while loading
        conn.execute("SET synchronous_commit = off")
    dconn, cconn, oconn, tconn = conns
    start_s = now_s - DAYS * 86400
    first, last = spec["donations"] * part // parts, spec["donations"] * (part + 1) // parts
    total = spec["donations"]
    open_from = now_s - OPEN_DAYS * 86400
    weights = [w for _c, w in CATEGORIES]
    categories = [c for c, _w in CATEGORIES]
    stores = net["stores"][part::parts]
    store_names = {oid: f"Punto vendita {i + 1}" for i, (oid, _c) in enumerate(net["stores"])}
    charity_names = {oid: f"Ente {i + 1}" for i, (oid, _c) in enumerate(net["charities"])}
    counters = {}
    crates_made = ops_made = ddts_made = 0
    donation_cols = ("id", "store_id", "recipient_id", "status", "category", "storage", "description", "kg_declared",
                     "crates_count", "date_kind", "allergens", "value_eur", "value_estimated",
                     "best_before_confirmed", "needs_cold", "notes", "window_start", "window_end", "posted_by_id",
                     "posted_at", "claimed_by_id", "claimed_at", "holder_id", "picked_up_at", "delivered_at",
                     "received_at", "received_by_id", "received_kg", "cancelled_at", "cancel_reason", "expired_at",
                     "updated_at")
    with _copy(dconn, "donation", donation_cols) as cd, \
            _copy(cconn, "crate", ("id", "donation_id", "n", "token", "status", "picked_up_at", "picked_up_by_id",
                                   "received_at", "problem_kind", "problem_note")) as cc, \
            _copy(oconn, "operation", ("id", "op_id", "kind", "donation_id", "user_id", "source", "payload",
                                       "occurred_at", "received_at", "status", "code", "message", "result")) as co, \
            _copy(tconn, "transport_document", ("id", "donation_id", "store_id", "recipient_id", "carrier_id",
                                                "year", "number", "issued_at", "kg", "value_eur", "snapshot",
                                                "created_at")) as ct:
        did = first
        while did < last:
            dl, cl, ol, tl = [], [], [], []
            for _ in range(min(CHUNK, last - did)):
                did += 1
                # Posting times spread evenly over three years, in order (ids grow with time).
                posted = start_s + (did / total) * DAYS * 86400 + rng.uniform(-600, 0)
                store, cluster = stores[rng.randrange(len(stores))]
                charities = net["cluster_charities"][cluster]
                volunteers = net["cluster_volunteers"][cluster]
                charity = charities[rng.randrange(len(charities))]
                volunteer = volunteers[rng.randrange(len(volunteers))]
                category = rng.choices(categories, weights)[0]
                storage = "chilled" if category in ("latticini", "carne", "gastronomia") else (
                    "frozen" if category == "surgelati" else "ambient")
                kg = round(rng.uniform(1, 60), 1)
                crates = rng.randint(1, 4)
                value = f"{kg * rng.uniform(2.5, 5):.2f}" if rng.random() < 0.5 else NULL
                w_start = posted + rng.uniform(1, 6) * 3600
                w_end = w_start + 3 * 3600
                claimed = picked = delivered = received = cancelled = expired = None
                received_kg = NULL
                if posted >= open_from:
                    status = "claimed" if rng.random() < 0.4 else "posted"
                    w_start = max(w_start, now_s + 1800 + rng.uniform(0, 30 * 3600))
                    w_end = w_start + 3 * 3600
                    if status == "claimed":
                        claimed = posted + rng.uniform(60, 3600)
                else:
                    r = rng.random()
                    status = ("received" if r < 0.87 else "delivered" if r < 0.88 else "picked_up" if r < 0.885
                              else "expired" if r < 0.95 else "cancelled")
                    if status in ("received", "delivered", "picked_up"):
                        claimed = posted + rng.uniform(600, 4 * 3600)
                        picked = w_start + rng.uniform(0, 2.5 * 3600)
                        if status != "picked_up":
                            delivered = picked + rng.uniform(1200, 3600)
                        if status == "received":
                            received = delivered + rng.uniform(300, 1800)
                            if rng.random() < 0.7:
                                received_kg = f"{kg * rng.uniform(0.9, 1.05):.2f}"
                    elif status == "expired":
                        expired = w_end + 60
                    else:
                        cancelled = posted + rng.uniform(600, 3 * 3600)
                ts = clock
                holder = volunteer if status in ("picked_up", "delivered") else NULL
                claimer = volunteer if claimed is not None else NULL
                updated = max(t for t in (posted, claimed, picked, delivered, received, cancelled, expired) if t)
                dl.append(
                    f"{did}\t{store}\t{charity}\t{status}\t{category}\t{storage}\tEccedenze {category}\t{kg}\t{crates}"
                    f"\tnone\t[]\t{value}\t{'t' if value == NULL else 'f'}\tf\t{'f' if storage == 'ambient' else 't'}"
                    f"\t\t{ts(w_start)}\t{ts(w_end)}\t{net['store_users'][store]}\t{ts(posted)}\t{claimer}\t"
                    f"{ts(claimed) if claimed else NULL}\t{holder}\t{ts(picked) if picked else NULL}\t"
                    f"{ts(delivered) if delivered else NULL}\t{ts(received) if received else NULL}\t"
                    f"{net['charity_users'][charity] if received else NULL}\t{received_kg}\t"
                    f"{ts(cancelled) if cancelled else NULL}\t{'Imprevisto' if cancelled else ''}\t"
                    f"{ts(expired) if expired else NULL}\t{ts(updated)}\n")
                crate_status = ("received" if status == "received" else "picked_up" if picked else "at_store")
                for n in range(1, crates + 1):
                    crate_id = did * 4 + n - 1
                    crates_made += 1
                    cl.append(f"{crate_id}\t{did}\t{n}\tS{crate_id:011X}\t{crate_status}\t"
                              f"{ts(picked) if picked else NULL}\t{volunteer if picked else NULL}\t"
                              f"{ts(received) if received else NULL}\t\t\n")
                steps = [("donation.post", net["store_users"][store], posted)]
                if claimed:
                    steps.append(("donation.claim", volunteer, claimed))
                if picked:
                    steps.append(("donation.pickup", volunteer, picked))
                if delivered:
                    steps.append(("donation.deliver", volunteer, delivered))
                if received:
                    steps.append(("donation.receive", net["charity_users"][charity], received))
                if cancelled:
                    steps.append(("donation.cancel", net["store_users"][store], cancelled))
                if expired:
                    steps.append(("donation.expire", None, expired))
                for k, (kind, user, at) in enumerate(steps):
                    op_id = did * 8 + k
                    ops_made += 1
                    ol.append(f"{op_id}\t{op_id:032x}\t{kind}\t{did}\t{user if user else NULL}\t"
                              f"{'system' if user is None else 'form'}\t{{\"donation_id\": {did}}}\t{ts(at)}\t"
                              f"{ts(at + 2)}\tapplied\t\t\t{{}}\n")
                if picked:
                    ddt_id = did
                    ddts_made += 1
                    year = clock.year(picked)
                    key = (store, year)
                    counters[key] = counters.get(key, 0) + 1
                    snapshot = (f'{{"donor": {{"name": "{store_names[store]}"}}, "recipient": {{"name": '
                                f'"{charity_names[charity]}"}}, "lines": [{{"description": "Eccedenze {category}", '
                                f'"category": "{category}", "kg": {kg}, "crates": {crates}}}]}}')
                    tl.append(f"{ddt_id}\t{did}\t{store}\t{charity}\t{volunteer}\t{year}\t{counters[key]}\t"
                              f"{ts(picked)}\t{kg}\t{value if value != NULL else f'{kg * 3.7:.2f}'}\t{snapshot}\t"
                              f"{ts(picked)}\n")
            cd.write("".join(dl))
            cc.write("".join(cl))
            co.write("".join(ol))
            ct.write("".join(tl))
    with _copy(dconn, "document_counter", ("store_id", "year", "last_number")) as cp:
        cp.write("".join(f"{s}\t{y}\t{n}\n" for (s, y), n in counters.items()))
    for conn in conns:
        conn.commit()
        conn.close()
    return {"donations": last - first, "crates": crates_made, "operations": ops_made, "ddts": ddts_made}


def _part(args):
    return _donations(*args)


def generate(url, size, password_hash, seed=17, log=print, before_indexes=None):
    """Fill the (empty, migrated) database at `url` with a network of `size`; returns row counts and timings.

    `before_indexes(timings)`, when given, runs once the rows are loaded and analysed but
    before the secondary indexes are built (the rollup rebuild: its inserts then maintain
    only primary keys, and its scans need no index).
    """
    spec = SIZES[size]
    rng = random.Random(seed)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    start = (now - timedelta(days=DAYS + 5)).replace(hour=0, minute=0, second=0)
    clock = Clock(start)
    now_s = (now - start).total_seconds()
    timings = {}
    began = time.perf_counter()
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    conns = [psycopg.connect(conninfo) for _ in range(4)]
    for conn in conns:
        conn.execute("SET session_replication_role = replica")  # no FK triggers while loading
        conn.execute("SET synchronous_commit = off")
    rebuild = _drop_indexes(conns[0])
    net = _people(conns, spec, clock, now_s, rng, password_hash)
    for conn in conns:
        conn.commit()
    log(f"  people and organisations: {time.perf_counter() - began:.1f} s")
    parts = max(1, int(os.environ.get("BENCH_SCALE_WORKERS", "2")))
    jobs = [(conninfo, spec, net, clock, now_s, part, parts, seed) for part in range(parts)]
    with multiprocessing.get_context("fork").Pool(parts) as pool:
        results = pool.map(_part, jobs)
    counts = {key: sum(r[key] for r in results) for key in results[0]}
    timings["load_s"] = time.perf_counter() - began
    log(f"  rows loaded with COPY by {parts} processes: {counts} in {timings['load_s']:.1f} s")
    main = conns[0]
    for other in conns[1:]:
        other.close()
    main.execute("SET session_replication_role = DEFAULT")
    main.execute("SET maintenance_work_mem = '1GB'")
    main.commit()
    t = time.perf_counter()
    main.autocommit = True
    main.execute("ANALYZE")  # the rollup rebuild's plan needs the row counts
    main.autocommit = False
    timings["analyze_s"] = time.perf_counter() - t
    if before_indexes is not None:
        before_indexes(timings)
    t = time.perf_counter()
    for statement in rebuild:
        main.execute(statement)
        main.commit()
    for table in ("organisation", "user_account", "membership", "donation", "crate", "operation",
                  "transport_document"):
        main.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    main.commit()
    timings["indexes_s"] = time.perf_counter() - t
    log(f"  indexes and constraints built: {timings['indexes_s']:.1f} s")
    t = time.perf_counter()
    main.autocommit = True
    # Again, and VACUUM: a bulk load leaves no visibility map, so no index-only scan, until autovacuum
    # passes (minutes later in production; never where autovacuum is off, as on the test machines).
    main.execute("VACUUM (ANALYZE)")
    main.close()
    timings["analyze_s"] += time.perf_counter() - t
    counts["volunteers"], counts["stores"], counts["charities"] = (spec["volunteers"], spec["stores"],
                                                                    spec["charities"])
    return counts, timings
