"""Donation documents (DOMAIN.md "Documents"): the DDT of each pickup, the donor's monthly
summary, the charity's quarterly declaration.

The DDT is issued inside the pickup's own transaction by `issue_on_pickup`, an
operation subscriber: its number comes from a per-(store, year) counter row
locked for the rest of that transaction, so two pickups at the same store at
the same moment queue on the lock and never share a number (DPR 472/96).
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import Crate, Donation, DocumentCounter, Organisation, TransportDocument, User
from app.services.impact import periods
from app.services.ops.core import SUBSCRIBERS

ISSUED_STATUSES = ("picked_up", "delivered", "received")
# Categories that spoil within days whatever the storage ("facilmente deperibile").
PERISHABLE_CATEGORIES = frozenset({"frutta_verdura", "pane_forno", "latticini", "carne", "pollame", "pesce",
                                   "gastronomia", "surgelati"})
REASON = "Cessione gratuita L. 166/2016"
# Art. 16 L. 166/2016 (verify): the donor's monthly communication is needed only for
# donations worth more than this that are not easily perishable.
THRESHOLD_EUR = 15000.0


def is_perishable(category, storage):
    """'Facilmente deperibile': chilled or frozen food, or a fresh category."""
    return storage in ("chilled", "frozen") or category in PERISHABLE_CATEGORIES


def over_threshold(value_eur, perishable):
    """True for a donation the donor must report monthly (over EUR 15,000, not easily perishable)."""
    return not perishable and (value_eur or 0) > THRESHOLD_EUR


# --- issuing ------------------------------------------------------------------------------------

def issue_on_pickup(ctx):
    """Operation subscriber: issue the DDT when the operation left its donation picked up (or later)."""
    if ctx.refusal or ctx.donation_id is None:
        return
    donation = db.session.get(Donation, ctx.donation_id)
    if donation is None or donation.status not in ISSUED_STATUSES:
        return
    if db.session.scalar(select(TransportDocument.id).where(TransportDocument.donation_id == donation.id)):
        return
    issue(donation, ctx.user, ctx.occurred_at, backfilled_by=ctx.entered_by)


if issue_on_pickup not in SUBSCRIBERS:  # registered once, however often this module is imported
    SUBSCRIBERS.append(issue_on_pickup)


def next_number(store_id, year):
    """Take the next DDT number of `store_id` in `year` (1, 2, ...), locking the counter row.

    The row is created if missing (ON CONFLICT DO NOTHING, so two first
    pickups of a year do not collide), then read FOR UPDATE: on PostgreSQL a
    second transaction waits here until the first commits and then reads its
    number. SQLite has one writer at a time (write_transaction()).
    """
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(DocumentCounter).values(store_id=store_id, year=year, last_number=0)
                       .on_conflict_do_nothing(index_elements=["store_id", "year"]))
    counter = db.session.scalars(select(DocumentCounter).where(DocumentCounter.store_id == store_id,
                                                                DocumentCounter.year == year)
                                 .with_for_update().execution_options(populate_existing=True)).one()
    counter.last_number += 1
    db.session.flush()
    return counter.last_number


def _party(org):
    if org is None:
        return None
    return {"id": org.id, "name": org.name, "address": org.address, "municipality": org.municipality,
            "province": org.province, "vat_number": org.vat_number}


def _carrier(donation, user):
    """The volunteer carrying the food: the holder, else who applied the pickup, else the claimer."""
    for candidate in (donation.holder_id, getattr(user, "id", None) if user is not None
                      and user.has_role("volunteer") else None, donation.claimed_by_id):
        if candidate is not None:
            return db.session.get(User, candidate)
    return None


def _entered_by(donation):
    """Who entered the donation when it was not the donor's staff (a volunteer on the store's behalf)."""
    poster = db.session.get(User, donation.posted_by_id) if donation.posted_by_id else None
    if poster is None:
        return None
    org = poster.org_for("store")
    if org is not None and org.id == donation.store_id:
        return None
    return {"name": poster.name, "ref": poster.pseudonym}


def issue(donation, user, occurred_at, backfilled_by=None):
    """Create the DDT of `donation` now (numbered, with a snapshot of parties and goods).

    `backfilled_by`: the coordinator who recorded the pickup after the fact for the carrier.
    """
    issued_at = donation.picked_up_at or occurred_at
    year = periods.rome_year(issued_at)
    number = next_number(donation.store_id, year)
    carrier = _carrier(donation, user)
    crates = db.session.scalars(select(Crate).where(Crate.donation_id == donation.id)).all()
    # Crates the pickup left at the store are not transported. A pickup recorded by a crate
    # scan alone (custody moved by a fact) has not sorted the others yet: they travel too.
    taken = [c for c in crates if c.status != "left_at_store"] or crates
    share = len(taken) / len(crates) if crates else 1.0
    kg = round(donation.kg_declared * share, 2)
    value = round((donation.value_eur or 0.0) * share, 2)
    perishable = is_perishable(donation.category, donation.storage)
    store, recipient = donation.store, donation.recipient
    snapshot = {
        "donor": _party(store), "recipient": _party(recipient),
        "carrier": {"name": carrier.name, "ref": carrier.pseudonym} if carrier else None,
        "lines": [{"description": donation.description, "category": donation.category,
                   "storage": donation.storage, "kg": kg, "crates": len(taken) if crates else donation.crates_count,
                   "perishable": perishable, "date_kind": donation.date_kind,
                   "food_date": donation.food_date.isoformat() if donation.food_date else None}],
        "reason": REASON,
        "transport_start": {"at": issued_at.isoformat(),
                            "place": ", ".join(p for p in (store.address, store.municipality) if p)},
        "destination": ", ".join(p for p in (recipient.address, recipient.municipality) if p) if recipient else "",
        "value_eur": value, "value_estimated": bool(donation.value_estimated),
        "crates_total": donation.crates_count,
        "entered_by": _entered_by(donation),
    }
    if backfilled_by is not None:
        snapshot["backfilled_by"] = {"name": backfilled_by.name, "ref": backfilled_by.pseudonym}
    document = TransportDocument(donation_id=donation.id, store_id=donation.store_id,
                                 recipient_id=donation.recipient_id, carrier_id=carrier.id if carrier else None,
                                 year=year, number=number, issued_at=issued_at, kg=kg, value_eur=value,
                                 snapshot=snapshot)
    db.session.add(document)
    db.session.flush()
    return document


# --- reading and access ---------------------------------------------------------------------------

def for_donation(donation_id):
    """The DDT of a donation, or None."""
    return db.session.scalar(select(TransportDocument).where(TransportDocument.donation_id == donation_id))


def can_view(user, document):
    """Coordinators, the donor's and the recipient's staff, and the carrier may read a DDT."""
    if user.has_role("coordinator"):
        return True
    store, charity = user.org_for("store"), user.org_for("charity")
    return bool((store is not None and store.id == document.store_id)
                or (charity is not None and charity.id == document.recipient_id)
                or (document.carrier_id is not None and document.carrier_id == user.id))


def receipt(document):
    """How the charity signed for the goods: {'at', 'kg', 'by'} once received, else None."""
    donation = document.donation
    if donation is None or donation.status != "received":
        return None
    by = db.session.get(User, donation.received_by_id) if donation.received_by_id else None
    return {"at": donation.received_at, "kg": donation.received_kg, "by": by.name if by else ""}


def documents_of(period, store_id=None, recipient_id=None, carrier_id=None, limit=None):
    """DDTs issued in `period` for a store, a charity or a carrier, newest first."""
    query = _documents_query(period, store_id, recipient_id, carrier_id)
    return db.session.scalars(query.limit(limit) if limit else query).all()


def _documents_query(period, store_id=None, recipient_id=None, carrier_id=None):
    query = select(TransportDocument).where(TransportDocument.issued_at >= period.start,
                                            TransportDocument.issued_at < period.end)
    if store_id is not None:
        query = query.where(TransportDocument.store_id == store_id)
    if recipient_id is not None:
        query = query.where(TransportDocument.recipient_id == recipient_id)
    if carrier_id is not None:
        query = query.where(TransportDocument.carrier_id == carrier_id)
    return query.order_by(TransportDocument.issued_at.desc(), TransportDocument.id.desc())


DDT_PAGE = 100  # DDTs on one page of a documents list


def documents_page(period, after_id=None, size=None, **owner):
    """One page of `documents_of` (newest first), keyset-paged: (DDTs, id to continue after or None).

    `after_id` is the last DDT of the previous page: the page goes on from its
    (issued_at, id), so a page costs the same however deep in the list it is. An
    id that is not a DDT of this list starts from the top.
    """
    size = size or DDT_PAGE
    query = _documents_query(period, **owner)
    if after_id is not None:
        last = db.session.execute(select(TransportDocument.issued_at, TransportDocument.id)
                                  .where(TransportDocument.id == after_id)).first()
        if last is not None:
            query = query.where(tuple_(TransportDocument.issued_at, TransportDocument.id) < tuple_(*last))
    rows = db.session.scalars(query.limit(size + 1)).all()
    return rows[:size], (rows[size - 1].id if len(rows) > size else None)


# --- monthly summary and quarterly declaration -----------------------------------------------------

@dataclass
class MonthlySummary:
    store: Organisation
    period: periods.Period
    rows: list
    kg: float
    value_eur: float
    flagged: int


def monthly_summary(store, year, month):
    """The donor's month: every DDT (number, date, recipient, goods, kg, value) and the EUR 15,000 flags."""
    period = periods.month_period(year, month)
    documents = sorted(documents_of(period, store_id=store.id), key=lambda d: (d.year, d.number))
    rows = []
    for d in documents:
        line = d.snapshot["lines"][0]
        rows.append({"document": d, "recipient": (d.snapshot.get("recipient") or {}).get("name", ""),
                     "line": line, "kg": d.kg, "value_eur": d.value_eur,
                     "over_threshold": over_threshold(d.value_eur, line["perishable"])})
    return MonthlySummary(store=store, period=period, rows=rows, kg=sum(r["kg"] for r in rows),
                          value_eur=sum(r["value_eur"] for r in rows),
                          flagged=sum(1 for r in rows if r["over_threshold"]))


