"""mkdocs hooks: every public name is in the reference, and has a docstring.

``make docs-strict`` (part of ``make test``) turns each warning logged here into a failed build.
Public names are the ``__all__`` of the modules below; a name counts as documented when a
``::: path`` directive names it, or names the module it is defined in (which renders its members).
"""

from __future__ import annotations

import contextlib
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
    """Collect each page's ``::: path`` directives; put in the command line's help texts."""
    _directives.update(_DIRECTIVE.findall(markdown))
    return _CLI_HELP.sub(_cli_help, markdown)


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
    """``obj`` (a class or function of ours) and its own public methods without a docstring.

    Constants are exempt (their meaning is in the page's prose), and so is the generated code,
    whose docstrings come from the contract.
    """
    generated = obj.path.startswith("legithealth_async._generated.")
    if generated or not (obj.is_class or obj.is_function):
        return []
    missing = [] if obj.docstring and obj.docstring.value.strip() else [obj.path]
    if obj.is_class:
        for name, member in obj.members.items():
            if name.startswith("_") or member.is_alias or not member.is_function:
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
