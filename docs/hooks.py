"""mkdocs hooks: every public name is in the reference, and has a docstring.

``make docs-strict`` (part of ``make test``) turns each warning logged here into a failed build.
Public names are the ``__all__`` of the modules below; a name counts as documented when a
``::: path`` directive names it, or names the module it is defined in (which renders its members).
"""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import os
import re
from typing import Any
from unittest import mock

import griffe

log = logging.getLogger("mkdocs.plugins.legithealth")

PUBLIC_MODULES = (
    "legithealth_async",
    "legithealth_async.errors",
    "legithealth_async.models",
    "legithealth_async.sync",
    "legithealth_async.fhir",
    "legithealth_async.sandbox",
    "legithealth_async_pytest",
)
_DIRECTIVE = re.compile(r"^::: ([\w.]+)", re.M)
_directives: set[str] = set()


_CLI_HELP = re.compile(r"^<!-- cli-help:([\w -]*)-->$", re.M)


def _cli_help(match: re.Match[str]) -> str:
    """``legithealth ARGS --help``, as the command prints it, in a fenced block."""
    from legithealth_async.cli import main

    args = match[1].split()
    out = io.StringIO()
    with mock.patch.dict(os.environ, {"COLUMNS": "100"}), contextlib.redirect_stdout(out):
        code = main([*args, "--help"])
    if code != 0:
        log.warning("legithealth %s --help exited %s", " ".join(args), code)
    title = " ".join(["legithealth", *args])
    return f"### `{title}`\n\n```text\n{out.getvalue().rstrip()}\n```"


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Collect each page's ``::: path`` directives; put in the command line's help texts and
    the tables made from the code (the method index, the error tree, the sandbox's operations)."""
    _directives.update(_DIRECTIVE.findall(markdown))
    for marker, make in _GENERATED.items():
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return _CLI_HELP.sub(_cli_help, markdown)


# ------------------------------------------------------------------ tables made from the code


def _call_text(prefix: str, function: Any) -> str:
    """``lh.patients.get(external_id) -> Patient | None``: the required positional parameters
    by name, ``...`` for the rest, and the return annotation as written."""
    signature = inspect.signature(function)
    names, more = [], False
    for name, parameter in signature.parameters.items():
        if name == "self":
            continue
        positional = parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        if positional and parameter.default is parameter.empty:
            names.append(name)
        else:
            more = True
    args = ", ".join([*names, "..."] if more else names)
    returns = signature.return_annotation
    returns = "None" if returns is signature.empty else str(returns).replace("'", "")
    return f"{prefix}({args}) -> {returns}"


def _link(text: str, identifier: str) -> str:
    return f"[`{text}`][{identifier}]"


def _methods(cls: type) -> list[str]:
    """``cls``'s public methods, its own in source order, then those it inherits."""
    names: list[str] = []
    for klass in cls.__mro__:
        if klass is object:
            continue
        for name, value in vars(klass).items():
            if not name.startswith("_") and inspect.isfunction(value) and name not in names:
                names.append(name)
    return names


def _method_index() -> str:
    """Every method a client offers, as ``lh.patients.create(...) -> Patient``, linked to its
    entry in the reference, with the operation it sends."""
    import typing

    from legithealth_async.client import LegitHealth, LegitHealthView
    from legithealth_async.errors import OPERATION_METHODS

    sends = {method: op for op, methods in OPERATION_METHODS.items() for method in methods}
    client = "legithealth_async.client.LegitHealth"
    out = ["## The client", "", "| Method | Sends |", "|---|---|"]
    made = _call_text("LegitHealth", LegitHealth.__init__).replace("-> None", "-> LegitHealth")
    out.append(f"| {_link(made, client)} | |")
    for name in _methods(LegitHealth):
        text = _call_text(f"lh.{name}", getattr(LegitHealth, name))
        out.append(f"| {_link(text, f'{client}.{name}')} | |")
    properties = [n for n, v in vars(LegitHealthView).items() if isinstance(v, property)]
    resources = {}
    for name in properties:
        returns = typing.get_type_hints(getattr(LegitHealthView, name).fget)["return"]
        if isinstance(returns, type) and returns.__module__.startswith("legithealth_async.res"):
            resources[name] = returns
        else:
            out.append(f"| {_link(f'lh.{name} -> {returns.__name__}', f'{client}.{name}')} | |")
    for attribute, cls in resources.items():
        title = attribute.replace("_", " ").capitalize()
        out += ["", f"## {title}", "", "| Method | Sends |", "|---|---|"]
        path = f"{cls.__module__}.{cls.__qualname__}"
        for name in _methods(cls):
            text = _call_text(f"lh.{attribute}.{name}", getattr(cls, name))
            operation = sends.get(f"{attribute}.{name}", "")
            out.append(f"| {_link(text, f'{path}.{name}')} | `{operation}` |")
    return "\n".join(out)


def _error_table() -> str:
    """The error tree by status: what class each answer becomes."""
    from legithealth_async import errors

    def first_line(cls: type) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0]

    out = ["| Status | Error class | Meaning |", "|---|---|---|"]
    for status, cls in sorted(errors._BY_STATUS.items()):
        out.append(f"| {status} | `{cls.__name__}` | {first_line(cls)} |")
        if status == 409:
            for code, sub in errors._BY_CODE.items():
                out.append(f"| 409 `{code}` | `{sub.__name__}` | {first_line(sub)} |")
    out.append(f"| 5xx | `InternalServerError` | {first_line(errors.InternalServerError)} |")
    out.append("| any other documented status | `APIStatusError` | the base of the above |")
    return "\n".join(out)


