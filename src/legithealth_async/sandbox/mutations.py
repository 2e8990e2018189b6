"""Answer mutations injected by faults: unknown values in open enums, optional fields left out.

Both keep the answer within the contract (answers carry open strings for codes and statuses,
and optional fields may be absent), so they test a client's tolerance, not its error handling.
"""

from __future__ import annotations

from typing import Any

# Fields the contract declares as open strings in answers, with a value no client knows yet.
UNKNOWN_VALUES = {
    "status": "onHold",
    "gender": "nonBinary",
    "pathologyCode": "EK90.0",
    "bodySiteCode": "earLeft",
}


def with_unknown_enums(payload: Any) -> Any:
    """A copy of ``payload`` where every open-enum field carries a value outside its known set."""
    if isinstance(payload, list):
        return [with_unknown_enums(item) for item in payload]
    if isinstance(payload, dict):
        return {
            key: (
                UNKNOWN_VALUES[key]
                if key in UNKNOWN_VALUES and isinstance(value, str)
                else with_unknown_enums(value)
            )
            for key, value in payload.items()
        }
    return payload


def _object_schema(schema: Any) -> dict[str, Any] | None:
    """The object branch of a (converted) schema: through ``anyOf`` (nullable) and ``allOf``."""
    if not isinstance(schema, dict):
        return None
    if "properties" in schema:
        return schema
    for key in ("anyOf", "allOf"):
        for branch in schema.get(key, ()):
            found = _object_schema(branch)
            if found is not None:
                return found
    return None


def without_optional_fields(payload: Any, schema: Any) -> Any:
    """A copy of ``payload`` keeping only the fields ``schema`` requires (recursively)."""
    if isinstance(payload, list):
        items = schema.get("items", {}) if isinstance(schema, dict) else {}
        return [without_optional_fields(item, items) for item in payload]
    if isinstance(payload, dict):
        object_schema = _object_schema(schema)
        if object_schema is None:
            return payload
        required = set(object_schema.get("required", ()))
        properties = object_schema.get("properties", {})
        return {
            key: without_optional_fields(value, properties.get(key, {}))
            for key, value in payload.items()
            if key in required
        }
    return payload
