"""`make update-spec`: a vendor's version of our contract (no marks of ours, a new field, a new
operation; OpenAPI 3 JSON and Swagger 2.0) goes through conversion, normalisation, our overlay,
generation and the contract tests, and our knowledge survives it; a mark that no longer applies
stops it; a failed run changes nothing; the report names what changed. Each test works on a
temporary copy of the repository's layout."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from _toolkit import status_operation

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import update_spec  # noqa: E402

CONTRACT: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "legit-health.yaml").read_text())
BIN = Path(sys.executable).parent
TOOLS = BIN.parent / "update-spec-tools"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The parts of the repository update-spec reads and writes, copied."""
    root = tmp_path / "repo"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("scripts", "openapi", "generated", "src"):
        shutil.copytree(ROOT / folder, root / folder, symlinks=True, ignore=skip)
    (root / "tests").mkdir()
    for name in ("test_contract.py", "_toolkit.py"):
        shutil.copyfile(ROOT / "tests" / name, root / "tests" / name)
    monkeypatch.setenv("BIN", str(BIN))
    return root


def _snapshot(root: Path) -> dict[str, str]:
    files = [p for f in ("openapi", "generated", "src") for p in (root / f).rglob("*")]
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in files
        if p.is_file() and "__pycache__" not in p.parts
    }


# -- a Swagger 2.0 version of our contract -----------------------------------------------------

_REFS = {
    "#/components/schemas/": "#/definitions/",
    "#/components/parameters/": "#/parameters/",
    "#/components/responses/": "#/responses/",
}


