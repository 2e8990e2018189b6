"""Fixtures: every rule test runs twice, in-process and over real loopback HTTP.

One uvicorn server (a thread, started once for the session) serves whichever sandbox the
current test made, through a switch; the plugin's own fixtures (one server per test) are
exercised in test_server.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from legithealth_async.sandbox import Sandbox, SandboxServer

TOKEN = "test-token"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class _Switch:
    """An ASGI app that forwards to the current test's sandbox."""

    def __init__(self) -> None:
        self.target: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.target(scope, receive, send)


@pytest.fixture(scope="session")
def _switch() -> Iterator[tuple[_Switch, SandboxServer]]:
    switch = _Switch()
    host = Sandbox(token=TOKEN)
    host.app = switch  # type: ignore[assignment]  # serve the switch, not this sandbox
    with SandboxServer(host) as server:
        yield switch, server


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A sandbox with a frozen clock and a fixed token and seed, checking its own answers
    against the spec: a test whose sandbox answered outside the contract fails."""
    sandbox = Sandbox(token=TOKEN, seed=7, start=START, validate_answers=True)
    yield sandbox
    assert sandbox.answer_violations == []


@pytest.fixture(params=["inprocess", "loopback"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def api(
    mode: str, sandbox: Sandbox, request: pytest.FixtureRequest
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on ``sandbox``: in-process transport, or uvicorn on 127.0.0.1."""
    headers = {"X-API-TOKEN": TOKEN}
    if mode == "inprocess":
        async with httpx.AsyncClient(
            transport=sandbox.transport(), base_url=sandbox.base_url, headers=headers, timeout=5
        ) as client:
            yield client
        return
    switch, server = request.getfixturevalue("_switch")
    switch.target = sandbox.app
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=5) as client:
        yield client
    switch.target = None


def patient_body(external_id: str = "p-1", **extra: Any) -> dict[str, Any]:
    """A valid createPatient body."""
    body: dict[str, Any] = {
        "externalId": external_id,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.org",
        "phone": "+34600111222",
        "birthDate": "1985-12-10",
        "gender": "female",
        "language": "es",
    }
    body.update(extra)
    return body


def error_body(response: httpx.Response) -> dict[str, Any]:
    """The error body, checked to have exactly the documented keys."""
    body = response.json()
    assert set(body) == {"success", "message", "errorCode"}
    assert body["success"] is False
    assert isinstance(body["message"], str)
    return dict(body)
