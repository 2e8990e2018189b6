"""An operation that has no facade method yet, called through the client's request path."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from ._wire import Call
from ._wire import endpoint as _endpoint
from .errors import ValidationError

#: An operation's ``operationId`` (``"getServiceStatus"``), or its generated endpoint module
#: (``..._generated.api.<tag>.<operation>``) or that module's ``_get_kwargs``.
Endpoint = str | ModuleType | Callable[..., dict[str, Any]]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _json(value: Any) -> Any:
    return value


def generated_call(
    endpoint: Endpoint,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    parse: Callable[[Any], Any] | None,
    idempotent: bool | None,
) -> Call[Any]:
    """The :class:`Call` of a generated endpoint with its arguments (any 2xx succeeds)."""
    if isinstance(endpoint, str):
        endpoint = _endpoint(endpoint)
    build = getattr(endpoint, "_get_kwargs", endpoint)
    if not callable(build):
        raise ValidationError("endpoint", "not a generated endpoint module or its _get_kwargs")
    module = endpoint if isinstance(endpoint, ModuleType) else None
    name = module.__name__ if module else str(getattr(build, "__module__", "generated"))
    name = name.rsplit(".", 1)[-1]
    spec = build(*args, **kwargs)
    method = str(spec["method"]).upper()
    spec = {**spec, "method": method}
    safe = method in _SAFE_METHODS if idempotent is None else idempotent
    # The path template is not known here; the operation's name stands for it in logs.
    return Call(name, f"({name})", spec, None, parse or _json, safe)
