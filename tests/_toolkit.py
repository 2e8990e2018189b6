"""The shared test toolkit: injected sleeps, a recording transport, cancellation on a signal, the
sandbox's end state, and synthetic patient data (made here, not by the production demo module).

Import it as ``from _toolkit import ...`` (pytest puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import httpx

from legithealth_async.sandbox import Sandbox


async def no_sleep(_: float) -> None:
    """An injected ``sleep`` that returns at once: retries without waiting."""


class Sleeps(list[float]):
    """An injected ``sleep`` that records every delay asked for and returns at once."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


class BlockingSleep(list[float]):
    """An injected ``sleep`` that records each delay and never returns: a backoff that lasts until
    it is cancelled. ``entered`` is set when the first one starts; ``active`` counts those still
    waiting (a leftover retry would be one)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()
        self.active = 0

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.active += 1
        self.entered.set()
        try:
            await anyio.sleep_forever()
        finally:
            self.active -= 1


async def cancel_when(event: asyncio.Event, call: Callable[[], Awaitable[object]]) -> bool:
    """Run ``call()``, cancelling it as soon as ``event`` is set; True if it was cancelled (False:
    it finished first). Deterministic: no timer decides when the cancellation lands."""
    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as group:

            async def cancel() -> None:
                await event.wait()
                scope.cancel()

            group.start_soon(cancel)
            await call()
            group.cancel_scope.cancel()
    return scope.cancelled_caught


class Recorder(httpx.AsyncBaseTransport):
    """Wraps a transport and keeps each request's method, path and JSON body, in order."""

    #: Wraps the sandbox's in-process transport: opens no socket (see legithealth_async._config).
    legithealth_in_process = True

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[tuple[str, str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, request.url.path, body))
        return await self.inner.handle_async_request(request)

    def methods(self) -> list[str]:
        """The method of each request sent, in order."""
        return [method for method, _, _ in self.sent]

    def bodies(self, method: str) -> list[Any]:
        """The JSON bodies of the requests sent with ``method``, in order."""
        return [body for m, _, body in self.sent if m == method]


def held_conditions(patient: dict[str, Any]) -> list[tuple[str, str, bool, Any]]:
    """A held patient's conditions without ids, sorted: (pathology, site, tracked, frequency)."""
    return sorted(
        (
            c["pathologyCode"],
            c["bodySiteCode"],
            c["isTracked"],
            (c["frequency"]["every"], c["frequency"]["unit"]) if c["frequency"] else None,
        )
        for c in patient["conditions"]
    )


def state(sandbox: Sandbox) -> dict[str, Any]:
    """The sandbox's patients without Legit.Health's ids: what a sync is supposed to produce."""
    out = {}
    for ext, p in sandbox.patients().items():
        basic = {k: v for k, v in p.items() if k not in ("id", "conditions")}
        out[ext] = (basic, held_conditions(p))
    return out


_CONDITIONS = [
    ("EA90", "armLeft"),
    ("ED80", "headFront"),
    ("2C30", "scalp"),
    ("EA80", "trunkFront"),
]


def synthetic_patients(count: int, *, seed: int = 0) -> Iterator[dict[str, Any]]:
    """``count`` valid JSONL-shaped patient records (camelCase keys), the same for a seed."""
    rng = random.Random(seed)
    for n in range(count):
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 24000))
        record: dict[str, Any] = {
            "externalId": f"HRM-{seed}-{n:06d}",
            "firstName": rng.choice(["Ada", "Grace", "Alan", "Edsger", "Barbara"]),
            "lastName": rng.choice(["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov"]),
            "email": f"patient{n}@example.org",
            "birthDate": born.isoformat(),
            "gender": rng.choice(["female", "male"]),
            "language": rng.choice(["es", "en"]),
            "conditions": [],
        }
        if rng.random() < 0.5:
            record["phone"] = f"+346{rng.randint(0, 99_999_999):08d}"
        for pathology, site in rng.sample(_CONDITIONS, rng.randint(0, 2)):
            condition: dict[str, Any] = {"pathologyCode": pathology, "bodySiteCode": site}
            if rng.random() < 0.3:
                condition["isTracked"] = True
                condition["frequency"] = {"every": rng.randint(1, 4), "unit": "week"}
            record["conditions"].append(condition)
        yield record
