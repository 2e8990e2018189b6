"""The sandbox: a faithful, stateful, in-memory Legit.Health for tests, demos and benchmarks.

Needs the ``sandbox`` extra (``pip install 'legithealth-async[sandbox]'``). Names are imported
lazily, so importing this package costs nothing; without the extra, the first name that needs it
raises :class:`MissingExtraError`, whose message says in one line what to install.

>>> sandbox = Sandbox(seed=1)
>>> async with httpx.AsyncClient(transport=sandbox.transport(), base_url=sandbox.base_url,
...                              headers={"X-API-TOKEN": sandbox.token}) as http: ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._extra import MissingExtraError
from ._extra import load as _load

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


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(_load(_WHERE[name]), name)
