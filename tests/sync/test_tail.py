"""A sync as fast as the network, not as its slowest answer (issue 24).

Event ordering and virtual time only: a slow answer is an answer held until the test lets it go.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from _toolkit import no_sleep
from anyio import wait_all_tasks_blocked

from legithealth_async import LegitHealth, Lookup, RetryPolicy
from legithealth_async import _constants as C
from legithealth_async.errors import APIConnectionError, BadRequestError, InternalServerError
from legithealth_async.models import Patient
from legithealth_async.sandbox import FaultPlan, Sandbox
from legithealth_async.sync import Journal, ServerUnavailableError, sync_patients
from legithealth_async.sync.breaker import Breaker

from .conftest import rec
from .fakes import FakeClient

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class _Held(FakeClient):
    """Creates of the ids in ``held`` wait until ``release`` is set; counts what was read."""

    def __init__(self, held: set[str]) -> None:
        super().__init__()
        self.release = anyio.Event()
        self.created_while_held = 0
        create = self.patients.create

        async def slow(**kwargs: Any) -> Patient:
            if kwargs["external_id"] in held:
                await self.release.wait()
            elif not self.release.is_set():
                self.created_while_held += 1
            return await create(**kwargs)

        self.patients.create = slow  # type: ignore[method-assign]


async def test_a_slow_record_costs_its_own_slot_only(anyio_backend: str) -> None:
    """Completion order: every other record is done and yielded while one answer is held, and
    the records read ahead of those yielded never exceed the window."""
    client = _Held({"p0"})
    read = yielded = most_ahead = 0

    def source() -> Iterator[Any]:
        nonlocal read, most_ahead
        for i in range(300):
            read += 1
            most_ahead = max(most_ahead, read - yielded)
            yield rec(f"p{i}", line=i + 1)

    lines = []
    # A guard, not a timing: in input order the first outcome never comes while p0 is held.
    with anyio.fail_after(60):
        async with sync_patients(client, source(), concurrency=4, window=8) as outcomes:
            async for outcome in outcomes:
                yielded += 1
                lines.append(outcome.line)
                if yielded == 299:  # every record but the held one is done
                    client.release.set()
    assert sorted(lines) == list(range(1, 301)) and lines[-1] == 1  # the held one comes last
    assert client.created_while_held == 299
    assert most_ahead <= 8


async def test_input_order_is_asked_for_and_a_slow_record_holds_it_back() -> None:
    """``ordered=True``: nothing is yielded past the held record, and once the window has filled
    behind it, no more records are worked on (the cost the docs state)."""
    client = _Held({"p0"})
    records = [rec(f"p{i}", line=i + 1) for i in range(300)]
    lines: list[int | None] = []

    async def read_all() -> None:
        async with sync_patients(client, records, concurrency=4, window=8, ordered=True) as out:
            async for outcome in out:
                lines.append(outcome.line)

    async with anyio.create_task_group() as tg:
        tg.start_soon(read_all)
        await wait_all_tasks_blocked()
        assert lines == [] and client.created_while_held <= 8  # stalled behind line 1
        client.release.set()
    assert lines == list(range(1, 301))


class _Outage:
    """The server goes away once ``after`` patients were created: every request then fails to
    connect, until ``after`` is raised again (the server is back)."""

    def __init__(self, client: FakeClient, after: int) -> None:
        self.after = after
        create, get_many = client.patients.create, client.patients.get_many

        def gone() -> bool:
            return len(client.patients.by_id) >= self.after

        async def refusing_create(**kwargs: Any) -> Patient:
            if gone():
                raise APIConnectionError("createPatient", "connection refused")
            return await create(**kwargs)

        async def refusing_lookup(external_ids: Iterable[str]) -> Lookup[Patient]:
            if gone():
                raise APIConnectionError("getPatients", "connection refused")
            return await get_many(external_ids)

        client.patients.create = refusing_create  # type: ignore[method-assign]
        client.patients.get_many = refusing_lookup  # type: ignore[method-assign]


async def test_a_server_gone_stops_the_run_and_the_next_run_resumes(
    anyio_backend: str, tmp_path: Path
) -> None:
    client = FakeClient()
    outage = _Outage(client, after=150)
    records = [rec(f"p{i}", line=i + 1) for i in range(2_000)]
    journal = tmp_path / "j.db"
    seen = []
    with pytest.raises(ServerUnavailableError) as stopped:
        async with sync_patients(client, records, concurrency=4, journal=journal) as outcomes:
            seen = [o async for o in outcomes]
    message = str(stopped.value)
    assert "memory://legit.health" not in message and "legit.health" in message  # the host
    assert "connection refused" in message and "run the sync again" in message
    assert "p1" not in message.replace("p1@", "") and "@example.org" not in message
    # It stopped after the breaker's count, not after every record failed.
    assert client.patients.calls["get_many"] < 30 and len(seen) < 500
    with Journal(journal) as j:
        assert j.integrity_check()
        synced = {e.external_id for e in j.entries() if e.succeeded}
    assert synced == set(client.patients.by_id)  # the journal says what the server holds

    outage.after = 10**9  # the server is back
    async with sync_patients(client, records, concurrency=4, journal=journal) as outcomes:
        rest = [o async for o in outcomes]
    assert len(rest) == 2_000 and not [o for o in rest if o.failed]
    assert sum(o.from_journal for o in rest) == len(synced)
    assert client.patients.calls["create"] - client.patients.calls.get("get", 0) == 2_000
    assert len(client.patients.by_id) == 2_000  # every patient once: no duplicate


def test_the_breaker_counts_failures_in_a_row_and_any_answer_closes_it() -> None:
    now = [0.0]
    breaker = Breaker(
        "https://api.example.org:8443/v1", failures=3, seconds=60, clock=lambda: now[0]
    )
    refused = APIConnectionError("getPatients", "connection refused")
    breaker.ended(refused, 0.0)
    breaker.ended(InternalServerError("createPatient", 500), 0.0)
    breaker.ended(BadRequestError("createPatient", 400), 0.0)  # the server is there: closed
    breaker.ended(refused, 0.0)
    breaker.ended(refused, 0.0)
    with pytest.raises(ServerUnavailableError, match=r"at api\.example\.org:8443 looks") as opened:
        breaker.ended(refused, 0.0)
    assert opened.value.failures == 3 and opened.value.host == "api.example.org:8443"


def test_the_breaker_opens_when_every_request_of_the_last_seconds_failed() -> None:
    now = [100.0]
    breaker = Breaker("http://h", failures=1000, seconds=20, clock=lambda: now[0])
    refused = APIConnectionError("createPatient", "connection refused")
    now[0] = 107.0
    breaker.ended(refused, 100.0)  # sent at 100, failed at 107 (its retries)
    now[0] = 119.0
    breaker.ended(refused, 112.0)  # 19 s of failures only
    breaker.succeeded()  # an answer: the run of failures starts again
    now[0] = 139.0
    breaker.ended(refused, 120.0)
    with pytest.raises(ServerUnavailableError, match="over 20 s"):
        now[0] = 140.0
        breaker.ended(refused, 130.0)  # 20 s since the first failed request was sent


def test_the_cli_exits_3_naming_the_host_and_the_next_run_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every connection refused: exit 3, one line naming the host; then the server is back."""
    from legithealth_async import cli
    from legithealth_async.demo import write_patients

    def fast_client(sandbox: Sandbox, max_in_flight: int) -> LegitHealth:  # no real sleeps
        return LegitHealth(
            api_token=sandbox.token,
            base_url=sandbox.base_url,
            transport=sandbox.transport(),
            retry_policy=RetryPolicy(initial=0.01, maximum=0.05),
            sleep=no_sleep,
            max_in_flight=max_in_flight,
        )

    monkeypatch.setattr(cli, "_sandbox_client", fast_client)
    path = tmp_path / "p.jsonl"
    write_patients(path, 3_000, seed=4)
    journal = tmp_path / "j.sqlite"
    sandbox = Sandbox(seed=4)

    def sync() -> int:
        options = cli.SyncOptions(file=path, journal=journal, progress="none")
        return anyio.run(lambda: cli.run_sync(options, sandbox=sandbox))

    sandbox.faults.set("*", FaultPlan(drop_before_rate=1.0))
    assert sync() == cli.EXIT_STOPPED
    err = capsys.readouterr().err
    stopped = [line for line in err.splitlines() if "looks unavailable" in line]
    assert len(stopped) == 1 and "the server at sandbox " in stopped[0], err
    assert "@" not in err  # no patient value
    assert sandbox.patients() == {}

    sandbox.faults.clear()
    assert sync() == cli.EXIT_OK
    assert len(sandbox.patients()) == 3_000
    assert all(sandbox.create_effects(ext) == 1 for ext in sandbox.patients())


