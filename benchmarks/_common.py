"""What the benchmarks share: settings, timing, synthetic patients, canned answers, the table."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from legithealth_async.models import ConditionInput, Frequency

TOKEN = "bench-token"
BASE_URL = "http://bench.invalid/integration/v1"

PATHOLOGIES = ("EA90", "ED80", "2C30", "EA80")
SITES = ("headFront", "trunkBack", "armLeft", "legRight", "scalp")


@dataclass
class Settings:
    """How big each benchmark is (``quick`` shrinks everything for development)."""

    quick: bool = False
    reps: int = 5
    calls_small: int = 2000
    calls_large: int = 200
    sync_records: int = 5000
    sync_records_low: int = 1000  # at concurrency 10 (5,000 would take 28 s a run)
    concurrencies: tuple[int, ...] = (10, 100)  # in-process: the second view (loopback first)
    latency_only: tuple[int, ...] = (100,)
    sync_reps: int = 2
    sequential_records: int = 40
    getmany_ids: int = 10_000
    getmany_reps: int = 3
    memory_pair: tuple[int, int] = (10_000, 100_000)

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if not quick:
            return cls()
        return cls(
            quick=True,
            reps=3,
            calls_small=300,
            calls_large=30,
            sync_records=1000,
            sync_records_low=400,
            concurrencies=(10, 100),
            latency_only=(100,),
            sync_reps=1,
            sequential_records=10,
            getmany_ids=2000,
            getmany_reps=1,
            memory_pair=(1000, 10_000),
        )


@dataclass
class Row:
    """One line of the results table."""

    section: str
    name: str
    value: str
    ratio: str = ""
    target: str = ""
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.rows.append(Row(*args, **kwargs))

    def table(self) -> str:
        head = ("Section", "Measure", "Value", "Ratio", "Target", "Note")
        cells = [head] + [
            (r.section, r.name, r.value, r.ratio, r.target, r.note) for r in self.rows
        ]
        widths = [max(len(c[i]) for c in cells) for i in range(len(head))]

        def line(c: tuple[str, ...]) -> str:
            return "| " + " | ".join(x.ljust(w) for x, w in zip(c, widths, strict=True)) + " |"

        sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
        return "\n".join([line(head), sep, *(line(c) for c in cells[1:])])


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    """min-max of the repetitions, as a ± percentage of the median."""
    m = statistics.median(values)
    if len(values) < 2 or not m:
        return ""
    return f"±{100 * (max(values) - min(values)) / 2 / m:.0f}%"


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# ------------------------------------------------------------------------------ patients


def patient_json(i: int, *, conditions: int = 2) -> dict[str, Any]:
    """A patient as the API answers it (with ``conditions`` conditions)."""
    return {
        "id": f"pat_{i:08d}",
        "externalId": f"ext-{i:08d}",
        "firstName": "Ana",
        "lastName": f"Garcia {i}",
        "email": f"patient{i}@example.org",
        "phone": None,
        "birthDate": "1980-02-29",
        "gender": "female",
        "language": "es",
        "conditions": [
            {
                "id": f"cond_{i:08d}_{k}",
                "pathologyCode": PATHOLOGIES[k % len(PATHOLOGIES)],
                "bodySiteCode": SITES[k % len(SITES)],
                "isTracked": k % 2 == 0,
                "frequency": {"every": 2, "unit": "week"} if k % 2 == 0 else None,
            }
            for k in range(conditions)
        ],
    }


def record_json(i: int) -> dict[str, Any]:
    """One line of a JSONL patient file (what an HRM exports)."""
    return {
        "externalId": f"ext-{i:08d}",
        "firstName": "Ana",
        "lastName": f"Garcia {i}",
        "email": f"patient{i}@example.org",
        "birthDate": "1980-02-29",
        "gender": "female",
        "language": "es",
        "conditions": [
            {"pathologyCode": "EA90", "bodySiteCode": "armLeft", "isTracked": True},
            {"pathologyCode": "ED80", "bodySiteCode": "headFront", "isTracked": False},
        ],
    }


def create_conditions() -> list[ConditionInput]:
    return [
        ConditionInput(pathology_code="EA90", body_site_code="armLeft", is_tracked=True),
        ConditionInput(
            pathology_code="ED80",
            body_site_code="headFront",
            is_tracked=True,
            frequency=Frequency(every=2, unit="week"),
        ),
    ]


def write_jsonl(path: str, n: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps(record_json(i), separators=(",", ":")))
            out.write("\n")


def iter_records(n: int, start: int = 0) -> Iterator[Any]:
    from legithealth_async.sync import parse_record

    for i in range(start, start + n):
        yield parse_record(record_json(i), line=i + 1)


# ------------------------------------------------------------------------------ transport


class CannedTransport(httpx.AsyncBaseTransport):
    """Answers every request from memory: POST -> the created patient (with the ``externalId``
    the request sent, as the API answers: the facade checks it), GET -> the list."""

    legithealth_in_process = True  # opens no socket (see legithealth_async._config)

    def __init__(self, created: bytes, listed: bytes) -> None:
        self._created = json.loads(created)
        self._listed = listed
        self._headers = [(b"content-type", b"application/json")]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            sent = json.loads(await request.aread())
            created = {**self._created, "externalId": sent["externalId"]}
            return httpx.Response(201, headers=self._headers, content=json.dumps(created).encode())
        return httpx.Response(200, headers=self._headers, content=self._listed)


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts the requests that go through another transport."""

    legithealth_in_process = True  # opens no socket (see legithealth_async._config)

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class PooledTransport(httpx.AsyncBaseTransport):
    """httpx's default connection pool, emulated in front of an in-process transport.

    An in-process (ASGI) transport has no pool, so a user's default ``httpx.AsyncClient`` would
    look unbounded here; on a network it is bounded by ``max_connections=100`` and waits at most
    ``pool=5 s`` for a connection before raising ``httpx.PoolTimeout``. This gives the naive
    baseline that same bound: a connection is held until the answer is read.
    """

    legithealth_in_process = True  # opens no socket (see legithealth_async._config)

    def __init__(
        self, inner: httpx.AsyncBaseTransport, max_connections: int = 100, pool_s: float = 5.0
    ) -> None:
        import anyio

        self._inner = inner
        self._slots = anyio.Semaphore(max_connections)
        self._pool_s = pool_s

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import anyio

        try:
            with anyio.fail_after(self._pool_s):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no connection within the pool timeout") from None
        try:
            response = await self._inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self._slots.release()