@dataclass
class QuarterlyDeclaration:
    charity: Organisation
    period: periods.Period
    rows: list
    pending: int
    kg: float
    signatory: str
    role: str
    signed_on: object

    @property
    def commitment(self):
        """The declaration's text (fields per DOMAIN.md; wording to verify with the Province)."""
        return _("Il/la sottoscritto/a %(who)s, in qualità di %(role)s di %(charity)s, dichiara che i beni "
                 "elencati, ricevuti nel %(period)s a titolo di cessione gratuita ai sensi della L. 166/2016 "
                 "con i documenti di trasporto indicati, sono stati utilizzati per le finalità istituzionali "
                 "dell'ente, senza scopo di lucro, e si impegna a utilizzare allo stesso modo quelli non "
                 "ancora distribuiti.", who=self.signatory or "…", role=self.role or "…",
                 charity=self.charity.name, period=self.period.label)


def quarterly_declaration(charity, year, quarter, signatory="", role="", signed_on=None):
    """The charity's quarter: the DDTs it signed for (number, date, donor, kg), to declare their use."""
    period = periods.quarter_period(year, quarter)
    documents = sorted(documents_of(period, recipient_id=charity.id),
                       key=lambda d: (d.issued_at, d.store_id, d.number))
    rows, pending = [], 0
    for d in documents:
        if d.donation.status != "received":
            pending += 1
            continue
        kg = d.donation.received_kg if d.donation.received_kg is not None else d.kg
        rows.append({"document": d, "donor": (d.snapshot.get("donor") or {}).get("name", ""), "kg": kg})
    return QuarterlyDeclaration(charity=charity, period=period, rows=rows, pending=pending,
                                kg=sum(r["kg"] for r in rows), signatory=signatory.strip()[:120],
                                role=role.strip()[:80], signed_on=signed_on or periods.today())
