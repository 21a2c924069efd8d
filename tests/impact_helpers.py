"""Impact and document test data built straight from the models (fast, any status, any date).

`dataset` is the fixed network of the acceptance tests: every figure expected
on the dashboard, in the CSV and in the open data is computed by hand in
EXPECTED below, from the rows written here.
"""
import csv
import io
import re
from datetime import datetime, timezone
from html.parser import HTMLParser
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from app.models import Crate, Donation, Operation
from app.services.impact import documents, rollups

ROME = ZoneInfo("Europe/Rome")
_counter = {"crate": 0, "op": 0}


def rome(year, month, day, hour=0, minute=0):
    """An aware UTC instant from a wall-clock time in Rome."""
    return datetime(year, month, day, hour, minute, tzinfo=ROME).astimezone(timezone.utc)


def log(donation, kind, at, user=None, status="applied"):
    """Append an operation to the log for `donation` and sync its rollups (as the engine would have)."""
    _counter["op"] += 1
    operation = Operation(op_id=f"impact-test-{_counter['op']:06d}", kind=kind, donation_id=donation.id,
                          user_id=user.id if user else None, source="form", payload={}, occurred_at=at,
                          received_at=at, status=status, code="", message="", result={})
    db.session.add(operation)
    db.session.flush()
    rollups.sync_donation(donation.id)  # a late unclaim in the log makes a no-show
    return operation


def make_donation(store, recipient, *, status, category, kg, posted, window, received_kg=None, value_eur=None,
                  storage="ambient", claimed=None, claimer=None, picked=None, received=None, receiver=None,
                  cancelled=None, expired=None, crates=1, description="Eccedenze di prova"):
    """A donation in any state, with its crates and the log entries of its claim and pickup."""
    donation = Donation(store_id=store.id, recipient_id=recipient.id if recipient else None, status=status,
                        category=category, storage=storage, description=description, kg_declared=kg,
                        crates_count=crates, value_eur=value_eur, value_estimated=value_eur is None,
                        window_start=window[0], window_end=window[1], posted_at=posted, updated_at=posted,
                        claimed_at=claimed if status != "expired" else None,
                        claimed_by_id=claimer.id if claimer and status != "expired" else None,
                        holder_id=claimer.id if claimer and picked and status != "received" else None,
                        picked_up_at=picked, received_at=received, received_kg=received_kg,
                        received_by_id=receiver.id if receiver else None, cancelled_at=cancelled,
                        expired_at=expired)
    db.session.add(donation)
    db.session.flush()
    for n in range(1, crates + 1):
        _counter["crate"] += 1
        db.session.add(Crate(donation_id=donation.id, n=n, token=f"T{_counter['crate']:011d}",
                             status="picked_up" if picked else "at_store",
                             picked_up_at=picked, picked_up_by_id=claimer.id if picked and claimer else None))
    log(donation, "donation.post", posted)
    if claimed is not None:
        log(donation, "donation.claim", claimed, claimer)
    if picked is not None:
        log(donation, "donation.pickup", picked, claimer)
    rollups.sync_donation(donation.id)  # what the engine's rollup subscriber does
    db.session.commit()
    return donation


def issue_ddt(donation, carrier):
    """Issue the DDT of a picked-up donation (what the pickup subscriber does)."""
    document = documents.issue(donation, carrier, donation.picked_up_at)
    rollups.sync_donation(donation.id)  # the carrier is part of the rollup's cell
    db.session.commit()
    return document


