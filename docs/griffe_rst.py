"""A griffe extension: the docstrings' reStructuredText roles and literal blocks, as Markdown.

The package's docstrings are written for ``help()`` and Sphinx (``:class:`Sandbox```,
``Example::``); mkdocstrings renders Markdown, where those would show as raw text.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|func|meth|mod|attr|exc|data|obj|const):`~?(?:[\w.]*\.)?([^`]+)`")
_LITERAL = re.compile(r"(\S)::\n", re.M)  # "Example::" then an indented block -> "Example:"
_BARE_LITERAL = re.compile(r"^(\s*)::\n", re.M)  # a line of only "::" -> nothing


def to_markdown(text: str) -> str:
    """``:class:`~a.b.C``` becomes ```C``` and ``Text::`` becomes ``Text:``."""
    text = _ROLE.sub(r"`\1`", text)
    text = _BARE_LITERAL.sub("", text)
    return _LITERAL.sub(r"\1:\n", text)


class RstToMarkdown(griffe.Extension):
    """Rewrite every docstring once, as griffe loads it."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Convert ``obj``'s docstring, if it has one."""
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
