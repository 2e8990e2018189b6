"""`make update-spec SPEC=path-or-url`: bring in a new Swagger / OpenAPI document in one command.

1. Read the document (a path, a ``file://`` URL or an ``https://`` URL; JSON or YAML).
2. Swagger 2.0 is converted to OpenAPI 3.0 with ``swagger2openapi`` (npm, pinned in
   ``scripts/update_spec_tools/package-lock.json``, installed on first use into the venv, dev-only).
3. Normalise it: paths and components sorted by name, every other key in a canonical order,
   one YAML style, so a diff between two versions shows only what changed.
4. Put our marks on it (``openapi/legit-health.overlay.yaml``, scripts/overlay.py). A mark whose
   target the new document no longer has (a renamed field, a removed schema) stops the update,
   naming the mark, unless ``--allow-stale-marks``: the overlay must be fixed first.
5. Validate base + overlay (openapi-spec-validator), regenerate the client into a temporary
   folder, and run the contract tests there, with the checks that protect users: no unclassified
   or PHI field in a model's repr, the sandbox still refusing values outside the known ones.
6. Only when all of that succeeded: swap in the spec, the sandbox's merged copy and the
   generated package. A failure at any step leaves ``openapi/`` and ``generated/`` untouched.
7. Print what changed: operations, schemas and fields added, removed or changed, the fields no
   mark classifies yet (hidden from repr), and the operations that have no facade method or no
   sandbox rule yet (the sandbox answers them 501; ``call_generated`` calls them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

import yaml
from overlay import BASE as SPEC
from overlay import OVERLAY, apply, dump, stale, unclassified, unstated_assumptions
from overlay import load as load_overlay

ROOT = Path(__file__).resolve().parent.parent
TOOLS = Path(__file__).resolve().parent / "update_spec_tools"
SANDBOX_COPY = Path("src/legithealth_async/sandbox/openapi.yaml")
GENERATED = Path("generated")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class UpdateError(Exception):
    """A step failed; the tree was left as it was."""


# -- 1-2: read and convert ---------------------------------------------------------------------


def read_document(source: str) -> dict[str, Any]:
    """Parse a path, file:// or https:// URL (JSON is YAML, so one parser reads both)."""
    parsed = urllib.parse.urlsplit(source)
    if parsed.scheme in ("http", "https"):
        import httpx

        response = httpx.get(source, follow_redirects=True, timeout=60)
        response.raise_for_status()
        text = response.text
    else:
        path = Path(urllib.parse.unquote(parsed.path)) if parsed.scheme == "file" else Path(source)
        if not path.is_file():
            raise UpdateError(f"no such file: {path}")
        text = path.read_text(encoding="utf-8")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UpdateError(f"{source}: neither JSON nor YAML ({exc})") from None
    if not isinstance(document, dict):
        raise UpdateError(f"{source}: not an OpenAPI document (no mapping at the top)")
    return document


