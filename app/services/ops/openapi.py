"""The OpenAPI description of `/api/ops` (docs/openapi.json) kept in step with the declared kinds.

`complete(doc)` adds to the document every kind a user may send that it does
not describe yet, and every declared field a described kind lacks, reading the
kind's schema (schemas.py): a new kind needs only its schema and a run of
`flask openapi`. Hand-written details already there (enums, lengths,
required fields, nested objects) are kept.
"""
import copy

from app.services.ops import schemas
from app.services.ops.core import HANDLERS

_BY_VALIDATOR = {
    schemas._id: {"type": ["integer", "string"], "description": "a row id (up to 2147483647); digits as text are accepted"},
    schemas._number: {"type": ["number", "string"], "description": "a number; text with a decimal comma (\"12,5\") is accepted"},
    schemas._text: {"type": "string", "description": "no NUL, valid Unicode"},
    schemas._flag: {"type": ["boolean", "string"]},
    schemas._time: {"type": "string", "format": "date-time",
                    "description": "ISO 8601, year 2000-2100; without an offset it is UTC"},
    schemas._day: {"type": "string", "description": "YYYY-MM-DD, year 2000-2100"},
    schemas._names: {"type": ["array", "string"], "items": {"type": "string"}},
    schemas._items: {"type": ["array", "string"], "description": "a list of values or small objects"},
    schemas._object: {"type": "object"},
}
_ENVELOPE = {
    "op_id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$",
              "description": "made on the device (a UUID); a replay returns the first result"},
    "occurred_at": {"type": "string", "format": "date-time",
                    "description": "when it happened on the device; unreadable is refused invalid"},
}


def _name(kind):
    return kind.replace(".", "_")


def field_schema(info):
    """The JSON Schema of one declared field, from the validator of its type."""
    for meta in info.metadata:
        described = _BY_VALIDATOR.get(getattr(meta, "func", None))
        if described is not None:
            return copy.deepcopy(described)
    return {}


def kind_schema(kind, spec):
    """A fresh description of one kind: the envelope plus its declared fields."""
    properties = {**copy.deepcopy(_ENVELOPE), "kind": {"const": kind}}
    for name, info in (spec.schema.model_fields.items() if spec.schema is not None else ()):
        properties[name] = field_schema(info)
    return {"type": "object", "properties": properties, "required": ["op_id", "kind"],
            "additionalProperties": True}


def complete(doc):
    """A copy of `doc` describing every kind a user may send and each one's declared fields."""
    doc = copy.deepcopy(doc)
    described = doc["components"]["schemas"]
    refs = doc["components"]["schemas"]["Operation"]["oneOf"]
    for kind, spec in sorted(HANDLERS.items()):
        if spec.system:
            continue
        name = _name(kind)
        if name not in described:
            described[name] = kind_schema(kind, spec)
            refs.append({"$ref": f"#/components/schemas/{name}"})
            continue
        for field, info in (spec.schema.model_fields.items() if spec.schema is not None else ()):
            described[name]["properties"].setdefault(field, field_schema(info))
    return doc
