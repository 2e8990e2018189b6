"""pytest fixtures for testing an integration against the sandbox (registered as a pytest11 plugin).

``legithealth_sandbox``: a fresh in-process :class:`Sandbox` per test (``.client()``,
``.transport()``, ``.base_url``, ``.token``). ``legithealth_sandbox_server``: that same sandbox
served by uvicorn on a free ``127.0.0.1`` port for the test (``.base_url``, ``.token``,
``.sandbox``). Both are synchronous fixtures, so they work under any async test plugin.
The sandbox modules are imported only when a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .sandbox import Sandbox
    from .server import SandboxServer


@pytest.fixture
def legithealth_sandbox() -> Sandbox:
    """A fresh in-memory Legit.Health sandbox (seed 0, clock on real time)."""
    from .sandbox import Sandbox

    return Sandbox(seed=0)


@pytest.fixture
def legithealth_sandbox_server(legithealth_sandbox: Sandbox) -> Iterator[SandboxServer]:
    """``legithealth_sandbox`` served by uvicorn on a free 127.0.0.1 port, stopped afterwards."""
    from .server import SandboxServer

    with SandboxServer(legithealth_sandbox) as server:
        yield server