def _converter(tools_dir: Path) -> Path:
    """The pinned swagger2openapi, installed with `npm ci` into ``tools_dir`` on first use."""
    binary = tools_dir / "node_modules" / ".bin" / "swagger2openapi"
    lock = TOOLS / "package-lock.json"
    stamp = tools_dir / "package-lock.json"
    if binary.exists() and stamp.exists() and stamp.read_bytes() == lock.read_bytes():
        return binary
    if shutil.which("npm") is None:
        raise UpdateError("converting Swagger 2.0 needs node and npm (https://nodejs.org)")
    tools_dir.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(TOOLS / name, tools_dir / name)
    command = ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
    done = subprocess.run(  # noqa: S603 - our own tools, argument lists
        command, cwd=tools_dir, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise UpdateError(f"npm ci (swagger2openapi) failed:\n{done.stderr.strip()}")
    return binary


def to_openapi3(document: dict[str, Any], tools_dir: Path, work: Path) -> dict[str, Any]:
    """The document as OpenAPI 3.x: converted when it is Swagger 2.0, else as it is."""
    if str(document.get("openapi", "")).startswith("3."):
        return document
    if str(document.get("swagger", "")) != "2.0":
        raise UpdateError("not Swagger 2.0 nor OpenAPI 3.x (no 'swagger: 2.0' / 'openapi: 3.x')")
    source, target = work / "swagger2.json", work / "converted.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    done = subprocess.run(  # noqa: S603 - our own tools, argument lists
        [str(_converter(tools_dir)), "--patch", "--outfile", str(target), str(source)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise UpdateError(f"swagger2openapi failed:\n{(done.stderr or done.stdout).strip()}")
    converted: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
    return converted


# -- 3: normalise ------------------------------------------------------------------------------

_ORDER = (
    # document
    "openapi", "info", "servers", "tags", "security", "paths", "components",
    # operation, parameter, schema, response
    "operationId", "tags", "summary", "description", "name", "in", "required", "deprecated",
    "style", "explode", "type", "format", "nullable", "enum", "default", "pattern",
    "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "items",
    "properties", "additionalProperties", "allOf", "oneOf", "anyOf", "$ref",
    "parameters", "requestBody", "content", "schema", "headers", "responses", "example",
    "examples", "security",
)  # fmt: skip
_RANK = {key: i for i, key in reversed(list(enumerate(_ORDER)))}


def _keys(node: dict[str, Any], where: tuple[str, ...]) -> list[Any]:
    if where[-1:] == ("properties",) or {"example", "examples"} & set(where):
        return list(node)  # the models' field order; examples are data
    if where == ("paths",) or (where[:1] == ("components",) and len(where) == 2):
        return sorted(node, key=str)  # names
    if where[-1:] == ("responses",):
        return sorted(node, key=str)  # statuses
    return sorted(node, key=lambda k: (_RANK.get(str(k), len(_ORDER)), str(k)))


def normalise(node: Any, where: tuple[str, ...] = ()) -> Any:
    """Canonical key order: known keys in ``_ORDER``, then the rest by name; paths, components
    and statuses sorted by name; properties and examples kept in the source's order."""
    if isinstance(node, list):
        return [normalise(item, (*where, "[]")) for item in node]
    if not isinstance(node, dict):
        return node
    return {key: normalise(node[key], (*where, str(key))) for key in _keys(node, where)}


# -- 4: validate, generate, test ---------------------------------------------------------------


def generate(root: Path, text: str, work: Path) -> Path:
    """Run the project's own recipe (scripts/generate.sh, its generator config and templates) on
    the new spec, all staged in ``work``; the one package folder it made."""
    stage = work / "stage"
    shutil.copytree(root / "openapi", stage / "openapi")
    (stage / SPEC).write_text(text, encoding="utf-8")
    (stage / "scripts").mkdir()
    for script in ("generate.sh", "overlay.py"):
        shutil.copy2(root / "scripts" / script, stage / "scripts" / script)
    dest = work / "generated"
    done = subprocess.run(  # noqa: S603 - our own tools, argument lists
        [str(stage / "scripts" / "generate.sh"), str(dest)],
        env={**os.environ, "BIN": os.environ.get("BIN", str(root / ".venv" / "bin"))},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise UpdateError(f"generation failed:\n{(done.stderr or done.stdout).strip()[-4000:]}")
    (package,) = [p for p in dest.iterdir() if p.is_dir()]
    return package


def contract_tests(root: Path, spec: Path, package: Path) -> None:
    """The contract tests on the new spec and its generation (in a subprocess, so the imported
    generated package is the new one)."""
    env = {
        **os.environ,
        "LEGITHEALTH_CONTRACT_SPEC": str(spec),
        "LEGITHEALTH_CONTRACT_PACKAGE": package.name,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(package.parent), os.environ.get("PYTHONPATH")])
        ),
    }
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "asyncio_mode=auto",
    ]
    command += [str(root / "tests" / "test_contract.py")]
    done = subprocess.run(  # noqa: S603 - our own tools, argument lists
        command, env=env, cwd=root, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise UpdateError(f"the contract tests fail on the new spec:\n{done.stdout[-6000:]}")
    print(f"contract tests: {done.stdout.strip().splitlines()[-1]}")


# -- 5: swap -----------------------------------------------------------------------------------


def swap(root: Path, text: str, merged: str, package: Path) -> None:
    """Put the new spec, the sandbox's merged copy and the generated package in place."""
    target = root / GENERATED / package.name
    backup = target.with_name(target.name + ".old")
    shutil.rmtree(backup, ignore_errors=True)
    if target.exists():
        target.rename(backup)
    try:
        shutil.move(str(package), str(target))
    except BaseException:
        if backup.exists():
            backup.rename(target)
        raise
    shutil.rmtree(backup, ignore_errors=True)
    (root / SPEC).write_text(text, encoding="utf-8")
    (root / SANDBOX_COPY).write_text(merged, encoding="utf-8")


# -- 6: what changed ---------------------------------------------------------------------------


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """operationId -> {method, path, parameters, body, statuses}."""
    found: dict[str, dict[str, Any]] = {}
    for path, item in document.get("paths", {}).items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            found[str(op.get("operationId", f"{method.upper()} {path}"))] = {
                "method and path": f"{method.upper()} {path}",
                "parameters": sorted(
                    f"{p.get('in', '?')}:{p.get('name', p.get('$ref', '?'))}"
                    for p in [*item.get("parameters", []), *op.get("parameters", [])]
                ),
                "request body": json.dumps(body.get("schema"), sort_keys=True),
                "statuses": sorted(str(code) for code in op.get("responses", {})),
            }
    return found


def _field(schema: dict[str, Any], required: bool) -> str:
    shape = {k: schema[k] for k in sorted(schema) if k not in ("description", "example")}
    text = json.dumps(shape, sort_keys=True).replace("#/components/schemas/", "")
    return ("required " if required else "") + text


def fields(document: dict[str, Any]) -> dict[str, dict[str, str]]:
    """schema name -> {field -> its shape (type, format, nullable, ref, required ...)}."""
    out: dict[str, dict[str, str]] = {}
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        required = set(schema.get("required", []))
        out[name] = {
            prop: _field(sub, prop in required)
            for prop, sub in schema.get("properties", {}).items()
        }
        if "properties" not in schema:
            out[name] = {"(itself)": _field(schema, False)}
    return out


def _diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = sorted(k for k in set(old) & set(new) if old[k] != new[k])
    return added, removed, changed


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def missing_code(root: Path, operation_ids: list[str]) -> tuple[list[str], list[str]]:
    """(operations no facade module calls, operations no sandbox rule handles), by reading the
    sources: the facade names the generated module, the sandbox's table the operationId."""
    package = root / "src" / "legithealth_async"
    facade = "\n".join(
        p.read_text(encoding="utf-8")
        for p in package.rglob("*.py")
        if "sandbox" not in p.parts and "_generated" not in p.parts
    )
    sandbox = "\n".join(p.read_text(encoding="utf-8") for p in (package / "sandbox").glob("*.py"))
    no_facade = [op for op in operation_ids if not re.search(rf"\b{_snake(op)}\b", facade)]
    no_sandbox = [op for op in operation_ids if f'"{op}"' not in sandbox]
    return no_facade, no_sandbox


def report(
    root: Path,
    old: dict[str, Any],
    new: dict[str, Any],
    marks: dict[str, Any],
    gone: list[str],
) -> str:
    """The change report printed at the end (``old`` and ``new``: the bases; ``marks``: the
    overlay; ``gone``: its marks that no longer apply)."""
    merged = apply(new, marks)
    lines: list[str] = [
        f"mark no longer applies (ignored until the overlay is fixed): {mark}" for mark in gone
    ]
    old_ops, new_ops = operations(old), operations(new)
    added, removed, changed = _diff(old_ops, new_ops)
    lines += [f"operation added: {op} ({new_ops[op]['method and path']})" for op in added]
    lines += [f"operation removed: {op}" for op in removed]
    for op in changed:
        what = [k for k in new_ops[op] if old_ops[op][k] != new_ops[op][k]]
        lines.append(f"operation changed: {op} ({', '.join(what)})")
    old_fields, new_fields = fields(old), fields(new)
    added, removed, changed = _diff(old_fields, new_fields)
    lines += [f"schema added: {name}" for name in added]
    lines += [f"schema removed: {name}" for name in removed]
    for name in changed:
        f_added, f_removed, f_changed = _diff(old_fields[name], new_fields[name])
        lines += [f"field added: {name}.{f} {new_fields[name][f]}" for f in f_added]
        lines += [f"field removed: {name}.{f}" for f in f_removed]
        for f in f_changed:
            lines.append(
                f"field changed: {name}.{f} {old_fields[name][f]} -> {new_fields[name][f]}"
            )
    lines += [f"not yet classified (hidden from repr): {field}" for field in unclassified(merged)]
    lines += [
        f"assumption to check against the new text: {target}"
        for target in unstated_assumptions(new, marks)
    ]
    no_facade, no_sandbox = missing_code(root, sorted(new_ops))
    lines += [f"no facade method yet: {op}" for op in no_facade]
    lines += [f"no sandbox rule yet (it answers 501): {op}" for op in no_sandbox]
    return "\n".join(lines) if lines else "no change in operations, schemas or fields"


# -- the command -------------------------------------------------------------------------------


def update(
    source: str,
    root: Path,
    tools_dir: Path,
    *,
    run_tests: bool = True,
    allow_stale_marks: bool = False,
) -> str:
    """Steps 1-7; returns the change report. Raises UpdateError with the tree untouched."""
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    old = yaml.safe_load((root / SPEC).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="update-spec-") as tmp:
        work = Path(tmp)
        document = normalise(to_openapi3(read_document(source), tools_dir, work))
        text = dump(document)
        new = yaml.safe_load(text)
        try:
            validate(new)
        except OpenAPIValidationError as exc:
            raise UpdateError(f"the document is not valid OpenAPI: {exc.message}") from None
        marks = load_overlay(root / OVERLAY)
        gone = stale(new, marks)
        if gone and not allow_stale_marks:
            raise UpdateError(
                "marks of ours no longer apply to the new document (a field or schema renamed "
                f"or removed): move or drop them in {OVERLAY}, or pass --allow-stale-marks:\n"
                + "\n".join(f"  {mark}" for mark in gone)
            )
        merged = apply(new, marks)
        try:
            validate(merged)
        except OpenAPIValidationError as exc:
            raise UpdateError(f"with our overlay, it is not valid OpenAPI: {exc.message}") from None
        package = generate(root, text, work)
        merged_text = dump(merged)
        if run_tests:
            merged_path = work / "contract.yaml"
            merged_path.write_text(merged_text, encoding="utf-8")
            contract_tests(root, merged_path, package)
        swap(root, text, merged_text, package)
    return report(root, old, new, marks, gone)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make update-spec SPEC=...", description=__doc__.split("\n")[0]
    )
    parser.add_argument("spec", help="the new document: a path, file:// or https:// URL")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the repository (default: this one)"
    )
    parser.add_argument(
        "--tools",
        type=Path,
        default=Path(os.environ.get("BIN", ROOT / ".venv" / "bin")).parent / "update-spec-tools",
        help="where the npm converter is installed (default: inside the venv)",
    )
    parser.add_argument(
        "--no-contract-tests", action="store_true", help="swap in without running them first"
    )
    parser.add_argument(
        "--allow-stale-marks",
        action="store_true",
        help="go on when marks of the overlay no longer apply (they are listed, then dropped)",
    )
    args = parser.parse_args(argv)
    try:
        changes = update(
            args.spec,
            args.root.resolve(),
            args.tools,
            run_tests=not args.no_contract_tests,
            allow_stale_marks=args.allow_stale_marks,
        )
    except UpdateError as exc:
        print(f"error: {exc}\nnothing was changed.", file=sys.stderr)
        return 1
    print(f"updated {SPEC}, {SANDBOX_COPY} (with {OVERLAY}) and {GENERATED}/")
    print(changes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