@pytest.fixture
def dataset(make_org, make_user):
    """The fixed network of the acceptance tests (2025, Rome times); see EXPECTED."""
    s1 = make_org("store", name="Super Uno", municipality="Bologna", address="Via Indipendenza 1",
                  vat_number="01234567890", email="uno@negozio.example", phone="051 111111")
    s2 = make_org("store", name="Super Due", municipality="Imola", address="Via Emilia 2",
                  vat_number="09876543210", email="due@negozio.example", phone="0542 222222")
    c1 = make_org("charity", name="Caritas Prova", municipality="Bologna", address="Via del Monte 5",
                  email="caritas@ente.example", phone="051 333333")
    c2 = make_org("charity", name="Emporio Prova", municipality="Imola", address="Via Mazzini 60",
                  email="emporio@ente.example", phone="0542 444444")
    v1 = make_user("volunteer", name="Giulia Rossi", email="giulia.rossi@volontari.example")
    v2 = make_user("volunteer", name="Marco Verdi", email="marco.verdi@volontari.example")
    v1.phone, v2.phone = "333 1234567", "333 7654321"
    staff = make_user("charity", org=c1, name="Anna Ente")
    d = {}
    d[1] = make_donation(s1, c1, status="received", category="frutta_verdura", kg=10, received_kg=9.5, value_eur=37.0,
                         posted=rome(2025, 3, 10, 9), window=(rome(2025, 3, 10, 10), rome(2025, 3, 10, 13)),
                         claimed=rome(2025, 3, 10, 9, 30), claimer=v1, picked=rome(2025, 3, 10, 11),
                         received=rome(2025, 3, 10, 12), receiver=staff, crates=2,
                         description="Mele golden e pere")
    # Picked up at 00:30 on 1 April in Rome (still 31 March in UTC): April's.
    d[2] = make_donation(s1, c2, status="delivered", category="dispensa", kg=20, value_eur=74.0,
                         posted=rome(2025, 3, 31, 20), window=(rome(2025, 3, 31, 21), rome(2025, 4, 1, 2)),
                         claimed=rome(2025, 3, 31, 20, 40), claimer=v2, picked=rome(2025, 4, 1, 0, 30),
                         description="Pasta e passata di pomodoro")
    d[3] = make_donation(s2, c1, status="received", category="non_umano", kg=8, received_kg=8.0, value_eur=None,
                         posted=rome(2025, 4, 15, 8), window=(rome(2025, 4, 15, 8, 30), rome(2025, 4, 15, 10, 30)),
                         claimed=rome(2025, 4, 15, 8, 10), claimer=v1, picked=rome(2025, 4, 15, 9),
                         received=rome(2025, 4, 15, 9, 45), receiver=staff, description="Scarti per compost")
    d[4] = make_donation(s2, c2, status="picked_up", category="carne", storage="chilled", kg=5, value_eur=40.0,
                         posted=rome(2025, 4, 20, 10), window=(rome(2025, 4, 20, 10, 30), rome(2025, 4, 20, 12, 30)),
                         claimed=rome(2025, 4, 20, 10, 20), claimer=v2, picked=rome(2025, 4, 20, 11),
                         description="Petti di pollo e macinato")
    d[5] = make_donation(s1, c1, status="expired", category="pane_forno", kg=6, value_eur=12.0,
                         posted=rome(2025, 3, 12, 18), window=(rome(2025, 3, 12, 18, 30), rome(2025, 3, 12, 20, 30)),
                         expired=rome(2025, 3, 12, 20, 31))
    # Claimed and never collected: a no-show.
    d[6] = make_donation(s1, c1, status="claimed", category="latticini", storage="chilled", kg=4, value_eur=10.0,
                         posted=rome(2025, 4, 2, 9), window=(rome(2025, 4, 2, 10), rome(2025, 4, 2, 12)),
                         claimed=rome(2025, 4, 2, 9, 10), claimer=v1)
    d[7] = make_donation(s2, c2, status="cancelled", category="dispensa", kg=3, value_eur=9.0,
                         posted=rome(2025, 4, 3, 10), window=(rome(2025, 4, 3, 11), rome(2025, 4, 3, 13)),
                         cancelled=rome(2025, 4, 3, 10, 30))
    # Given back only after the window closed: a no-show (from the log), then expired.
    d[8] = make_donation(s2, c1, status="expired", category="dolci_snack", kg=2, value_eur=8.0,
                         posted=rome(2025, 4, 5, 9), window=(rome(2025, 4, 5, 10), rome(2025, 4, 5, 11)),
                         claimed=rome(2025, 4, 5, 9, 5), claimer=v2, expired=rome(2025, 4, 5, 11, 35))
    log(d[8], "donation.unclaim", rome(2025, 4, 5, 11, 30), v2)
    # Given back in time, then nobody came: expired, not a no-show.
    d[9] = make_donation(s1, c2, status="expired", category="bevande", kg=7, value_eur=14.0,
                         posted=rome(2025, 4, 6, 9), window=(rome(2025, 4, 6, 10), rome(2025, 4, 6, 12)),
                         claimed=rome(2025, 4, 6, 9, 10), claimer=v1, expired=rome(2025, 4, 6, 12, 1))
    log(d[9], "donation.unclaim", rome(2025, 4, 6, 9, 30), v1)
    db.session.commit()
    ddt = {1: issue_ddt(d[1], v1), 2: issue_ddt(d[2], v2), 3: issue_ddt(d[3], v1), 4: issue_ddt(d[4], v2)}
    return SimpleNamespace(s1=s1, s2=s2, c1=c1, c2=c2, v1=v1, v2=v2, staff=staff, d=d, ddt=ddt)


