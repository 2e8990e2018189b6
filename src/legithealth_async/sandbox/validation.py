"""Request validation compiled from the contract's JSON Schemas (jsonschema, Draft 4).

OpenAPI 3.0 schemas are a dialect of JSON Schema Draft 4: references are inlined and
``nullable: true`` becomes ``anyOf: [{type: null}, ...]`` once, when a validator is compiled;
each operation's validators are then reused for every request.

Error messages name the field and the rule it broke, never the value that was sent: the
values are patient data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

from .errors import unprocessable
from .spec import Contract, Operation, Parameter

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
)

FORMAT_CHECKER = FormatChecker(formats=())


def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(_EMAIL.match(value))


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def parse_date_time(value: str) -> dt.datetime | None:
    """Parse an RFC 3339 date-time to an aware UTC datetime; ``None`` when it is not one."""
    if not _DATE_TIME.match(value):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.upper())
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC)


def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or parse_date_time(value) is not None


for _name, _check_format in (
    ("email", _is_email),
    ("date", _is_date),
    ("date-time", _is_date_time),
):
    FORMAT_CHECKER.checks(_name)(_check_format)


def to_json_schema(document: dict[str, Any], node: Any) -> Any:
    """Inline every ``$ref`` of ``node`` and turn OpenAPI ``nullable`` into JSON Schema."""
    if isinstance(node, list):
        return [to_json_schema(document, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = document
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        return to_json_schema(document, target)
    converted = {
        key: to_json_schema(document, value)
        for key, value in node.items()
        if key not in ("nullable", "example", "examples", "readOnly", "writeOnly")
        and not key.startswith("x-")
    }
    if node.get("nullable") is True:
        return {"anyOf": [{"type": "null"}, converted]}
    return converted


def _describe(error: ValidationError) -> tuple[str, str]:
    """(field suffix, rule broken) for one error, built from the schema, never the instance."""
    rule, expected = error.validator, error.validator_value
    if rule == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        missing = [name for name in expected if name not in instance]
        return (f".{missing[0]}" if missing else ""), "is required"
    messages: dict[str, Callable[[], str]] = {
        "type": lambda: f"must be of type {expected}",
        "enum": lambda: "must be one of: " + ", ".join(str(v) for v in expected),
        "format": lambda: f"is not a valid {expected}",
        "pattern": lambda: "does not match the required pattern",
        "minLength": lambda: f"must be at least {expected} characters long",
        "maxLength": lambda: f"must be at most {expected} characters long",
        "minimum": lambda: f"must be at least {expected}",
        "maximum": lambda: f"must be at most {expected}",
        "minItems": lambda: f"must have at least {expected} items",
        "maxItems": lambda: f"must have at most {expected} items",
        "additionalProperties": lambda: "has properties that are not allowed",
        "anyOf": lambda: "does not match any allowed shape",
    }
    describe = messages.get(str(rule))
    return "", describe() if describe else f"breaks the '{rule}' rule"


def field_path(location: str, path: Iterable[Any]) -> str:
    """``body.conditions[0].frequency`` from a location and a jsonschema error path."""
    out = location
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class RequestInvalid(Exception):
    """A request broke the contract; ``field`` and ``message`` hold no request values."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class AnswerInvalid(Exception):
    """The sandbox's own answer broke the contract (a sandbox that drifted from the spec).

    The message names the operation, the status and the field, never a value.
    """


def known_values(document: dict[str, Any], node: Any, path: str = "") -> dict[str, frozenset[str]]:
    """``{field path: known values}`` for each property marked ``x-known-values: SchemaName``.

    Paths use ``[]`` for array items (``conditions[].bodySiteCode``). Like a server with closed
    vocabularies, the sandbox answers 422 to a value outside them: the client does not gate on
    these lists (they are assumptions), the server decides.
    """
    if not isinstance(node, dict):
        return {}
    if "$ref" in node:
        target: Any = document
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        return known_values(document, target, path)
    found: dict[str, frozenset[str]] = {}
    name = node.get("x-known-values")
    if isinstance(name, str):
        found[path] = frozenset(document["components"]["schemas"][name]["enum"])
    for sub in node.get("allOf", []):
        found.update(known_values(document, sub, path))
    if "items" in node:
        found.update(known_values(document, node["items"], f"{path}[]"))
    for key, sub in node.get("properties", {}).items():
        found.update(known_values(document, sub, f"{path}.{key}" if path else key))
    return found