class _Gated(FakeClient):
    """Creates wait at a gate the test opens one at a time; ``in_flight`` counts the waiting."""

    max_in_flight = 100

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = 0
        self.gates: list[anyio.Event] = []
        self.opened = False
        create = self.patients.create

        async def gated(**kwargs: Any) -> Patient:
            if not self.opened:
                gate = anyio.Event()
                self.gates.append(gate)
                self.in_flight += 1
                try:
                    await gate.wait()
                finally:
                    self.in_flight -= 1
            return await create(**kwargs)

        self.patients.create = gated  # type: ignore[method-assign]

    def open_one(self) -> None:
        next(g for g in self.gates if not g.is_set()).set()


async def test_a_sync_starts_slowly_and_doubles_with_each_round_of_answers(
    anyio_backend: str,
) -> None:
    client = _Gated()
    records = [rec(f"p{i}", line=i + 1) for i in range(500)]
    seen = []

    async def read_all() -> None:
        async with sync_patients(client, records, concurrency=100) as outcomes:
            async for _ in outcomes:
                pass

    async with anyio.create_task_group() as tg:
        tg.start_soon(read_all)
        await wait_all_tasks_blocked()
        seen.append(client.in_flight)  # the first round: SYNC_SLOW_START
        for _ in range(2):  # two rounds of answers: each answer adds a slot
            for _ in range(client.in_flight):
                client.open_one()
            await wait_all_tasks_blocked()
            seen.append(client.in_flight)
        client.opened = True  # then every answer at once, and the run ends
        for gate in client.gates:
            gate.set()
    first = C.SYNC_SLOW_START + 5  # and one more for each of the 5 batch lookups answered
    assert seen == [first, 2 * first, 4 * first]


