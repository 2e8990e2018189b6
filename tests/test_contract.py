"""Contract tests: the spec is valid, and the generated client speaks it.

Every operation is driven by the examples in the spec itself, so the spec and these tests cannot
drift apart: for each operation the generated call must send the documented method, path, query
and body, and parse the example response into the documented model.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import yaml
from openapi_spec_validator import validate

import legithealth_async._generated.models as gen_models
from legithealth_async._generated.client import AuthenticatedClient

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "openapi" / "legit-health.yaml"
SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
BASE_URL = "https://api.example.test/integration/v1"

DOCUMENTED_OPERATIONS = {
    "createPatient",
    "getPatientsAuthTokens",
    "createEpisodeOfCare",
    "createEncounter",
    "getPatients",
    "getEpisodesOfCare",
    "patchPatient",
    "patchEpisodeOfCare",
    "createPractitioner",
    "getPractitionerSpecialties",
    "getPractitionerAuthTokens",
}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    ops = []
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            ops.append((path, method, op))
    return ops


OPERATIONS = _operations()


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        _, *parts = node["$ref"].split("/")
        target: Any = SPEC
        for part in parts:
            target = target[part]
        node = target
    return node


def _schema_name(schema: dict[str, Any]) -> str:
    return str(schema["$ref"].rsplit("/", 1)[1])


def _normalise(value: Any) -> Any:
    """Compare date-times by meaning: the generator writes `+00:00` where the example says `Z`."""
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", value):
        return value[:-1] + "+00:00"
    return value


def test_spec_is_valid_openapi() -> None:
    validate(SPEC)


def test_spec_has_exactly_the_documented_operations() -> None:
    ids = [op["operationId"] for _, _, op in OPERATIONS]
    assert sorted(ids) == sorted(DOCUMENTED_OPERATIONS)
    assert SPEC_PATH.read_text().count("operationId") == 11


@pytest.mark.parametrize(("path", "method", "op"), OPERATIONS, ids=lambda v: str(v)[:40])
def test_every_operation_is_tagged_secured_and_has_error_responses(
    path: str, method: str, op: dict[str, Any]
) -> None:
    assert len(op["tags"]) == 1
    assert op["security"] == [{"apiToken": []}]
    codes = set(op["responses"])
    assert {"401", "429", "500", "503"} <= codes
    assert "Retry-After" in _deref(op["responses"]["429"])["headers"]
    if "requestBody" in op:
        assert "400" in codes
        assert "example" in op["requestBody"]["content"]["application/json"]
    success = [c for c in codes if c.startswith("2")]
    assert len(success) == 1
    assert "example" in op["responses"][success[0]]["content"]["application/json"]


def _nodes(node: Any, where: str = "#") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        found.append((where, node))
        for key, value in node.items():
            found.extend(_nodes(value, f"{where}/{key}"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(_nodes(value, f"{where}/{i}"))
    return found


def test_every_assumption_is_marked_and_says_what_it_assumes() -> None:
    marked = {where for where, node in _nodes(SPEC) if node.get("x-assumption") is True}
    stated = {
        where
        for where, node in _nodes(SPEC)
        if isinstance(node.get("description"), str) and "Assumption:" in node["description"]
    }
    # Each mark comes with its sentence, and each sentence with its mark.
    assert marked == stated
    # Paths and methods are ours for every operation, so every operation is marked.
    assert all(op.get("x-assumption") is True for _, _, op in OPERATIONS)
    assert "#/servers/0" in marked


@pytest.mark.parametrize(
    ("path", "method", "op"), OPERATIONS, ids=[op["operationId"] for _, _, op in OPERATIONS]
)
async def test_generated_call_matches_the_contract(
    path: str, method: str, op: dict[str, Any]
) -> None:
    module = importlib.import_module(
        f"legithealth_async._generated.api.{op['tags'][0]}.{_snake(op['operationId'])}"
    )
    success_code = next(c for c in op["responses"] if c.startswith("2"))
    success = op["responses"][success_code]["content"]["application/json"]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(int(success_code), json=success["example"])

    kwargs: dict[str, Any] = {}
    args: list[Any] = []
    expected_path = path
    expected_query: list[tuple[str, str]] = []
    for param in op.get("parameters", []):
        param = _deref(param)
        if param["in"] == "path":
            args.append(param["example"])
            expected_path = expected_path.replace("{" + param["name"] + "}", param["example"])
        else:
            values = param["example"]
            kwargs[_snake(param["name"].rstrip("[]").replace("Ids", "Ids"))] = values
            expected_query = [(param["name"], v) for v in values]
    body_example = None
    if "requestBody" in op:
        content = op["requestBody"]["content"]["application/json"]
        body_example = content["example"]
        model = getattr(gen_models, _schema_name(content["schema"]))
        kwargs["body"] = model.from_dict(body_example)

    client = AuthenticatedClient(
        base_url=BASE_URL,
        token="contract-token",
        prefix="",
        auth_header_name="X-API-TOKEN",
        httpx_args={"transport": httpx.MockTransport(handler)},
    )
    async with client:
        response = await module.asyncio_detailed(*args, client=client, **kwargs)

    (request,) = seen
    url = urlsplit(str(request.url))
    assert request.method == method.upper()
    assert url.path == urlsplit(BASE_URL).path + expected_path
    assert parse_qsl(url.query) == expected_query
    if expected_query:
        assert "externalIds%5B%5D=" in url.query  # form, explode: the key repeated per id
    assert request.headers["X-API-TOKEN"] == "contract-token"
    if body_example is None:
        assert request.content == b""
    else:
        assert request.headers["content-type"] == "application/json"
        assert _normalise(json.loads(request.content)) == _normalise(body_example)

    assert response.status_code == int(success_code)
    schema = success["schema"]
    if schema.get("type") == "array":
        model = getattr(gen_models, _schema_name(schema["items"]))
        assert isinstance(response.parsed, list)
        assert all(isinstance(item, model) for item in response.parsed)
        assert [item.to_dict() for item in response.parsed] == _normalise(success["example"])
    else:
        model = getattr(gen_models, _schema_name(schema))
        assert isinstance(response.parsed, model)
        assert _normalise(response.parsed.to_dict()) == _normalise(success["example"])


@pytest.mark.parametrize(
    ("path", "method", "op"), OPERATIONS, ids=[op["operationId"] for _, _, op in OPERATIONS]
)
def test_error_example_parses_into_the_error_model(
    path: str, method: str, op: dict[str, Any]
) -> None:
    for code, response in op["responses"].items():
        if code.startswith("2"):
            continue
        content = _deref(response)["content"]["application/json"]
        error = gen_models.Error.from_dict(content["example"])
        assert error.success is False
        assert error.message