def _sandbox_operations() -> str:
    """The operationIds of the bundled contract, each with the client methods that send it."""
    from legithealth_async.errors import OPERATION_METHODS
    from legithealth_async.sandbox import Sandbox

    out = ["| Operation | Client methods |", "|---|---|"]
    for operation in sorted(Sandbox().contract.operations):
        methods = ", ".join(f"`{m}`" for m in OPERATION_METHODS.get(operation, ()))
        out.append(f"| `{operation}` | {methods} |")
    return "\n".join(out)


_GENERATED = {
    "<!-- method-index -->": _method_index,
    "<!-- error-table -->": _error_table,
    "<!-- sandbox-operations -->": _sandbox_operations,
}


def _public(loader: griffe.GriffeLoader, module_path: str) -> dict[str, list[griffe.Object]]:
    """``module_path``'s exported names, each with the chain of objects it goes through (the
    re-exports, then what they name)."""
    module = loader.modules_collection.get_member(module_path)
    out = {}
    for name in sorted(module.exports or ()):
        chain = [module.get_member(name)]
        while chain[-1].is_alias:
            chain.append(chain[-1].target)
        out[f"{module_path}.{name}"] = chain
    return out


def _documented(chain: list[griffe.Object]) -> bool:
    """A directive names the object, one of its re-exports, or a module that renders it."""
    paths = {obj.path for obj in chain} | {obj.parent.path for obj in chain if obj.parent}
    return bool(paths & _directives)


def _missing_docstrings(obj: griffe.Object) -> list[str]:
    """``obj`` (a class or function of ours) and its own public methods and properties without
    a docstring.

    Constants are exempt (their meaning is in the page's prose), and so is the generated code,
    whose docstrings come from the contract.
    """
    generated = obj.path.startswith("legithealth_async._generated.")
    if generated or not (obj.is_class or obj.is_function):
        return []
    missing = [] if obj.docstring and obj.docstring.value.strip() else [obj.path]
    if obj.is_class:
        for name, member in obj.members.items():
            if name.startswith("_") or member.is_alias:
                continue
            if not (member.is_function or "property" in member.labels):
                continue
            if not (member.docstring and member.docstring.value.strip()):
                missing.append(member.path)
    return missing


def on_env(env: Any, config: Any, files: Any, **kwargs: Any) -> Any:
    """After every page is read: check the public names against the directives."""
    loader = griffe.GriffeLoader(search_paths=["src"])
    for package in ("legithealth_async", "legithealth_async_pytest"):
        loader.load(package)
    loader.resolve_aliases(implicit=False, external=True)
    seen: set[str] = set()
    for module_path in PUBLIC_MODULES:
        for path, chain in _public(loader, module_path).items():
            target = chain[-1]
            if target.path in seen:
                continue
            seen.add(target.path)
            if not _documented(chain):
                log.warning("public name %s (%s) is in no ::: directive", path, target.path)
            for undocumented in _missing_docstrings(target):
                log.warning("public name %s has no docstring", undocumented)
    return env