def _swagger2_node(node: Any) -> Any:
    """Refs to 2.0's places, ``nullable`` as ``x-nullable`` (what swagger2openapi reads)."""
    if isinstance(node, list):
        return [_swagger2_node(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref":
            for old, new in _REFS.items():
                value = value.replace(old, new)
        out["x-nullable" if key == "nullable" else key] = _swagger2_node(value)
    return out


def _parameter(param: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in param:
        return param
    schema = param["schema"]
    if "$ref" in schema:
        schema = CONTRACT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    out = {k: v for k, v in param.items() if k not in ("schema", "style", "explode", "example")}
    out.update({k: v for k, v in schema.items() if k not in ("description", "x-assumption")})
    if schema.get("type") == "array":
        out["collectionFormat"] = "multi"
        out["items"] = _parameter({"schema": schema["items"]})
    if "example" in param:
        out["x-example"] = param["example"]
    return out


def _response(answer: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in answer:
        return answer
    out: dict[str, Any] = {k: v for k, v in answer.items() if k == "description" or k[:2] == "x-"}
    content = answer.get("content", {}).get("application/json")
    if content:
        out["schema"] = content["schema"]
        if "example" in content:
            out["examples"] = {"application/json": content["example"]}
    if "headers" in answer:
        out["headers"] = {name: {"type": "string"} for name in answer["headers"]}
    return out


def _operation(op: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in op.items() if k not in ("requestBody", "parameters", "responses")}
    out["parameters"] = [_parameter(p) for p in op.get("parameters", [])]
    if "requestBody" in op:
        content = op["requestBody"]["content"]["application/json"]
        out["parameters"].append(
            {"in": "body", "name": "body", "required": True, "schema": content["schema"]}
        )
    out["responses"] = {code: _response(a) for code, a in op["responses"].items()}
    return out


def to_swagger2(document: dict[str, Any]) -> dict[str, Any]:
    """Our OpenAPI 3.0 contract written as Swagger 2.0 (the subset of features it uses)."""
    server = urlsplit(document["servers"][0]["url"])
    components = document["components"]
    return _swagger2_node(
        {
            "swagger": "2.0",
            "info": document["info"],
            "host": server.netloc,
            "basePath": server.path,
            "schemes": [server.scheme],
            "consumes": ["application/json"],
            "produces": ["application/json"],
            "tags": document["tags"],
            "securityDefinitions": components["securitySchemes"],
            "paths": {
                path: {method: _operation(op) for method, op in item.items()}
                for path, item in document["paths"].items()
            },
            "parameters": {k: _parameter(p) for k, p in components["parameters"].items()},
            "responses": {k: _response(r) for k, r in components["responses"].items()},
            "definitions": components["schemas"],
        }
    )


# -- failures change nothing -------------------------------------------------------------------


def _with_new_field_and_operation() -> dict[str, Any]:
    document = copy.deepcopy(CONTRACT)
    document["components"]["schemas"]["Patient"]["properties"]["createdAt"] = {
        "type": "string",
        "format": "date-time",
    }
    document["paths"]["/status"] = status_operation()
    return document


def test_a_failed_generation_leaves_the_tree_untouched(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken-bin"
    broken.mkdir()
    generator = broken / "openapi-python-client"
    generator.write_text("#!/bin/sh\necho 'generator exploded' >&2\nexit 1\n")
    generator.chmod(0o755)
    (broken / "python").symlink_to(sys.executable)  # generate.sh applies the overlay with it
    monkeypatch.setenv("BIN", str(broken))
    source = tmp_path / "new.yaml"
    source.write_text(yaml.safe_dump(_with_new_field_and_operation()), encoding="utf-8")
    before = _snapshot(repo)

    assert update_spec.main([str(source), "--root", str(repo)]) == 1

    assert _snapshot(repo) == before
    err = capsys.readouterr().err
    assert "generation failed" in err and "generator exploded" in err
    assert "nothing was changed" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("just: a mapping\n", "not Swagger 2.0 nor OpenAPI 3.x"),
        ("openapi: 3.0.3\ninfo: {}\npaths: {}\n", "not valid OpenAPI"),
        ("{not yaml: [", "neither JSON nor YAML"),
    ],
)
def test_a_document_that_is_not_a_spec_changes_nothing(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    source = tmp_path / "new.yaml"
    source.write_text(text, encoding="utf-8")
    before = _snapshot(repo)
    assert update_spec.main([str(source), "--root", str(repo)]) == 1
    assert _snapshot(repo) == before
    assert message in capsys.readouterr().err


# -- the report --------------------------------------------------------------------------------


def test_the_report_lists_a_new_field_and_a_new_operation_without_code(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "new.json"  # JSON this time
    source.write_text(json.dumps(_with_new_field_and_operation()), encoding="utf-8")

    assert update_spec.main([str(source), "--root", str(repo), "--no-contract-tests"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert "operation added: getServiceStatus (GET /status)" in lines
    assert 'field added: Patient.createdAt {"format": "date-time", "type": "string"}' in lines
    assert "no facade method yet: getServiceStatus" in lines
    assert "no sandbox rule yet (it answers 501): getServiceStatus" in lines
    # The eleven documented operations have both.
    assert len([line for line in lines if line.startswith("no ")]) == 2
    generated = next((repo / "generated").iterdir())
    assert (generated / "api" / "patients" / "get_service_status.py").is_file()
    assert "created_at" in (generated / "models" / "patient.py").read_text(encoding="utf-8")


def test_normalising_is_stable() -> None:
    once = update_spec.normalise(CONTRACT)
    assert update_spec.dump(update_spec.normalise(once)) == update_spec.dump(once)
    assert list(once) == ["openapi", "info", "servers", "tags", "paths", "components"]
    assert list(once["paths"]) == sorted(CONTRACT["paths"])
    patient = once["components"]["schemas"]["Patient"]["properties"]
    assert list(patient) == list(CONTRACT["components"]["schemas"]["Patient"]["properties"])


# -- the day the vendor's Swagger arrives (issue 20's "done when") -----------------------------


def _without_marks(node: Any) -> Any:
    """A vendor's document carries none of our ``x-`` marks."""
    if isinstance(node, list):
        return [_without_marks(item) for item in node]
    if isinstance(node, dict):
        return {k: _without_marks(v) for k, v in node.items() if not str(k).startswith("x-")}
    return node


def _vendor_document() -> dict[str, Any]:
    """Our contract as the vendor would ship it: no marks of ours, one new optional field on
    the patient answer, one new read-only operation."""
    document = _without_marks(copy.deepcopy(CONTRACT))
    patient = document["components"]["schemas"]["Patient"]["properties"]
    patient["preferredName"] = {"type": "string", "nullable": True}
    status = status_operation()
    status["get"]["responses"].update(
        {
            code: {"$ref": f"#/components/responses/{name}"}
            for code, name in (
                ("429", "TooManyRequests"),
                ("500", "InternalError"),
                ("503", "ServiceUnavailable"),
            )
        }
    )
    document["paths"]["/status"] = status  # a new operation, with its error answers
    return document


#: Run with the updated repository's package (PYTHONPATH): its regenerated models, its sandbox
#: with the merged contract, the client's call_generated.
_AFTER_THE_UPDATE = r"""
import asyncio, sys
import httpx
import legithealth_async
from legithealth_async import LegitHealth, Patient, UnexpectedResponseError
from legithealth_async.sandbox import Sandbox

assert legithealth_async.__file__.startswith(sys.argv[1]), legithealth_async.__file__
values = {"externalId": "ext-S1", "firstName": "Ada-S2", "lastName": "Lovelace-S3",
          "email": "s4@example.org", "phone": "+34600111222", "birthDate": "1985-12-10",
          "gender": "female", "language": "es", "preferredName": "Addie-S5"}
patient = Patient.from_dict({"id": "lh-1", "conditions": [], **values})
assert patient.preferred_name == "Addie-S5"  # a typed field of the public model
shown = repr(patient)
assert "id='lh-1'" in shown, shown
for value in values.values():
    assert value not in shown, (value, shown)

async def main():
    sandbox = Sandbox(seed=1)
    condition = {"pathologyCode": "EA90", "bodySiteCode": "earLeft"}
    async with sandbox.client() as http:
        refused = await http.post("/patients", json={**values, "conditions": [condition]})
        assert refused.status_code == 422, refused.text
        assert (await http.get("/status")).status_code == 501
    assert sandbox.unimplemented_operations == ["getServiceStatus"]
    async with LegitHealth(api_token=sandbox.token, base_url=sandbox.base_url,
                           transport=sandbox.transport()) as lh:
        try:
            await lh.call_generated("getServiceStatus")
        except UnexpectedResponseError as exc:  # 501: a status the operation does not list
            assert exc.status_code == 501, exc
        else:
            raise AssertionError("the sandbox answered getServiceStatus")
    up = httpx.MockTransport(lambda request: httpx.Response(200, json={"path": request.url.path}))
    async with LegitHealth(api_token="t", base_url="https://api.example.test/integration/v1",
                           transport=up) as lh:
        assert await lh.call_generated("getServiceStatus") == {"path": "/integration/v1/status"}

asyncio.run(main())
print("after the update: all checks passed")
"""


@pytest.mark.parametrize("form", ["openapi3.json", "swagger2.json"])
def test_the_vendors_document_goes_through_and_our_knowledge_survives(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    vendor = _vendor_document()
    source = tmp_path / form
    source.write_text(
        json.dumps(to_swagger2(vendor) if form.startswith("swagger2") else vendor),
        encoding="utf-8",
    )

    # The contract tests run first: the PHI-in-repr and sandbox known-value checks among them.
    assert update_spec.main([str(source), "--root", str(repo), "--tools", str(TOOLS)]) == 0

    out = capsys.readouterr().out
    assert "contract tests: " in out and " passed" in out and "failed" not in out
    lines = out.splitlines()
    assert "not yet classified (hidden from repr): Patient.preferredName" in lines
    assert "no sandbox rule yet (it answers 501): getServiceStatus" in lines
    assert not [line for line in lines if line.startswith("mark no longer applies")]
    new = yaml.safe_load((repo / "openapi" / "legit-health.yaml").read_text(encoding="utf-8"))
    assert new["openapi"].startswith("3.0")  # Swagger 2.0 converted
    assert new["servers"][0]["url"] == CONTRACT["servers"][0]["url"]
    assert set(update_spec.operations(new)) == {
        *update_spec.operations(CONTRACT),
        "getServiceStatus",
    }
    assert "x-pii" not in json.dumps(new)  # the base is the vendor's, as it came
    sandbox_copy = repo / "src" / "legithealth_async" / "sandbox" / "openapi.yaml"
    assert yaml.safe_load(sandbox_copy.read_text()) == update_spec.apply(
        new, yaml.safe_load((repo / "openapi" / "legit-health.overlay.yaml").read_text())
    )
    after = subprocess.run(
        [sys.executable, "-c", _AFTER_THE_UPDATE, str(repo)],
        env={**os.environ, "PYTHONPATH": str(repo / "src")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert after.returncode == 0, after.stderr[-3000:]
    assert "all checks passed" in after.stdout


def test_a_renamed_phi_field_stops_the_update_naming_the_mark(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vendor = _vendor_document()
    patient = vendor["components"]["schemas"]["Patient"]["properties"]
    patient["emailAddress"] = patient.pop("email")
    vendor["components"]["schemas"]["BodySiteCode"]["description"] = "Body sites."  # theirs
    source = tmp_path / "renamed.json"
    source.write_text(json.dumps(vendor), encoding="utf-8")
    before = _snapshot(repo)

    assert update_spec.main([str(source), "--root", str(repo), "--no-contract-tests"]) == 1

    assert _snapshot(repo) == before
    err = capsys.readouterr().err
    assert "$.components.schemas.Patient.properties.email (x-pii: True)" in err
    assert "--allow-stale-marks" in err and "nothing was changed" in err

    assert (
        update_spec.main(
            [str(source), "--root", str(repo), "--no-contract-tests", "--allow-stale-marks"]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert (
        "mark no longer applies (ignored until the overlay is fixed): "
        "$.components.schemas.Patient.properties.email (x-pii: True)"
    ) in lines
    assert "not yet classified (hidden from repr): Patient.emailAddress" in lines
    assert [line for line in lines if line.startswith("assumption to check")] == [
        "assumption to check against the new text: $.components.schemas.BodySiteCode"
    ]
