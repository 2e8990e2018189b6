"""The sandbox: a faithful, stateful, in-memory Legit.Health for tests, demos and benchmarks.

Needs the ``sandbox`` extra (``pip install 'legithealth-async[sandbox]'``). Names are imported
lazily, so importing this package costs nothing; without the extra, the first name that needs it
raises :class:`MissingExtraError`, whose message says in one line what to install.

>>> sandbox = Sandbox(seed=1)
>>> async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url,
...                              headers={"X-API-TOKEN": sandbox.token}) as http: ...
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import RequestRecord
    from .cli import main
    from .clock import SandboxClock
    from .errors import DroppedConnection
    from .faults import FAULT_KINDS, FaultPlan, Faults, parse_fault_option
    from .sandbox import Sandbox
    from .server import SandboxServer, serve
    from .state import OutboxMessage
    from .transport import SandboxTransport

__all__ = [
    "FAULT_KINDS",
    "DroppedConnection",
    "FaultPlan",
    "Faults",
    "MissingExtraError",
    "OutboxMessage",
    "RequestRecord",
    "Sandbox",
    "SandboxClock",
    "SandboxServer",
    "SandboxTransport",
    "main",
    "parse_fault_option",
    "serve",
]

_WHERE = {
    "FAULT_KINDS": "faults",
    "DroppedConnection": "errors",
    "FaultPlan": "faults",
    "Faults": "faults",
    "OutboxMessage": "state",
    "RequestRecord": "app",
    "Sandbox": "sandbox",
    "SandboxClock": "clock",
    "SandboxServer": "server",
    "SandboxTransport": "transport",
    "main": "cli",
    "parse_fault_option": "faults",
    "serve": "server",
}


#: The modules the ``sandbox`` extra installs (import names).
_EXTRA_MODULES = frozenset({"starlette", "uvicorn", "jsonschema", "yaml"})


class MissingExtraError(ModuleNotFoundError):
    """The sandbox was used without the ``sandbox`` extra installed; the message says what to do."""


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(f".{_WHERE[name]}", __name__)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing not in _EXTRA_MODULES:
            raise
        raise MissingExtraError(
            f"the Legit.Health sandbox needs the 'sandbox' extra ({missing} is not installed): "
            "pip install 'legithealth-async[sandbox]'",
            name=missing,
        ) from exc
    return getattr(module, name)
