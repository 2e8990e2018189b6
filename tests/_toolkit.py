"""The shared test toolkit: injected sleeps, a recording transport, cancellation on a signal, a
gate on a served sandbox's creates, a bounded wait for a condition, the argv of a CLI sync, the
sandbox's end state, and synthetic patient data (made here, not by the production demo module).

Import it as ``from _toolkit import ...`` (pytest puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import random
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx

from legithealth_async.sandbox import Sandbox
from legithealth_async.sync import PatientRecord, parse_record


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


Connection = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def tcp_server(connection: Connection) -> AsyncIterator[int]:
    """A server on 127.0.0.1 (port 0) running ``connection`` for each client; yields its port.

    A connection that ends or breaks (EOF, reset) is closed quietly. At the end the listener
    closes and the handlers still running (a dribble, a stall) are cancelled.
    """
    handlers: set[asyncio.Task[Any]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            await connection(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for task in handlers:
            task.cancel()


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


class CreateGate:
    """Holds a served sandbox's creates once it holds ``at`` patients (:meth:`arm`), through the
    sandbox's public hook ``before_create_patient``.

    A sync in another process then creates nothing more, so a test reads the journal and
    signals or kills the process in a known state instead of racing a poll against the writer
    (the rest of the sandbox keeps answering). ``reached`` (a thread event) is set when a create
    is held. :meth:`open` lets the held creates take effect: always call it at the end.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._at = -1
        self._lock = threading.Lock()
        self._held: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self.reached = threading.Event()
        sandbox.before_create_patient = self._hold

    def arm(self, at: int) -> None:
        """From now on, hold every create that arrives while the sandbox holds ``at`` patients."""
        with self._lock:
            self._at = at
            self.reached.clear()

    def open(self) -> None:
        """Disarm, and let the held creates take effect (from any thread; idempotent). They
        do so after this returns: wait for ``SandboxServer.idle`` before reading the sandbox."""
        with self._lock:
            self._at = -1
            held, self._held = self._held, []
        for loop, event in held:
            with contextlib.suppress(RuntimeError):  # the server's loop is closed: none waits
                loop.call_soon_threadsafe(event.set)

    async def _hold(self, _body: dict[str, Any]) -> None:
        with self._lock:
            if not 0 <= self._at <= self._sandbox.patient_count:
                return  # not held: the create takes effect without a pause
            event = asyncio.Event()
            self._held.append((asyncio.get_running_loop(), event))
            self.reached.set()
        await event.wait()


def wait_until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Block until ``check()`` is true; fail naming ``what`` after ``timeout`` seconds.

    For a condition no event announces (e.g. ``SandboxServer.idle``): it is looked at every
    5 ms, which decides only how soon it is seen, never the outcome. From async code, run it
    with ``anyio.to_thread.run_sync``.
    """
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.005)


def sync_command(patients: Path, journal: Path, base_url: str, *options: str) -> list[str]:
    """The argv of ``legithealth sync`` run in a subprocess (this interpreter) against
    ``base_url`` with a journal; ``options`` follow (the token goes in the environment)."""
    head = [sys.executable, "-m", "legithealth_async.cli", "sync", str(patients)]
    return [*head, "--journal", str(journal), "--base-url", base_url, *options]


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


_PATHOLOGIES = ("EA90", "ED80", "2C30", "2C31", "EA80", "ED63.0")
_SITES = ("headFront", "trunkFront", "trunkBack", "armLeft", "armRight", "handLeft", "scalp")


def synthetic_patients(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` valid patients as JSONL objects (camelCase), the same for a seed: 0-3 conditions
    each (40% tracked, every 1-4 days/weeks/months), an email for most, a phone for the rest and
    for half of the others."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        conditions = []
        for pathology, site in rng.sample(
            [(p, s) for p in _PATHOLOGIES for s in _SITES], rng.randint(0, 3)
        ):
            condition: dict[str, Any] = {"pathologyCode": pathology, "bodySiteCode": site}
            if rng.random() < 0.4:
                condition["isTracked"] = True
                unit = rng.choice(("day", "week", "month"))
                condition["frequency"] = {"every": rng.randint(1, 4), "unit": unit}
            conditions.append(condition)
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 29000))
        patient: dict[str, Any] = {
            "externalId": f"HRM-{seed % 1000:03d}-{n:06d}",
            "firstName": rng.choice(("Ada", "Grace", "Alan", "Emmy", "Lucía", "Hugo")),
            "lastName": rng.choice(("Lovelace", "Hopper", "Turing", "Noether", "García", "Peña")),
            "birthDate": born.isoformat(),
            "gender": rng.choice(("female", "male", "other", "unknown")),
            "language": rng.choice(("es", "en", "ca", "fr")),
            "conditions": conditions,
        }
        if rng.random() < 0.85:
            patient["email"] = f"patient{n:06d}@example.org"
        if "email" not in patient or rng.random() < 0.5:
            patient["phone"] = f"+346{rng.randint(10_000_000, 99_999_999)}"
        out.append(patient)
    return out


def write_patients(path: Path, count: int, seed: int = 0) -> int:
    """Write ``synthetic_patients(count, seed=seed)`` to ``path`` as JSONL; returns how many."""
    with path.open("w", encoding="utf-8") as f:
        for patient in synthetic_patients(count, seed=seed):
            f.write(json.dumps(patient, ensure_ascii=False) + "\n")
    return count


def make_records(count: int, seed: int = 0) -> list[PatientRecord]:
    """``synthetic_patients`` parsed as the sync parses them, each with its line number."""
    out = []
    for line, raw in enumerate(synthetic_patients(count, seed=seed), start=1):
        record = parse_record(raw, line=line)
        assert isinstance(record, PatientRecord), record
        out.append(record)
    return out


def status_operation() -> dict[str, Any]:
    """A ``getServiceStatus`` operation to add to a copy of the spec (no facade method, no rule)."""
    return {
        "get": {
            "operationId": "getServiceStatus",
            "tags": ["patients"],
            "security": [{"apiToken": []}],
            "responses": {
                "200": {
                    "description": "Up.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "401": {"$ref": "#/components/responses/Unauthorized"},
            },
        }
    }


#: Facts: the operations the public documentation names; any real spec has them too (and the
#: sandbox a rule for each).
DOCUMENTED_OPERATIONS = frozenset(
    {
        "createPatient",
        "getPatientsAuthTokens",
        "createEpisodeOfCare",
        "createEncounter",
        "getPatients",
        "getEpisodesOfCare",
        "patchPatient",
        "patchEpisodeOfCare",
        "createPractitioner",
        "getPractitionerSpecialties",
        "getPractitionerAuthTokens",
    }
)