def _fig(lots, kg, weighed, declared, food, value):
    """Hand-computed figures of a group (meals: food kg / 0.5; CO2e: kg x 2.5)."""
    return {"lots": lots, "kg": kg, "kg_weighed": weighed, "kg_declared": declared, "meals": food / 0.5,
            "co2e_kg": kg * 2.5, "value_eur": value}


# The rescued donations are D1 (9.5 kg weighed, 37 EUR), D2 (20 kg declared, 74 EUR, April in Rome),
# D3 (8 kg weighed, not food, no value given: 8 x 3.7 = 29.6 EUR) and D4 (5 kg declared, 40 EUR).
EXPECTED = {
    "total": _fig(4, 42.5, 17.5, 25.0, 34.5, 180.6),
    "month": {"2025-03": _fig(1, 9.5, 9.5, 0, 9.5, 37.0), "2025-04": _fig(3, 33.0, 8.0, 25.0, 25.0, 143.6)},
    "category": {"frutta_verdura": _fig(1, 9.5, 9.5, 0, 9.5, 37.0), "dispensa": _fig(1, 20.0, 0, 20.0, 20.0, 74.0),
                 "non_umano": _fig(1, 8.0, 8.0, 0, 0, 29.6), "carne": _fig(1, 5.0, 0, 5.0, 5.0, 40.0)},
    "store": {"Super Uno": _fig(2, 29.5, 9.5, 20.0, 29.5, 111.0), "Super Due": _fig(2, 13.0, 8.0, 5.0, 5.0, 69.6)},
    "charity": {"Caritas Prova": _fig(2, 17.5, 17.5, 0, 9.5, 66.6),
                "Emporio Prova": _fig(2, 25.0, 0, 25.0, 25.0, 114.0)},
    "municipality": {"Bologna": _fig(2, 29.5, 9.5, 20.0, 29.5, 111.0), "Imola": _fig(2, 13.0, 8.0, 5.0, 5.0, 69.6)},
    # Posted 9, cancelled 1 (D7); due 8; claimed in time D1 D2 D3 D4 D6; minutes to claim 30, 40, 10, 20, 10;
    # expired D5 D8 D9 (6 + 2 + 7 kg); no-shows D6 (still claimed) and D8 (given back late).
    "health": {"posted": 9, "cancelled": 1, "due": 8, "claimed_in_time": 5, "claimed_in_time_share": 0.625,
               "minutes_to_claim_median": 20.0, "expired_lots": 3, "expired_kg": 15.0, "no_shows": 2,
               "active_volunteers": 2, "kg_per_pickup": 10.625},
    # Giulia Rossi carried D1 and D3.
    "volunteer_v1": _fig(2, 17.5, 17.5, 0, 9.5, 66.6),
}


def approx_figures(actual, expected):
    """True when every expected figure matches to the cent."""
    return all(abs(actual[k] - v) < 0.005 for k, v in expected.items())


class TableReader(HTMLParser):
    """Reads <table id="..."> cells of a page: {table id: [[cell text, ...], ...]}."""

    def __init__(self):
        super().__init__()
        self.tables, self._table, self._row, self._cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html):
    """Every <table id=...> of `html` as lists of cell texts (header row first)."""
    reader = TableReader()
    reader.feed(html)
    return reader.tables


def it_number(text):
    """'1.234,5 €' -> 1234.5 (Italian formatting, units stripped)."""
    cleaned = re.sub(r"[^\d,.-]", "", text).replace(".", "").replace(",", ".")
    return float(cleaned)


def read_csv(text, delimiter=";"):
    """CSV rows as dicts (BOM stripped)."""
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))
