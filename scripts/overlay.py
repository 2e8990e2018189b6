"""Our marks on the vendor's contract: the base spec plus an OpenAPI Overlay 1.0 document.

``openapi/legit-health.yaml`` is the API's own contract (the document the vendor's Swagger will
replace); ``openapi/legit-health.overlay.yaml`` holds what only we know about it: which fields
carry patient data (``x-pii: true``) and which are known not to (``x-shown: true``, the only
fields a model shows in ``repr``), the known values the sandbox checks (``x-known-values``), and
our assumptions (``x-assumption``). Everything that reads the contract (``make generate``, the
sandbox's packaged copy, ``make update-spec``, the contract tests) reads base + overlay.

The overlay is applied with jsonpath-ng's JSONPath (the Overlay 1.0 semantics are a few lines:
``oas-patch`` 0.6.0 fails on a target inside an array, such as ``$.servers[0]``, and removes on
``remove: false``); this module adds what an update needs: the marks whose target the base no
longer has (a renamed field, a removed schema), and the fields of patient-bearing schemas no
mark classifies yet.

    python scripts/overlay.py apply BASE OVERLAY > merged.yaml
    python scripts/overlay.py check BASE OVERLAY      # exit 1 on a stale mark
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASE = Path("openapi/legit-health.yaml")
OVERLAY = Path("openapi/legit-health.overlay.yaml")
#: Marks that classify a property: patient data, or known not to be.
PII, SHOWN = "x-pii", "x-shown"


class OverlayError(Exception):
    """The overlay is not a valid Overlay 1.0 document."""


def load(path: Path) -> dict[str, Any]:
    """A YAML or JSON document."""
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def dump(document: dict[str, Any]) -> str:
    """One YAML style for every spec (block style, 100 columns, unicode kept)."""
    return yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )


def validate(overlay: dict[str, Any]) -> None:
    """Raise OverlayError unless ``overlay`` has the shape of an Overlay 1.0 document."""
    problems = []
    if str(overlay.get("overlay", "")).split(".")[:2] != ["1", "0"]:
        problems.append("overlay: 1.0.x is missing")
    info = overlay.get("info")
    if not isinstance(info, dict) or not {"title", "version"} <= set(info):
        problems.append("info needs a title and a version")
    actions = overlay.get("actions")
    if not isinstance(actions, list) or not actions:
        problems.append("actions must be a non-empty list")
        actions = []
    for i, action in enumerate(actions):
        if not isinstance(action, dict) or not isinstance(action.get("target"), str):
            problems.append(f"actions[{i}] has no target")
        elif action.get("remove", False) not in (True, False):
            problems.append(f"actions[{i}]: remove must be true or false")
        elif "update" not in action and action.get("remove") is not True:
            problems.append(f"actions[{i}] ({action['target']}) neither updates nor removes")
    if problems:
        raise OverlayError("; ".join(problems))


def _merge(target: Any, update: Any) -> Any:
    """Overlay 1.0's update: an object's properties replace the target's of the same name
    (objects merged recursively) and new ones are added; an array target gets the value
    appended; anything else is replaced."""
    if isinstance(target, dict) and isinstance(update, dict):
        for key, value in update.items():
            target[key] = _merge(target[key], value) if key in target else copy.deepcopy(value)
        return target
    if isinstance(target, list):
        target.extend(copy.deepcopy(update) if isinstance(update, list) else [update])
        return target
    return copy.deepcopy(update)


def apply(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """base + overlay, as a new document (the base is left as it was): each action in order,
    on every node its JSONPath target selects (jsonpath-ng); a target that selects nothing is
    skipped here and reported by :func:`stale`."""
    from jsonpath_ng.ext import parse

    validate(overlay)
    merged = copy.deepcopy(base)
    for action in overlay["actions"]:
        path = parse(action["target"])
        if action.get("remove") is True:
            merged = path.filter(lambda _: True, merged)
            continue
        for match in path.find(merged):
            updated = _merge(match.value, action["update"])
            if updated is not match.value:
                match.full_path.update(merged, updated)
    if not isinstance(merged, dict):
        raise OverlayError("an action replaced the whole document")
    return merged


def stale(base: dict[str, Any], overlay: dict[str, Any]) -> list[str]:
    """The overlay's actions whose target selects nothing in ``base``, each as
    ``target (marks)``: knowledge that no longer applies and must be moved or dropped."""
    from jsonpath_ng.ext import parse

    out = []
    for action in overlay.get("actions", []):
        if not parse(action["target"]).find(base):
            marks = ", ".join(f"{k}: {v}" for k, v in (action.get("update") or {}).items())
            out.append(f"{action['target']} ({marks or 'remove'})")
    return out


def _properties(schema: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = schema.get("properties") or {}
    return props


def unclassified(document: dict[str, Any]) -> list[str]:
    """``Schema.field`` for each property that is neither marked ``x-pii`` nor ``x-shown`` (a
    new field of the vendor's, say): a model hides it from ``repr`` until someone classifies
    it in the overlay."""
    schemas = document.get("components", {}).get("schemas", {})
    return [
        f"{name}.{field}"
        for name, schema in schemas.items()
        for field, prop in _properties(schema).items()
        if not (isinstance(prop, dict) and (PII in prop or SHOWN in prop))
    ]


def unstated_assumptions(base: dict[str, Any], overlay: dict[str, Any]) -> list[str]:
    """The targets of ``x-assumption`` marks whose node in ``base`` no longer states the
    assumption (its description has no ``Assumption:`` sentence: the vendor's text replaced
    ours). Each is ours to check against the new text (``git diff`` shows what we said), then
    keep or drop."""
    from jsonpath_ng.ext import parse

    out = []
    for action in overlay.get("actions", []):
        if (action.get("update") or {}).get("x-assumption") is not True:
            continue
        for match in parse(action["target"]).find(base):
            node = match.value
            if not (isinstance(node, dict) and "Assumption" in str(node.get("description", ""))):
                out.append(action["target"])
                break
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="overlay.py", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("apply", "check"))
    parser.add_argument("base", type=Path, nargs="?", default=ROOT / BASE)
    parser.add_argument("overlay", type=Path, nargs="?", default=ROOT / OVERLAY)
    args = parser.parse_args(argv)
    base, overlay = load(args.base), load(args.overlay)
    try:
        merged = apply(base, overlay)
    except OverlayError as exc:
        print(f"error: {args.overlay}: {exc}", file=sys.stderr)
        return 1
    if args.command == "apply":
        sys.stdout.write(dump(merged))
        return 0
    gone = stale(base, overlay)
    for line in gone:
        print(f"mark no longer applies: {line}")
    for line in unclassified(merged):
        print(f"not yet classified (hidden from repr): {line}")
    for line in unstated_assumptions(base, overlay):
        print(f"assumption to check against the new text: {line}")
    return 1 if gone else 0


if __name__ == "__main__":
    sys.exit(main())
