"""The contract the sandbox serves: the OpenAPI document and its operation table.

The sandbox ships the contract with our marks (``openapi.yaml`` beside this module):
``openapi/legit-health.yaml`` with ``openapi/legit-health.overlay.yaml`` applied (``make
generate`` writes it), so that an installed wheel can run it with the known values it checks; a
test fails when the copy drifts from base + overlay. Everything the sandbox knows about the wire
(paths, methods, parameters, body schemas, the auth header) is read from this document, never
written by hand.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

SPEC_PATH = Path(__file__).with_name("openapi.yaml")

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Parameter:
    """One path or query parameter of an operation, with its (resolved) schema."""

    name: str
    location: str
    required: bool
    schema: dict[str, Any]


@dataclass(frozen=True)
class Operation:
    """One operation of the contract: where it lives and what it accepts."""

    operation_id: str
    method: str
    path: str
    segments: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    body_schema: dict[str, Any] | None
    body_required: bool
    auth_header: str | None
    success_status: int
    success_schema: dict[str, Any] | None
    response_schemas: dict[int, dict[str, Any] | None]
    """The JSON schema of each documented status (None: that answer has no JSON body)."""

    @property
    def literal_segments(self) -> int:
        """How many path segments are literal (not ``{param}``): more means more specific."""
        return sum(1 for s in self.segments if not s.startswith("{"))


@dataclass(frozen=True)
class Contract:
    """The parsed document, its base path and its operations by operationId."""

    document: dict[str, Any]
    base_path: str
    operations: dict[str, Operation]


def resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow ``$ref`` until ``node`` is not a reference (local references only)."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operation(
    document: dict[str, Any], path: str, method: str, item: dict[str, Any], op: dict[str, Any]
) -> Operation:
    params: dict[tuple[str, str], Parameter] = {}
    for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
        p = resolve(document, raw)
        params[(p["in"], p["name"])] = Parameter(
            name=p["name"],
            location=p["in"],
            required=bool(p.get("required", p["in"] == "path")),
            schema=p.get("schema", {}),
        )
    body_schema = None
    body_required = False
    if "requestBody" in op:
        body = resolve(document, op["requestBody"])
        body_schema = body.get("content", {}).get("application/json", {}).get("schema")
        body_required = bool(body.get("required", False))
    auth_header = None
    schemes = document.get("components", {}).get("securitySchemes", {})
    for requirement in op.get("security", document.get("security", [])):
        for scheme_name in requirement:
            scheme = schemes.get(scheme_name, {})
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                auth_header = str(scheme["name"])
    response_schemas: dict[int, dict[str, Any] | None] = {}
    for code, raw_answer in op.get("responses", {}).items():
        if str(code).isdigit():
            answer = resolve(document, raw_answer)
            content = answer.get("content", {}).get("application/json", {})
            response_schemas[int(code)] = content.get("schema")
    success = sorted(code for code in response_schemas if 200 <= code < 300)
    success_status = success[0] if success else 200
    success_schema = response_schemas.get(success_status)
    return Operation(
        operation_id=str(op["operationId"]),
        method=method.upper(),
        path=path,
        segments=tuple(path.strip("/").split("/")),
        parameters=tuple(params.values()),
        body_schema=body_schema,
        body_required=body_required,
        auth_header=auth_header,
        success_status=success_status,
        success_schema=success_schema,
        response_schemas=response_schemas,
    )


@functools.cache
def load_contract(path: Path = SPEC_PATH) -> Contract:
    """Parse the contract once per process (every Sandbox shares the result)."""
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    servers = document.get("servers") or [{"url": "/"}]
    base_path = urlsplit(str(servers[0]["url"])).path.rstrip("/")
    operations: dict[str, Operation] = {}
    for route, item in document["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                operation = _operation(document, route, method, item, op)
                operations[operation.operation_id] = operation
    return Contract(document=document, base_path=base_path, operations=operations)
