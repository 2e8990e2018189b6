"""A griffe extension: signatures as a user calls them.

- A default named from the constants module (``max_in_flight: int = C.DEFAULT_MAX_IN_FLIGHT``)
  shows its value (``= 64``).
- ``**kwargs: Unpack[PatientCreateArgs]`` shows the keyword arguments it stands for, each with its
  type and default (``*, external_id: str, first_name: str | None = None, ...``), read from the
  TypedDict at build time, so the page follows the generated models.
"""

from __future__ import annotations

import importlib
import re
import typing
from typing import Any

import griffe

from legithealth_async._validation import required_keys

_CONSTANT = re.compile(r"^(?:C|_constants)\.([A-Z][A-Z0-9_]*)$")
_WRAPPER = re.compile(r"^(?:typing\.)?(?:Not)?Required\[(.*)\]$")


def literal(default: object) -> str | None:
    """``repr`` of the constant a default names, or None when it names none."""
    match = _CONSTANT.match(str(default))
    if match is None:
        return None
    constants = importlib.import_module("legithealth_async._constants")
    return repr(getattr(constants, match[1]))


def _runtime(obj: griffe.Object) -> Any:
    """The Python object ``obj`` describes (imported)."""
    value: Any = importlib.import_module(obj.module.path)
    for part in obj.path[len(obj.module.path) + 1 :].split("."):
        value = getattr(value, part)
    return value


def _annotation(hint: object) -> str:
    """The type as written, without its ``Required``/``NotRequired``."""
    text = hint.__forward_arg__ if isinstance(hint, typing.ForwardRef) else str(hint)
    match = _WRAPPER.match(text)
    return text if match is None else match[1]


def unpacked(func: griffe.Function) -> list[griffe.Parameter] | None:
    """The keyword-only parameters ``**kwargs: Unpack[TD]`` stands for (None: no such one)."""
    kwargs = next((p for p in func.parameters if p.kind is griffe.ParameterKind.var_keyword), None)
    if kwargs is None or not str(kwargs.annotation).startswith("Unpack["):
        return None
    hints = typing.get_type_hints(_runtime(func), include_extras=True)
    (typed_dict,) = typing.get_args(hints[kwargs.name])
    required = required_keys(typed_dict)
    out = []
    for name, hint in typed_dict.__annotations__.items():
        annotation = _annotation(hint)
        if name in required:
            default = None
        else:
            default = "None" if "None" in annotation else "{}"
        out.append(
            griffe.Parameter(
                name,
                annotation=annotation,
                kind=griffe.ParameterKind.keyword_only,
                default=default,
            )
        )
    return out


class UserSignatures(griffe.Extension):
    """Literal defaults, and ``Unpack`` expanded."""

    def on_function_instance(self, *, func: griffe.Function, **kwargs: Any) -> None:
        """Rewrite ``func``'s parameters."""
        for parameter in func.parameters:
            value = literal(parameter.default)
            if value is not None:
                parameter.default = value
        expanded = unpacked(func)
        if expanded is not None:
            kept = [p for p in func.parameters if p.kind is not griffe.ParameterKind.var_keyword]
            func.parameters = griffe.Parameters(*kept, *expanded)

    def on_attribute_instance(self, *, attr: griffe.Attribute, **kwargs: Any) -> None:
        """A class attribute (a dataclass field) whose value names a constant: its value."""
        value = literal(attr.value)
        if value is not None:
            attr.value = value
