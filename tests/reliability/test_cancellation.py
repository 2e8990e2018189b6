"""Cancellation: a sync cancelled mid-run, a create cancelled in its backoff or its lookup.

Nothing may be left running (tasks, connections, requests sent later), and the journal must be
consistent with what Legit.Health holds, so that a second run completes the rest exactly once.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx
import pytest
from _toolkit import BlockingSleep, Recorder, cancel_when, wait_until
from anyio import wait_all_tasks_blocked

from legithealth_async import LegitHealth, RetryPolicy
from legithealth_async._transports.http11 import Http11Transport
from legithealth_async._transports.sharded import ShardedTransport
from legithealth_async._transports.via_httpx import HttpxTransport
from legithealth_async.sandbox import FaultPlan, Sandbox, SandboxServer
from legithealth_async.sync import Journal, SyncOutcome, sync_patients

from .conftest import check_created_as_recorded, make_records

COUNT = 800


def _nothing_in_use(lh: LegitHealth) -> list[Callable[[], bool]]:
    """Check that no connection of the client's transport is in use (at most its limit remain
    open); return a check per connection that it is closed (for after ``aclose``)."""
    inner = lh._session.sender.transport.inner  # type: ignore[attr-defined]
    if isinstance(inner, HttpxTransport):
        inner = inner.inner
    if isinstance(inner, ShardedTransport):
        pools = [shard._pool for shard in inner._shards]
        connections = [c for pool in pools for c in pool.connections]
        assert all(pool._requests == [] for pool in pools)
        assert all(c.is_idle() or c.is_closed() for c in connections)
        assert inner._load == [0] * len(pools)
        # Connections whose request was cancelled are closed and dropped by their pool, so
        # how many remain depends on timing; never more than the client's limit.
        assert len(connections) <= 16
        return [c.is_closed for c in connections]
    assert isinstance(inner, Http11Transport)
    assert not inner._busy  # every exchange ended; cancelled ones closed their connection
    idle = [c for held in inner._idle.values() for c in held]
    assert len(idle) <= 16
    return [lambda c=c: c.closed for c in idle]


@pytest.mark.loopback
@pytest.mark.parametrize("transport", ["asyncio", "httpx"])
async def test_cancelling_a_sync_mid_run_leaves_nothing_running(
    tmp_path: Path, transport: str
) -> None:
    sandbox = Sandbox(seed=31)
    plan = {"latency_ms": 40.0, "jitter_ms": 30.0, "error_rate": 0.1, "retry_after": None}
    sandbox.faults.set("*", FaultPlan(**plan))
    sandbox.faults.set("createPatient", FaultPlan(**plan, drop_after_rate=0.05))
    records = make_records(COUNT, seed=41)
    journal_path = tmp_path / "journal.sqlite"
    policy = RetryPolicy(initial=0.02, maximum=0.2, max_retries=8)

    with SandboxServer(sandbox) as server:

        def client() -> LegitHealth:
            return LegitHealth(
                server.token,
                base_url=server.base_url,
                max_in_flight=16,
                retry_policy=policy,
                transport=transport,  # type: ignore[arg-type]
            )

        tasks_before = set(asyncio.all_tasks())
        seen: list[SyncOutcome] = []
        yielded: list[SyncOutcome] = []
        async with client() as lh:
            with anyio.CancelScope() as scope:

                def progress(outcome: SyncOutcome) -> None:
                    seen.append(outcome)
                    if len(seen) == 400:  # mid-run: requests in flight
                        scope.cancel()

                async with sync_patients(
                    lh, records, journal=journal_path, concurrency=32, on_progress=progress
                ) as stream:
                    async for outcome in stream:
                        yielded.append(outcome)
            assert scope.cancelled_caught
            # Outcomes are yielded in input order, so a slow early record holds the yields back
            # (not the work): how many were yielded depends on timing, never more than seen.
            assert len(yielded) < len(seen) < COUNT
            assert [o.external_id for o in yielded] == [r.external_id for r in records][
                : len(yielded)
            ]

            # Nothing left running: no task, no request in flight, every slot back.
            assert set(asyncio.all_tasks()) <= tasks_before
            assert lh.in_flight == 0
            closed = _nothing_in_use(lh)
        # Closed: every client connection closed, and the server sees them all go and ends the
        # requests it was still handling (in their latency: their creates may still take effect).
        assert all(check() for check in closed)
        await anyio.to_thread.run_sync(wait_until, lambda: server.idle, "the server went idle")

        # The journal is intact and says only what Legit.Health holds, each patient once.
        with Journal(journal_path) as journal:
            assert journal.integrity_check()
            entries = list(journal.entries())
        assert len(entries) >= len(yielded)  # what was yielded was committed first
        for entry in entries:
            assert entry.outcome == "created"
            held = sandbox.patient(entry.external_id)
            assert held is not None and held["id"] == entry.patient_id
            assert sandbox.create_effects(entry.external_id) == 1
        made_before = len(sandbox.patients())
        assert len(entries) <= made_before < COUNT

        # A second run completes the rest, with no duplicate.
        tasks_before = set(asyncio.all_tasks())
        async with client() as lh:
            async with sync_patients(lh, records, journal=journal_path, concurrency=32) as stream:
                rest = [o async for o in stream]
        assert set(asyncio.all_tasks()) <= tasks_before
    assert len(rest) == COUNT and not [o for o in rest if o.failed]
    assert sum(o.from_journal for o in rest) == len(entries)
    assert len(sandbox.patients()) == COUNT
    check_created_as_recorded(sandbox, records)
    with Journal(journal_path) as journal:
        assert journal.integrity_check()
        counts = journal.counts()
        assert set(counts) <= {"created", "unchanged"} and sum(counts.values()) == COUNT


class Signalling(Recorder):
    """The toolkit's recorder, setting ``sent_get`` when a lookup goes out."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        super().__init__(inner)
        self.sent_get = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            self.sent_get.set()
        return await super().handle_async_request(request)