async def test_the_slow_start_waits_while_429s_come_and_opens_when_paced() -> None:
    from legithealth_async.sync.engine import _SlowStart
    from legithealth_async.sync.pacing import RatePacer

    now = [0.0]
    pacer = RatePacer(clock=lambda: now[0])
    limiter = anyio.Semaphore(100)
    start = _SlowStart(limiter, 100, pacer)
    assert limiter.value == 16
    start.accepted()
    assert limiter.value == 17
    pacer.answered(1, throttled=True)  # a 429: no growth on the next answer
    start.accepted()
    assert limiter.value == 17
    start.accepted()  # no new 429 since: growth again
    assert limiter.value == 18
    for ticket in range(2, 10):  # enough 429s for the pacer to find the rate: it paces
        pacer.answered(ticket, throttled=True)
    assert pacer.rate is not None
    start.accepted()
    assert limiter.value == 100


async def test_a_record_waiting_out_a_retry_gives_its_slot_to_another(anyio_backend: str) -> None:
    """Concurrency 1, every create answered 503: two records wait out their backoff at once
    (a record's wait holds its worker, not its slot), never two requests at once."""
    sandbox = Sandbox(seed=3)
    sandbox.faults.set("createPatient", FaultPlan(error_rate=1.0))
    release = anyio.Event()
    waiting = peak = 0

    async def sleep(_: float) -> None:
        nonlocal waiting, peak
        waiting += 1
        peak = max(peak, waiting)
        try:
            await release.wait()
        finally:
            waiting -= 1

    lh = LegitHealth(
        api_token=sandbox.token,
        base_url=sandbox.base_url,
        transport=sandbox.transport(),
        retry_policy=RetryPolicy(max_retries=1),
        sleep=sleep,
    )
    outcomes = []

    async def read_all() -> None:
        async with sync_patients(lh, [rec(f"p{i}") for i in range(4)], concurrency=1) as out:
            outcomes.extend([o async for o in out])

    async with lh, anyio.create_task_group() as tg:
        tg.start_soon(read_all)
        await wait_all_tasks_blocked()
        assert waiting == C.SYNC_WORKERS_PER_SLOT == 2 and lh.in_flight == 0
        release.set()
    assert peak == 2 and len(outcomes) == 4 and all(o.failed for o in outcomes)
