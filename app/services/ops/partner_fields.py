"""The declared fields of the partners' operation kinds (app/services/ops/schemas.py checks them).

The handlers in partners.py stay strict on their own (an unknown field is
`invalid`); these say what each known field must look like.
"""
from app.services.ops.schemas import Day, Id, Items, Names, Number, OpFields, Text


class AgreementFields(OpFields):
    agreement_id: Id = None
    organisation_id: Id = None
    agreement_kind: Text = None
    starts_on: Day = None
    ends_on: Day = None
    signatory_name: Text = None
    signatory_role: Text = None
    network_signatory: Text = None
    notes: Text = None


class AgreementStatus(OpFields):
    agreement_id: Id = None
    status: Text = None
    signed_on: Day = None


class AgreementUpload(OpFields):
    agreement_id: Id = None
    file: Text = None
    name: Text = None
    size: Number = None


class AgreementTemplate(OpFields):
    agreement_kind: Text = None
    body: Text = None


class CapacityFields(OpFields):
    organisation_id: Id = None
    kg_day: Number = None
    kg_week: Number = None
    cold_litres: Number = None
    cold_crates: Number = None
    closures: Items = None


class NeedsFields(OpFields):
    organisation_id: Id = None
    needs_more: Names = None
    needs_less: Names = None
    needs_note: Text = None
    full_until: Day = None
