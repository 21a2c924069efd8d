"""The demo with agreements required (as `make run` has it): everyone signed, one lapsing, one expired, history intact."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import Donation, Operation, Organisation
from app.models.partners import Agreement, CharityCapacity
from app.services.partners import agreements


def test_the_demo_works_with_agreements_required(app, monkeypatch):
    from app import demo

    monkeypatch.setitem(app.config, "AGREEMENTS_REQUIRED", True)
    demo.seed()
    today = agreements.today()
    orgs = db.session.scalars(select(Organisation).where(Organisation.kind.in_(("store", "charity")))).all()
    assert orgs and all(agreements.current_for(org.id, today) is not None for org in orgs)
    assert len(agreements.lapsing(today)) >= 1
    assert db.session.scalar(select(func.count()).select_from(Agreement).where(Agreement.status == "expired")) == 1
    assert db.session.scalar(select(func.count()).select_from(Operation).where(
        Operation.code == "agreement_missing")) == 0
    assert db.session.scalar(select(func.count()).select_from(Donation)) > 50
    assert db.session.scalar(select(func.count()).select_from(CharityCapacity)) >= 4
    assert db.session.scalar(select(func.count()).select_from(Operation).where(
        Operation.kind.in_(("agreement.save", "agreement.status", "charity.capacity")),
        Operation.status == "refused")) == 0