def _values_at(instance: Any, path: str) -> Iterable[tuple[str, Any]]:
    """(concrete path, value) of each value ``path`` reaches in ``instance``."""
    found: list[tuple[str, Any]] = [("", instance)]
    for part in re.findall(r"[^.\[\]]+|\[\]", path):
        nxt: list[tuple[str, Any]] = []
        for where, value in found:
            if part == "[]" and isinstance(value, list):
                nxt.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
            elif isinstance(value, dict) and part in value:
                nxt.append((f"{where}.{part}" if where else part, value[part]))
        found = nxt
    return found


def _check(validator: Draft4Validator, instance: Any, location: str) -> None:
    error: ValidationError | None = best_match(validator.iter_errors(instance))
    if error is not None:
        suffix, rule = _describe(error)
        raise RequestInvalid(field_path(location, error.absolute_path) + suffix, rule)


def _coerce(schema: dict[str, Any], raw: str) -> Any:
    """Query/path strings to the parameter's declared scalar type (left as is when it fails)."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


@dataclass(frozen=True)
class _ParamValidator:
    parameter: Parameter
    schema: dict[str, Any]
    validator: Draft4Validator


class OperationValidator:
    """The compiled validators of one operation: path and query parameters, then the body."""

    def __init__(self, document: dict[str, Any], operation: Operation) -> None:
        self.operation = operation
        self._params: list[_ParamValidator] = []
        for parameter in operation.parameters:
            schema = to_json_schema(document, parameter.schema)
            self._params.append(
                _ParamValidator(
                    parameter, schema, Draft4Validator(schema, format_checker=FORMAT_CHECKER)
                )
            )
        self._body: Draft4Validator | None = None
        self._known: dict[str, frozenset[str]] = {}
        if operation.body_schema is not None:
            self._known = known_values(document, operation.body_schema)
            schema = to_json_schema(document, operation.body_schema)
            Draft4Validator.check_schema(schema)
            self._body = Draft4Validator(schema, format_checker=FORMAT_CHECKER)
        self._answers = {
            status: Draft4Validator(to_json_schema(document, schema), format_checker=FORMAT_CHECKER)
            for status, schema in operation.response_schemas.items()
            if schema is not None
        }

    def parameters(
        self, path_params: dict[str, str], query: dict[str, list[str]]
    ) -> dict[str, Any]:
        """Validate and type the parameters; raise RequestInvalid naming the first bad one."""
        values: dict[str, Any] = {}
        for item in self._params:
            p = item.parameter
            location = f"{p.location}.{p.name}"
            if p.location == "path":
                raw: list[str] | None = [path_params[p.name]] if p.name in path_params else None
            elif p.location == "query":
                raw = query.get(p.name)
            else:
                continue
            if not raw:
                if p.required:
                    raise RequestInvalid(location, "is required")
                continue
            if item.schema.get("type") == "array":
                item_schema = item.schema.get("items", {})
                value: Any = [_coerce(item_schema, r) for r in raw]
            else:
                value = _coerce(item.schema, raw[-1])
            _check(item.validator, value, location)
            values[p.name] = value
        return values

    def body(self, body: Any, present: bool) -> Any:
        """Validate a parsed JSON body (``present`` False when the request had none)."""
        if self._body is None:
            return body
        if not present:
            if self.operation.body_required:
                raise RequestInvalid("body", "is required")
            return None
        _check(self._body, body, "body")
        for path, known in self._known.items():
            for where, value in _values_at(body, path):
                if value is not None and value not in known:
                    raise unprocessable(f"body.{where}: not a known value")
        return body

    def answer(self, status: int, payload: Any) -> None:
        """Check an answer the sandbox is about to send; raise AnswerInvalid when it breaks the
        contract (a status the operation does not document, or a body outside its schema)."""
        op_id = self.operation.operation_id
        if status not in self.operation.response_schemas:
            raise AnswerInvalid(f"{op_id} answered {status}, a status its contract does not list")
        validator = self._answers.get(status)
        if validator is None:
            return
        try:
            _check(validator, payload, "answer")
        except RequestInvalid as invalid:
            raise AnswerInvalid(
                f"{op_id} answered {status} outside its contract: {invalid}"
            ) from None


def compile_validators(contract: Contract) -> dict[str, OperationValidator]:
    """One OperationValidator per operationId of the contract."""
    return {
        op_id: OperationValidator(contract.document, op)
        for op_id, op in contract.operations.items()
    }
