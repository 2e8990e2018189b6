"""Fixtures for the sync tests: a sandbox, a fast-retrying client on it, record helpers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from legithealth_async import LegitHealth, RetryPolicy
from legithealth_async.models import ConditionInput, Frequency
from legithealth_async.sandbox import Sandbox
from legithealth_async.sync import PatientRecord, SyncOutcome, sync_patients

FAST = RetryPolicy(initial=0.01, maximum=0.05)


async def _no_sleep(_: float) -> None:
    return None


class Recorder(httpx.AsyncBaseTransport):
    """The sandbox's transport, keeping each request's method and JSON body (for the tests)."""

    legithealth_in_process = True  # opens no socket (see legithealth_async._config)

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[tuple[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, body))
        return await self.inner.handle_async_request(request)

    def bodies(self, method: str) -> list[Any]:
        return [body for m, body in self.sent if m == method]


def client_for(sandbox: Sandbox, **kwargs: Any) -> LegitHealth:
    """A client on the sandbox's in-process transport that never sleeps between retries."""
    return LegitHealth(
        api_token=sandbox.token,
        base_url=sandbox.base_url,
        transport=kwargs.pop("transport", None) or sandbox.transport(),
        retry_policy=FAST,
        sleep=_no_sleep,
        **kwargs,
    )


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(seed=7)


@pytest.fixture
def recorder(sandbox: Sandbox) -> Recorder:
    return Recorder(sandbox.transport())


@pytest.fixture
async def lh(sandbox: Sandbox, recorder: Recorder) -> AsyncIterator[LegitHealth]:
    async with client_for(sandbox, transport=recorder) as client:
        yield client


def cond(
    pathology: str = "EA90",
    site: str = "armLeft",
    *,
    tracked: bool = False,
    every: int | None = None,
    unit: str = "week",
) -> ConditionInput:
    return ConditionInput(
        pathology_code=pathology,
        body_site_code=site,
        is_tracked=tracked,
        frequency=Frequency(every=every, unit=unit) if every is not None else None,
    )


def rec(external_id: str = "p1", **kwargs: Any) -> PatientRecord:
    kwargs.setdefault("email", f"{external_id}@example.org")
    kwargs.setdefault("conditions", ())
    return PatientRecord(external_id=external_id, **kwargs)


async def run(client: LegitHealth, records: Any, **kwargs: Any) -> list[SyncOutcome]:
    async with sync_patients(client, records, **kwargs) as outcomes:
        return [o async for o in outcomes]


def state(sandbox: Sandbox) -> dict[str, Any]:
    """The sandbox's patients without Legit.Health's ids: what a sync is supposed to produce."""
    out = {}
    for ext, p in sandbox.patients().items():
        conditions = sorted(
            (c["pathologyCode"], c["bodySiteCode"], c["isTracked"], repr(c["frequency"]))
            for c in p["conditions"]
        )
        basic = {k: v for k, v in p.items() if k not in ("id", "conditions")}
        out[ext] = (basic, conditions)
    return out


class CreateGate:
    """Freezes a served sandbox when it holds ``at`` patients (see :meth:`arm`).

    The server's event loop blocks inside that create, so a sync in another process can make
    no further progress: a test reads the journal and signals or kills the process in a known,
    quiet state instead of racing a poll against the writer. Always ``release`` at the end.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        import threading

        self._world = sandbox._world
        self._create = self._world.create_patient
        self.at = -1
        self.reached = threading.Event()
        self.release = threading.Event()
        self._world.create_patient = self._gated  # type: ignore[method-assign]

    def arm(self, at: int) -> None:
        """Freeze at ``at`` patients (-1: never)."""
        self.at = at
        self.reached.clear()
        self.release.clear()

    def _gated(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = self._create(body)
        if len(self._world.patients) == self.at:
            self.reached.set()
            self.release.wait(60)
        return answer