def _client(sandbox: Sandbox, recorder: Recorder, backoff: BlockingSleep) -> LegitHealth:
    # The backoff never ends unless cancelled; the sandbox's Retry-After is not sent.
    return LegitHealth(sandbox.token, base_url=sandbox.base_url, transport=recorder, sleep=backoff)


async def test_a_create_cancelled_in_its_backoff_is_never_sent_again() -> None:
    sandbox = Sandbox(seed=1)
    # The first create fails before its effect; the lookup proves nothing was made; backoff.
    sandbox.faults.set("createPatient", FaultPlan(error_rate=1.0, limit=1, retry_after=None))
    recorder, backoff = Recorder(sandbox.transport()), BlockingSleep()
    async with _client(sandbox, recorder, backoff) as lh:
        tasks_before = set(asyncio.all_tasks())
        create = functools.partial(lh.patients.create, external_id="p1", email="a@example.org")
        assert await cancel_when(backoff.entered, create)
        assert [(m, p.rsplit("/", 1)[-1]) for m, p, _ in recorder.sent] == [
            ("POST", "patients"),
            ("GET", "patients"),  # the reconciliation lookup
        ]
        await wait_all_tasks_blocked()  # a leftover retry would go out now
        assert backoff.active == 0 and len(recorder.sent) == 2
        assert set(asyncio.all_tasks()) <= tasks_before
        assert lh.in_flight == 0
    assert sandbox.patient("p1") is None
    assert sandbox.create_attempts("p1") == 0


@pytest.mark.parametrize("first", ["error", "drop_after"])
async def test_a_create_cancelled_in_its_reconciliation_lookup_is_never_sent_again(
    first: str,
) -> None:
    sandbox = Sandbox(seed=2)
    if first == "error":  # nothing made
        sandbox.faults.set("createPatient", FaultPlan(error_rate=1.0, limit=1, retry_after=None))
    else:  # made, but the answer was lost
        sandbox.faults.set("createPatient", FaultPlan(drop_after_rate=1.0, limit=1))
    sandbox.faults.set("getPatients", FaultPlan(latency_ms=600_000))  # a lookup that hangs
    recorder, backoff = Signalling(sandbox.transport()), BlockingSleep()
    async with _client(sandbox, recorder, backoff) as lh:
        tasks_before = set(asyncio.all_tasks())
        create = functools.partial(lh.patients.create, external_id="p1", email="a@example.org")
        assert await cancel_when(recorder.sent_get, create)
        assert recorder.methods() == ["POST", "GET"]
        await wait_all_tasks_blocked()  # a leftover retry or lookup would go out now
        assert recorder.methods() == ["POST", "GET"]
        assert backoff == [] and backoff.active == 0  # never reached a backoff
        assert set(asyncio.all_tasks()) <= tasks_before
        assert lh.in_flight == 0
    made = 1 if first == "drop_after" else 0
    assert sandbox.create_effects("p1") == made
    assert sandbox.create_attempts("p1") == made
