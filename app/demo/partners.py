"""Demo partners (issue 15): every store and charity has a signed agreement in force, one about to lapse,
one expired (an earlier agreement, since renewed); charities declare capacity, a summer closure and needs.

The agreements are made through the operations (agreement.save, agreement.status) by the demo coordinator,
dated in the past with `now`, so the log shows them like any other change. They are seeded before the
history, whose donations need them when AGREEMENTS_REQUIRED is on.
"""
from datetime import datetime, time, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Membership, Organisation, User
from app.models.base import utcnow
from app.services import ops
from app.services.partners import agreements

ROME = agreements.ROME
LAPSING_STORE = "SuperFresco San Lazzaro"  # its agreement ends in 20 days: the coordinator's home shows it
RENEWED_CHARITY = "Emporio Solidale Case Zanardi"  # its previous agreement expired last year


def _coordinator():
    return db.session.scalar(select(User).join(Membership, Membership.user_id == User.id)
                             .where(Membership.role == "coordinator").order_by(User.id).limit(1))


def _at(day):
    return datetime.combine(day, time(9, 0), ROME)


def _agreement(coordinator, org, starts, ends, signed_at, signatory, role, status="signed"):
    """Create and sign an agreement through the engine, as the coordinator did on `signed_at`."""
    made = ops.apply({"op_id": ops.new_op_id(), "kind": "agreement.save", "organisation_id": org.id,
                      "starts_on": starts.isoformat(), "ends_on": ends.isoformat(), "signatory_name": signatory,
                      "signatory_role": role, "network_signatory": "Laura Martinelli, Provincia di Bologna"},
                     coordinator, backfill=True, now=_at(signed_at))
    if status == "signed":
        ops.apply({"op_id": ops.new_op_id(), "kind": "agreement.status", "agreement_id": made["agreement_id"],
                   "status": "signed", "signed_on": signed_at.isoformat()}, coordinator, backfill=True,
                  now=_at(signed_at))
    return made["agreement_id"]


def seed_agreements(rng, now=None):
    """A signed agreement in force for every store and charity; one lapsing soon, one expired and renewed."""
    now = now or utcnow()
    today = agreements.today(now)
    coordinator = _coordinator()
    if coordinator is None:
        return
    orgs = db.session.scalars(select(Organisation).where(Organisation.kind.in_(("store", "charity")))
                              .order_by(Organisation.id)).all()
    signatories = ("Alessandra Rossi", "Giorgio Benassi", "Marta Zanetti", "Stefano Galli", "Don Franco Lenzi",
                   "Paola Mancini", "Claudio Sarti", "Federica Bassi", "Enrico Tosi", "Silvia Neri", "Luca Forni",
                   "Nadia Orsi")
    for i, org in enumerate(orgs):
        role = "Direttore del punto vendita" if org.kind == "store" else "Presidente"
        signed = today - timedelta(days=rng.randint(120, 300))
        ends = today + timedelta(days=20) if org.name == LAPSING_STORE else signed + timedelta(days=2 * 365)
        if org.name == RENEWED_CHARITY:
            old_start = signed - timedelta(days=365)
            old = _agreement(coordinator, org, old_start, signed - timedelta(days=1), old_start,
                             signatories[i % len(signatories)], role)
            # The worker expires it (its last day passed), as it would have on the day after.
            ops.apply_system("agreement.expire", {"agreement_id": old}, now=_at(signed),
                             op_id=f"agreement-expire-{old}-demo")
        _agreement(coordinator, org, signed, ends, signed, signatories[i % len(signatories)], role)
    db.session.commit()


def seed_capacity(rng, now=None):
    """Capacity, an August closure and this week's needs for the charities (after the history, which predates them)."""
    today = agreements.today(now or utcnow())
    charities = db.session.scalars(select(Organisation).where(Organisation.kind == "charity")
                                   .order_by(Organisation.id)).all()
    august = today.replace(month=8, day=1) if today.month <= 8 else today.replace(year=today.year + 1, month=8, day=1)
    plans = [
        {"kg_day": 400, "kg_week": 1800, "cold_litres": 2400, "cold_crates": 30, "needs_more": ["frutta_verdura",
         "latticini"], "needs_less": ["pane_forno"], "needs_note": "Ci mancano latte e verdura fresca."},
        {"kg_day": 250, "kg_week": 1200, "cold_litres": 1200, "cold_crates": 18, "needs_more": ["infanzia"],
         "needs_less": [], "needs_note": "Omogeneizzati e pannolini molto richiesti."},
        {"kg_day": 120, "kg_week": 400, "closures": [{"from": august.isoformat(),
                                                      "to": (august + timedelta(days=20)).isoformat(),
                                                      "reason": "Chiusura estiva"}]},
        {"kg_day": 150, "kg_week": 900, "cold_litres": 800, "cold_crates": 10},
        {"kg_day": 300},
    ]
    for org, plan in zip(charities, plans):
        staff = db.session.scalar(select(User).join(Membership, Membership.user_id == User.id).where(
            Membership.organisation_id == org.id, Membership.role == "charity").limit(1)) or _coordinator()
        capacity = {k: plan.get(k) for k in ("kg_day", "kg_week", "cold_litres", "cold_crates")}
        ops.apply({"op_id": ops.new_op_id(), "kind": "charity.capacity", "organisation_id": org.id,
                   "closures": plan.get("closures", []), **{k: v for k, v in capacity.items() if v is not None}},
                  staff)
        if "needs_more" in plan:
            ops.apply({"op_id": ops.new_op_id(), "kind": "charity.needs", "organisation_id": org.id,
                       "needs_more": plan["needs_more"], "needs_less": plan["needs_less"],
                       "needs_note": plan["needs_note"]}, staff)
    db.session.commit()
