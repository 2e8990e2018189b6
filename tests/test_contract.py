"""Contract tests: the spec is valid, and the generated client speaks it.

Every operation is driven by the spec itself, so the spec and these tests cannot drift apart:
for each operation the generated call must send the documented method, path, query and body,
and parse each documented answer into its model. They run on *any* spec (the real Swagger once
converted, too): an operation's own example is used where the spec has one, else an example is
derived from the schema. What only our reconstruction promises (`x-assumption` marks on every
decision, tags, security and error answers on every operation) is checked only on a spec that
is the reconstruction (``info.x-assumption-note`` from the overlay, ``Assumption:`` sentences in
the base). The last section holds the checks that protect users (no patient value in a model's
repr, the sandbox's 422 for an unknown value), which ``make update-spec`` runs before it swaps.

The spec tested is the contract with our marks: base + overlay, as the sandbox ships it.

``LEGITHEALTH_CONTRACT_SPEC`` (a spec path) and ``LEGITHEALTH_CONTRACT_PACKAGE`` (the generated
package to import, importable from ``PYTHONPATH``) point the tests at another spec and its
generation; ``make update-spec`` runs them that way.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import re
import typing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import yaml
from _toolkit import DOCUMENTED_OPERATIONS
from hypothesis import find, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator
from openapi_spec_validator import validate

from legithealth_async.sandbox.spec import SPEC_PATH as PACKAGED_SPEC
from legithealth_async.sandbox.validation import FORMAT_CHECKER, to_json_schema

ROOT = Path(__file__).resolve().parent.parent
#: The contract with our marks (base + overlay), as the sandbox ships it; a test checks the copy.
SPEC_PATH = Path(os.environ.get("LEGITHEALTH_CONTRACT_SPEC", PACKAGED_SPEC))


class _Loader(yaml.SafeLoader):
    """YAML as JSON sees it: `2026-01-02` stays a string (YAML 1.2, as converters write it)."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SPEC: dict[str, Any] = yaml.load(SPEC_PATH.read_text(encoding="utf-8"), Loader=_Loader)
