"""The import graph of ``src/legithealth_async``: no circle, and no import from a lower layer up.

The layers are the table below (ARCHITECTURE.md explains them). A module may import modules of a
lower layer; inside one package (``resources``, ``sync``, ``flows``) its modules may import each
other, without a circle. Every import counts: at module level, inside functions, and under
``TYPE_CHECKING`` (a type-only import up is still a dependency up).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "src" / "legithealth_async"
PACKAGE = "legithealth_async"

#: Lowest first. A module is placed by its longest matching prefix.
LAYERS: list[tuple[str, ...]] = [
    ("_version",),
    ("_constants",),
    ("_privacy", "_logs", "_tasks", "_observe"),
    ("errors",),  # its constructors keep only the server codes and ids _privacy lets through
    ("_generated", "sandbox"),  # the generated client; the sandbox (never imports the facade)
    ("models",),
    ("_wire",),
    ("_validation", "_retry", "_body", "pagination"),
    ("_http11",),  # HTTP/1.1 on asyncio's sockets (the default transport on asyncio)
    ("_transport",),  # the transports offered, and the choice of the default
    ("_config",),
    ("_exchange",),  # one request sent and its answer read (the client's own transport direct)
    ("_send",),
    ("_exactly_once", "_generated_call"),
    ("_session",),
    ("resources",),
    ("client",),
    ("flows",),  # multi-call workflows, and the protocols the sync and flows need of a client
    ("sync",),
    ("telemetry",),  # the OpenTelemetry observer (an extra), installed into _observe
    ("cli",),
    ("demo",),  # runs the CLI against the sandbox
    ("",),  # the package itself (its __init__ re-exports the public names)
]

#: Known upward imports, each with who removes it. Keep this empty when you can.
KNOWN_UPWARD: dict[tuple[str, str], str] = {}


#: Known circles inside one package (edges ignored by the circle check), with who removes them.
KNOWN_CIRCLE_EDGES: dict[tuple[str, str], str] = {}


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


def _layer(module: str) -> int:
    best, rank = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            head = module.split(".")[0]
            if (prefix == "" and module == "") or (prefix and head == prefix):
                if len(prefix) >= best:
                    best, rank = len(prefix), index
    if rank < 0:
        raise AssertionError(f"{module or PACKAGE!r} is in no layer: add it to LAYERS")
    return rank


def _top(module: str) -> str:
    return module.split(".")[0]


def test_every_module_has_a_layer() -> None:
    for module in _graph():
        _layer(module)


def test_no_import_runs_up_a_layer() -> None:
    graph = _graph()
    upward = []
    for module, deps in graph.items():
        for dep in deps:
            dep_module = dep if dep in graph else dep.rsplit(".", 1)[0]
            same_package = _top(module) == _top(dep_module) and module != ""
            if same_package or _layer(dep_module) < _layer(module):
                continue
            if (_top(module), _top(dep_module)) in KNOWN_UPWARD:
                continue
            upward.append(f"{module or PACKAGE} -> {dep_module}")
    assert upward == [], "imports from a lower layer up (see ARCHITECTURE.md)"


def test_no_import_circle() -> None:
    graph = _graph()
    known = set(KNOWN_UPWARD)
    edges: dict[str, set[str]] = {}
    for m, deps in graph.items():
        targets = {d if d in graph else d.rsplit(".", 1)[0] for d in deps}
        edges[m] = {
            t
            for t in targets
            if (_top(m), _top(t)) not in known and (m, t) not in KNOWN_CIRCLE_EDGES
        }
    circles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if nxt == "" or nxt not in edges:
                continue
            if state.get(nxt) == 1:
                circles.append([*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert circles == []


@pytest.mark.parametrize("module", ["sandbox.app", "sandbox.server", "sandbox.sandbox"])
def test_the_sandbox_never_imports_the_facade(module: str) -> None:
    deps = _graph()[module]
    assert {_top(d) for d in deps} <= {"sandbox"}
