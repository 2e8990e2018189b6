"""The import graph of ``src/legithealth_async``: a few named tiers, nothing importing up a tier,
no circle, and the sandbox apart (ARCHITECTURE.md explains them).

A module is placed by the first component of its name (a package places all its modules), matched
against the patterns of ``TIERS``: a new module in ``sync/`` lands in "workflows" with no edit
here, and a new top-level module must be given a tier. A module imports from its own tier or any
tier below. Every import counts: at module level, inside functions, and under ``TYPE_CHECKING``
(a type-only import up is still a dependency up).
"""

from __future__ import annotations

import ast
import fnmatch
import functools
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "src" / "legithealth_async"
PACKAGE = "legithealth_async"

#: Lowest first: (name, patterns matched against the first component of a module's name).
TIERS: list[tuple[str, tuple[str, ...]]] = [
    # defaults, redaction, log filters, task groups, the error tree, the retry policy
    (
        "foundation",
        (
            "_version",
            "_constants",
            "_privacy",
            "_logs",
            "_tasks",
            "errors",
            "_retry",
            "_observe",
            "_budget",
            "_telemetry*",
            "telemetry*",
        ),
    ),
    # the API's contract: public models, the seam to the generated code, input checks, paging
    ("contract", ("_generated", "models", "_wire", "_validation", "pagination", "_overlay*")),
    # the transports: one interface, one implementation per way of sending, the choice
    ("wire", ("_transports",)),
    # one call: settings, request building, the retry loop, exactly-once, the session
    (
        "request path",
        (
            "_config",
            "_options",
            "_answer",
            "_request",
            "_classify",
            "_attempt_log",
            "_sender",
            "_send",
            "_exactly_once",
            "_generated_call",
            "_session",
        ),
    ),
    # what users hold: the resources and the client
    ("client", ("resources", "client")),
    # many calls: workflows and the bulk sync (typed against flows/protocols.py, not the client)
    ("workflows", ("flows", "sync", "fhir*")),
    # programs: the command line, the demo, and the package's re-exports
    ("apps", ("cli", "demo", "")),
]
#: Apart: imports nothing of the facade; only the apps tier imports it.
SANDBOX = "sandbox"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, module: str) -> set[str]:
    """Every module of the package that ``module`` imports (relative or absolute)."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if module else []
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, node.module] if node.module else base)
                names = [] if node.module else [a.name for a in node.names]
            elif node.module and node.module.split(".")[0] == PACKAGE:
                target = node.module[len(PACKAGE) + 1 :]
                names = []
            else:
                continue
            found.update([f"{target}.{n}".strip(".") for n in names] or [target])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    found.add(alias.name[len(PACKAGE) + 1 :])
    return found


@functools.cache
def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        module = _module_name(path)
        if module.split(".")[0] == "_generated":
            continue  # generated code: checked by make check-generated, imports only itself
        graph[module] = {m for m in _imports(path, module) if m.split(".")[0] != "_generated"}
    return graph


def tier(module: str) -> int:
    """The rank of ``module``'s tier (AssertionError if no pattern places it)."""
    first = module.split(".")[0]
    for rank, (_, patterns) in enumerate(TIERS):
        if any(fnmatch.fnmatchcase(first, p) if p else first == "" for p in patterns):
            return rank
    raise AssertionError(f"{module or PACKAGE!r} is in no tier: add it to TIERS (ARCHITECTURE.md)")


def _target(dep: str, graph: Mapping[str, object]) -> str:
    """The module an import names (``from .pkg import name`` may name a module or an object)."""
    return dep if dep in graph else dep.rsplit(".", 1)[0]


def upward(graph: Mapping[str, set[str]]) -> list[str]:
    """Every import that runs up a tier, out of the sandbox, or into it from below the apps."""
    apps = len(TIERS) - 1
    found = []
    for module, deps in graph.items():
        in_sandbox = module.split(".")[0] == SANDBOX
        for dep in map(functools.partial(_target, graph=graph), deps):
            to_sandbox = dep.split(".")[0] == SANDBOX
            if in_sandbox or to_sandbox:
                ok = in_sandbox == to_sandbox or (to_sandbox and tier(module) == apps)
            else:
                ok = tier(dep) <= tier(module)
            if not ok:
                found.append(f"{module or PACKAGE} -> {dep}")
    return sorted(found)


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Every circle of imports found by a depth-first walk (the package's ``__init__`` aside)."""
    edges = {m: {_target(d, graph) for d in deps} for m, deps in graph.items()}
    found: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if nxt == "" or nxt not in edges:
                continue
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    return found


def test_every_module_has_a_tier() -> None:
    for module in _graph():
        if module.split(".")[0] != SANDBOX:
            tier(module)


def test_no_import_runs_up_a_tier_or_across_the_sandbox_line() -> None:
    assert upward(_graph()) == [], "see ARCHITECTURE.md"


def test_no_import_circle() -> None:
    assert circles(_graph()) == []


def test_the_checks_catch_what_they_are_for() -> None:
    graph = {
        "errors": {"client"},  # foundation -> client: up
        "_send": {"_session"},  # same tier, but a circle with the next line
        "_session": {"_send"},
        "sandbox.app": {"models"},  # out of the sandbox
        "resources.patients": {"sandbox.app"},  # into the sandbox from below the apps
        "demo": {"sandbox.app", "cli"},  # fine
        "cli": set(),
        "client": set(),
        "models": set(),
    }
    assert upward(graph) == [
        "errors -> client",
        "resources.patients -> sandbox.app",
        "sandbox.app -> models",
    ]
    assert circles(graph) == [["_send", "_session", "_send"]]
    with pytest.raises(AssertionError, match="in no tier"):
        tier("_brand_new")
    assert tier("sync.breaker") == tier("sync")  # a new module in a package needs no edit


@pytest.mark.parametrize("module", ["sandbox.app", "sandbox.server", "sandbox.sandbox"])
def test_the_sandbox_never_imports_the_facade(module: str) -> None:
    deps = _graph()[module]
    assert {d.split(".")[0] for d in deps} <= {SANDBOX}