class LatencyTransport(httpx.AsyncBaseTransport):
    """A server that costs no CPU: sleeps ``latency_s`` and answers from memory.

    POST -> the created patient (what was sent, with ids: the sync compares it with the
    record); GET -> ``[]`` (nobody known yet). Isolates the client's own cost from the
    sandbox's (routing, JSON-schema validation, state).
    """

    legithealth_in_process = True  # opens no socket (see legithealth_async._config)

    def __init__(self, latency_s: float, created: bytes) -> None:
        self._latency_s = latency_s
        self._created = created
        self._headers = [(b"content-type", b"application/json")]
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import anyio

        self.requests += 1
        await anyio.sleep(self._latency_s)
        if request.method == "POST":
            return httpx.Response(201, headers=self._headers, content=_echo(request.content))
        return httpx.Response(200, headers=self._headers, content=b"[]")


def _echo(body: bytes) -> bytes:
    """The patient a create made: the body sent, with Legit.Health's ids."""
    sent = json.loads(body)
    ext = sent["externalId"]
    conditions = [
        {
            "isTracked": False,
            "frequency": None,
            **c,
            "id": f"cond_{ext}_{k}",
        }
        for k, c in enumerate(sent.get("conditions") or ())
    ]
    return json.dumps({**sent, "id": f"pat_{ext}", "conditions": conditions}).encode()