PACKAGE = os.environ.get("LEGITHEALTH_CONTRACT_PACKAGE", "legithealth_async._generated")
CLIENT = importlib.import_module(f"{PACKAGE}.client")
BASE_URL = "https://api.example.test/integration/v1"
#: Our reconstruction: the overlay's note, on a base whose operations still state our
#: assumptions (a vendor's Swagger, under the same overlay, does not).
RECONSTRUCTION = "x-assumption-note" in SPEC.get("info", {}) and "Assumption:" in json.dumps(
    SPEC.get("paths", {})
)
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in SPEC["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]


OPERATIONS = _operations()
OP_IDS = [op["operationId"] for _, _, op in OPERATIONS]
reconstruction_only = pytest.mark.skipif(
    not RECONSTRUCTION, reason="a convention of our reconstruction, not of every spec"
)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", re.sub(r"\W", "_", name).strip("_")).lower()


def _deref(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _normalise(value: Any) -> Any:
    """Compare date-times by meaning: the generator writes `+00:00` where the example says `Z`."""
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", value):
        return value[:-1] + "+00:00"
    return value


_FORMATS = {
    "date": "2026-01-02",
    "date-time": "2026-01-02T03:04:05+00:00",
    "email": "someone@example.org",
    "uuid": "6f1c0d9e-3b1a-4c55-9a51-0b6c2c1e8a01",
    "uri": "https://example.org/",
}


@functools.cache
def _matching(pattern: str) -> str:
    """The smallest string that matches ``pattern``, found the same way every run."""
    strings = st.from_regex(pattern, fullmatch=True)
    return str(find(strings, lambda _: True, settings=settings(database=None)))


def _string(schema: dict[str, Any]) -> str:
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    if "pattern" in schema:
        return _matching(schema["pattern"])
    return "x" * max(int(schema.get("minLength", 0)), 1)


def example_of(schema: Any) -> Any:
    """The schema's own example, else one derived from it (every property set, enums' first)."""
    schema = _deref(schema)
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        return schema["enum"][0]
    for combiner in ("oneOf", "anyOf"):
        if combiner in schema:
            return example_of(schema[combiner][0])
    if "allOf" in schema:
        parts = [example_of(part) for part in schema["allOf"]]
        if not all(isinstance(part, dict) for part in parts):
            return parts[0]
        return {key: value for part in parts for key, value in part.items()}
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind == "object":
        return {name: example_of(sub) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [example_of(schema.get("items", {}))]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    return _string(schema)


def _json_content(node: Any) -> dict[str, Any] | None:
    content: dict[str, Any] | None = _deref(node).get("content", {}).get("application/json")
    return content


def _given_example(content: dict[str, Any]) -> tuple[bool, Any]:
    """(True, the example) when the spec gives one (``example``, or the first of ``examples``)."""
    if "example" in content:
        return True, content["example"]
    for named in content.get("examples", {}).values():
        named = _deref(named)
        if "value" in named:
            return True, named["value"]
    return False, None


def _answer_example(node: Any) -> Any:
    content = _json_content(node)
    if content is None:
        return None
    given, example = _given_example(content)
    return example if given else example_of(content.get("schema", {}))


# -- the spec itself ---------------------------------------------------------------------------


def test_spec_is_valid_openapi() -> None:
    validate(SPEC)


def test_spec_has_every_documented_operation_once() -> None:
    # New operations are welcome (the sandbox answers them 501 until it has a rule); the
    # documented ones must all be there, each once.
    assert len(OP_IDS) == len(set(OP_IDS))
    assert set(OP_IDS) >= DOCUMENTED_OPERATIONS


@pytest.mark.parametrize(("path", "method", "op"), OPERATIONS, ids=OP_IDS)
def test_every_operation_has_one_success_answer(path: str, method: str, op: dict[str, Any]) -> None:
    assert len([c for c in op["responses"] if str(c).startswith("2")]) == 1


@reconstruction_only
@pytest.mark.parametrize(("path", "method", "op"), OPERATIONS, ids=OP_IDS)
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


def _marked() -> set[str]:
    return {where for where, node in _nodes(SPEC) if node.get("x-assumption") is True}


def _stated() -> set[str]:
    return {
        where
        for where, node in _nodes(SPEC)
        if isinstance(node.get("description"), str) and "Assumption:" in node["description"]
    }


@reconstruction_only
def test_every_decision_of_ours_is_marked() -> None:
    # Our sentences live in the base's descriptions and our marks in the overlay: each sentence
    # has its mark. (A mark may outlive its sentence: a vendor's description replaces ours, and
    # the assumption stays ours until someone checks it against the vendor's text.)
    marked = _marked()
    assert _stated() <= marked
    # Paths and methods are ours for every documented operation (a vendor's new one is not).
    assert all(
        op.get("x-assumption") is True
        for _, _, op in OPERATIONS
        if op.get("operationId") in DOCUMENTED_OPERATIONS
    )
    # The base URL is ours too, where the spec can say so (Swagger 2.0's host cannot).
    assert "#/servers/0" in marked or "description" not in SPEC["servers"][0]


# -- the generated client against the spec ------------------------------------------------------


def _call_kwargs(
    module: Any, path: str, op: dict[str, Any]
) -> tuple[list[Any], dict[str, Any], str, list[tuple[str, str]], Any]:
    """Positional args, keyword args, the expected path and query, and the body example."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    expected_path, expected_query = path, []
    for param in op.get("parameters", []):
        param = _deref(param)
        value = param["example"] if "example" in param else example_of(param.get("schema", {}))
        if param["in"] == "path":
            args.append(value)
            expected_path = expected_path.replace("{" + param["name"] + "}", str(value))
        elif param["in"] == "query":
            kwargs[_snake(param["name"])] = value
            for item in value if isinstance(value, list) else [value]:
                text = json.dumps(item) if isinstance(item, bool) else str(item)
                expected_query.append((param["name"], text))
    body_example = None
    if "requestBody" in op:
        content = _json_content(op["requestBody"])
        assert content is not None, "only JSON request bodies are supported"
        body_example = _answer_example(op["requestBody"])
        body_type = typing.get_type_hints(module.asyncio_detailed)["body"]
        kwargs["body"] = body_type.from_dict(body_example)
    return args, kwargs, expected_path, expected_query, body_example


async def _call(module: Any, args: list[Any], kwargs: dict[str, Any], status: int, answer: Any):  # type: ignore[no-untyped-def]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=answer)

    client = CLIENT.AuthenticatedClient(
        base_url=BASE_URL,
        token="contract-token",
        prefix="",
        auth_header_name="X-API-TOKEN",
        httpx_args={"transport": httpx.MockTransport(handler)},
    )
    async with client:
        response = await module.asyncio_detailed(*args, client=client, **kwargs)
    (request,) = seen
    return request, response


def _module(op: dict[str, Any]) -> Any:
    tag = _snake(op["tags"][0]) if op.get("tags") else "default"
    return importlib.import_module(f"{PACKAGE}.api.{tag}.{_snake(op['operationId'])}")


def _as_answered(dumped: Any, answer: Any) -> Any:
    """``dumped`` without the nulls it writes for nullable fields the answer left out (a field
    the spec gained after its example was written)."""
    if isinstance(dumped, list) and isinstance(answer, list) and len(dumped) == len(answer):
        return [_as_answered(d, a) for d, a in zip(dumped, answer, strict=True)]
    if isinstance(dumped, dict) and isinstance(answer, dict):
        return {
            k: _as_answered(v, answer.get(k))
            for k, v in dumped.items()
            if k in answer or v is not None
        }
    return dumped


def _to_dict(parsed: Any) -> Any:
    if isinstance(parsed, list):
        return [item.to_dict() for item in parsed]
    return parsed.to_dict()


@pytest.mark.parametrize(("path", "method", "op"), OPERATIONS, ids=OP_IDS)
async def test_generated_call_matches_the_contract(
    path: str, method: str, op: dict[str, Any]
) -> None:
    module = _module(op)
    args, kwargs, expected_path, expected_query, body_example = _call_kwargs(module, path, op)
    success_code = next(c for c in op["responses"] if str(c).startswith("2"))
    answer = _answer_example(op["responses"][success_code])

    request, response = await _call(module, args, kwargs, int(success_code), answer)

    url = urlsplit(str(request.url))
    assert request.method == method.upper()
    assert url.path == urlsplit(BASE_URL).path + expected_path
    assert parse_qsl(url.query) == expected_query
    if "externalIds[]" in {name for name, _ in expected_query}:
        assert "externalIds%5B%5D=" in url.query  # form, explode: the key repeated per id
    assert request.headers["X-API-TOKEN"] == "contract-token"
    if body_example is None:
        assert request.content == b""
    else:
        assert request.headers["content-type"] == "application/json"
        assert _normalise(json.loads(request.content)) == _normalise(body_example)

    assert response.status_code == int(success_code)
    if answer is not None:
        assert _normalise(_as_answered(_to_dict(response.parsed), answer)) == _normalise(answer)


ERROR_ANSWERS = [
    (op, int(code))
    for _, _, op in OPERATIONS
    for code in op["responses"]
    if str(code).isdigit() and not str(code).startswith("2")
]


@pytest.mark.parametrize(
    ("op", "status"), ERROR_ANSWERS, ids=[f"{op['operationId']}-{s}" for op, s in ERROR_ANSWERS]
)
async def test_every_error_answer_parses_into_its_model(op: dict[str, Any], status: int) -> None:
    module = _module(op)
    path = next(p for p, _, o in OPERATIONS if o is op)
    args, kwargs, *_ = _call_kwargs(module, path, op)
    answer = _answer_example(op["responses"][str(status)])

    _, response = await _call(module, args, kwargs, status, answer)

    assert response.status_code == status
    if answer is not None:
        assert _normalise(_to_dict(response.parsed)) == _normalise(answer)
    content = _json_content(op["responses"][str(status)])
    if RECONSTRUCTION and content and _given_example(content)[0]:
        # The documented error body of Legit.Health's other APIs, in the spec's own examples.
        assert response.parsed.success is False
        assert response.parsed.message


@pytest.mark.parametrize("name", sorted(SPEC.get("components", {}).get("schemas", {})))
def test_a_derived_example_keeps_its_schema(name: str) -> None:
    """What the tests send and answer where the spec has no example is valid by the spec."""
    schema = to_json_schema(SPEC, SPEC["components"]["schemas"][name])
    errors = list(
        Draft4Validator(schema, format_checker=FORMAT_CHECKER).iter_errors(
            example_of(SPEC["components"]["schemas"][name])
        )
    )
    assert errors == []


# -- what protects users: run by `make update-spec` on the new spec before it swaps anything in --

MODELS = importlib.import_module(f"{PACKAGE}.models")
#: The schemas with properties that the generated package has a model for.
MODEL_SCHEMAS = sorted(
    name
    for name, schema in SPEC.get("components", {}).get("schemas", {}).items()
    if _deref(schema).get("properties") and hasattr(MODELS, name)
)


@pytest.mark.parametrize("name", MODEL_SCHEMAS)
def test_a_models_repr_shows_only_what_is_known_not_to_be_patient_data(name: str) -> None:
    """A property is in ``repr`` only when the overlay marks it ``x-shown`` (an id the API
    assigns, a code, a status, a flag): a PHI field, and any field nobody classified yet (a
    vendor's new one), never is; nor are unknown fields (``model_extra``)."""
    properties = _deref(SPEC["components"]["schemas"][name])["properties"]
    data = example_of(SPEC["components"]["schemas"][name])
    sentinels: dict[str, str] = {}
    for key, prop in properties.items():
        if isinstance(data.get(key), str) and "format" not in _deref(prop):
            data[key] = sentinels[key] = f"SENTINEL{len(sentinels)}x"
    data["someVendorField"] = "SENTINEL-EXTRA"
    shown = repr(getattr(MODELS, name).from_dict(data))
    for key, prop in properties.items():
        visible = bool(_deref(prop).get("x-shown") or prop.get("x-shown"))
        assert (f"{_snake(key)}=" in shown) is visible, f"{name}.{key}"
        if key in sentinels:
            assert (sentinels[key] in shown) is visible, f"{name}.{key}"
    assert "SENTINEL-EXTRA" not in shown


def _body_ops() -> list[tuple[str, str, dict[str, Any], str]]:
    from legithealth_async.sandbox.validation import known_values

    found = []
    for path, method, op in OPERATIONS:
        body = _json_content(op.get("requestBody", {}))
        if body:
            for field in known_values(SPEC, body["schema"]):
                found.append((path, method, op, field))
    return found


def _set(body: Any, path: str, value: str) -> None:
    parts = path.replace("[]", ".[]").split(".")
    node = body
    for part in parts[:-1]:
        node = node[0] if part == "[]" else node[part]
    node[parts[-1]] = value


@pytest.mark.parametrize(
    ("path", "method", "op", "field"),
    _body_ops(),
    ids=[f"{op['operationId']}:{field}" for _, _, op, field in _body_ops()],
)
async def test_the_sandbox_refuses_a_value_outside_the_known_ones(
    path: str, method: str, op: dict[str, Any], field: str
) -> None:
    """Each ``x-known-values`` field of a request body: the sandbox answers 422 naming it."""
    from legithealth_async.sandbox import Sandbox
    from legithealth_async.sandbox.validation import known_values

    schema = _json_content(op["requestBody"])["schema"]  # type: ignore[index]
    body = example_of(schema)
    for known, values in known_values(SPEC, schema).items():  # every other one known
        _set(body, known, "notAKnownValue" if known == field else sorted(values)[0])
    url = path
    for param in op.get("parameters", []):
        param = _deref(param)
        if param["in"] == "path":
            url = url.replace("{" + param["name"] + "}", str(example_of(param["schema"])))
    sandbox = Sandbox(spec=SPEC_PATH, seed=1)
    async with sandbox.client() as http:
        response = await http.request(method.upper(), url, json=body)
    assert response.status_code == 422, response.text
    assert field.split("[]")[-1].strip(".") in response.json()["message"]
