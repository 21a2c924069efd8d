"""Helpers shared by the partners tests (agreements, capacity and needs)."""
from datetime import timedelta

import pytest

from app.extensions import db
from app.models.partners import Agreement, CharityCapacity
from app.services import ops


@pytest.fixture
def required(app, monkeypatch):
    """Turn the agreement requirement on (TestConfig has it off)."""
    monkeypatch.setitem(app.config, "AGREEMENTS_REQUIRED", True)


@pytest.fixture
def sign(app):
    """Factory: sign(org, starts=today-300, ends=today+65, status='signed') -> Agreement (written directly)."""

    def make(org, day, starts=-300, ends=65, status="signed", **fields):
        fields.setdefault("signatory_name", "Maria Rossi")
        agreement = Agreement(organisation_id=org.id, kind={"store": "store_donation"}.get(org.kind, "charity_reception"),
                              status=status, starts_on=day + timedelta(days=starts), ends_on=day + timedelta(days=ends),
                              **fields)
        db.session.add(agreement)
        db.session.commit()
        return agreement

    return make


@pytest.fixture
def capacity(app):
    """Factory: capacity(charity, kg_day=..., full_until=..., closures=[...]) -> CharityCapacity."""

    def make(org, **fields):
        fields.setdefault("closures", [])
        fields.setdefault("needs_more", [])
        fields.setdefault("needs_less", [])
        row = CharityCapacity(organisation_id=org.id, **fields)
        db.session.add(row)
        db.session.commit()
        return row

    return make


def apply(user, kind, **fields):
    """Apply one operation for `user`; returns its result."""
    return ops.apply({"op_id": ops.new_op_id(), "kind": kind, **fields}, user)
