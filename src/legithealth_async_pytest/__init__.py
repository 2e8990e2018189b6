"""pytest fixtures for testing an integration against the Legit.Health sandbox.

Registered as the ``legithealth_sandbox`` pytest11 plugin, so the fixtures are there in any
project that installs ``legithealth-async[sandbox]``:

- ``legithealth_sandbox``: a fresh in-memory :class:`~legithealth_async.sandbox.Sandbox` per test
  (``.transport()``, ``.base_url``, ``.token``, ``.client()``, ``.faults``, ``.outbox``...);
- ``legithealth_sandbox_server``: that same sandbox served by uvicorn on a free ``127.0.0.1``
  port for the test (``.base_url``, ``.token``, ``.sandbox``).

Both are synchronous fixtures, so they work under any async test runner: anyio's plugin (installed
with ``legithealth-async``, mark the test ``@pytest.mark.anyio``) or pytest-asyncio.

This module lives outside ``legithealth_async`` and imports nothing but pytest: pytest imports
every registered plugin at start-up, and importing ``legithealth_async`` (the client, httpx, the
generated models) would cost every pytest run in the environment. The sandbox is imported when a
test first asks for a fixture; without the ``sandbox`` extra that test fails with one line that
says what to install.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from legithealth_async.sandbox import Sandbox, SandboxServer

__all__ = ["legithealth_sandbox", "legithealth_sandbox_server"]


@pytest.fixture
def legithealth_sandbox() -> Sandbox:
    """A fresh in-memory Legit.Health sandbox: seed 0 (the same ids, token and fault draws on
    every run), clock on real time."""
    from legithealth_async import sandbox

    try:
        sandbox_class = sandbox.Sandbox
    except sandbox.MissingExtraError as exc:
        missing = str(exc)  # failed outside the handler: one line, no exception chain
    else:
        return sandbox_class(seed=0)
    pytest.fail(missing, pytrace=False)


@pytest.fixture
def legithealth_sandbox_server(legithealth_sandbox: Sandbox) -> Iterator[SandboxServer]:
    """``legithealth_sandbox`` served by uvicorn on a free 127.0.0.1 port, stopped afterwards."""
    from legithealth_async.sandbox import SandboxServer

    with SandboxServer(legithealth_sandbox) as server:
        yield server
