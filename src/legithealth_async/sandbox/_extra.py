"""The ``sandbox`` extra: the modules it installs, and the typed one-line error without them.

A leaf module (standard library only), so that both the package ``__init__`` and ``cli`` can
use it without importing each other.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: The modules the ``sandbox`` extra installs (import names).
EXTRA_MODULES = frozenset({"starlette", "uvicorn", "jsonschema", "yaml"})


class MissingExtraError(ModuleNotFoundError):
    """The sandbox was used without the ``sandbox`` extra installed; the message says what to do."""


def load(module: str) -> ModuleType:
    """Import ``legithealth_async.sandbox.<module>``; :class:`MissingExtraError` (one line naming
    the extra) when a module of the extra is not installed."""
    try:
        return importlib.import_module(f"{__package__}.{module}")
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing not in EXTRA_MODULES:
            raise
        raise MissingExtraError(
            f"the Legit.Health sandbox needs the 'sandbox' extra ({missing} is not installed): "
            "pip install 'legithealth-async[sandbox]'",
            name=missing,
        ) from exc
