"""The engine on its own: an in-memory client (no HTTP), on asyncio and on trio."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Iterable
from typing import Any

import anyio
import httpx
import pytest
from anyio import wait_all_tasks_blocked

from legithealth_async import Lookup
from legithealth_async import _constants as C
from legithealth_async.errors import AuthenticationError
from legithealth_async.models import Patient
from legithealth_async.sandbox import FaultPlan, Sandbox
from legithealth_async.sync import Journal, Outcome, PatientRecord, sync_patients

from .conftest import client_for, rec, run
from .fakes import FakeClient


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.anyio
async def test_a_small_sync_on_the_sandbox_runs_on_asyncio_and_trio(anyio_backend: str) -> None:
    sandbox = Sandbox(seed=5)
    records = [rec(f"p{i}", line=i + 1) for i in range(30)]
    async with client_for(sandbox) as lh:
        first = await run(lh, records, concurrency=4)
        records[3] = rec("p3", first_name="Ada", line=4)
        second = await run(lh, records, concurrency=4)
    assert [o.outcome for o in first] == [Outcome.CREATED] * 30
    assert [o.line for o in second] == list(range(1, 31))  # input order
    assert second[3].outcome is Outcome.UPDATED
    assert {o.outcome for o in second[:3] + second[4:]} == {Outcome.UNCHANGED}
    assert sandbox.patient("p3")["firstName"] == "Ada"


@pytest.mark.anyio
async def test_the_engine_against_an_in_memory_client(anyio_backend: str) -> None:
    fake = FakeClient()
    records = [rec(f"p{i}", line=i + 1) for i in range(250)]
    outcomes = await run(fake, records, concurrency=4)
    assert [o.outcome for o in outcomes] == [Outcome.CREATED] * 250
    assert fake.patients.calls == {"get_many": 3, "create": 250}  # one lookup per 100
    records[7] = rec("p7", first_name="Ada", line=8)
    again = await run(fake, [*records, rec("p7", line=251)], concurrency=4)
    assert [o.outcome for o in again[:7]] == [Outcome.UNCHANGED] * 7
    assert again[7].outcome is Outcome.UPDATED and again[7].changes == ("first_name",)
    assert again[-1].reason is not None and again[-1].reason.error == "DuplicateRecord"
    assert fake.patients.by_id["p7"].first_name == "Ada"
    assert fake.patients.calls["patch"] == 1


@pytest.mark.anyio
async def test_the_journal_skips_what_it_holds(anyio_backend: str, tmp_path: Any) -> None:
    fake = FakeClient()
    records = [rec(f"p{i}", line=i + 1) for i in range(10)]
    await run(fake, records, journal=tmp_path / "j.db")
    again = await run(fake, records, journal=tmp_path / "j.db")
    assert all(o.from_journal and o.outcome is Outcome.UNCHANGED for o in again)
    assert fake.patients.calls["get_many"] == 1  # the second run asked nothing
    with Journal(tmp_path / "j.db") as journal:
        # One outcome vocabulary: the journal's outcomes are the Outcome values.
        assert journal.counts() == {Outcome.CREATED: 10}
        entry = journal.get("p1")
    assert entry is not None and entry.outcome is Outcome.CREATED and entry.succeeded


async def test_concurrency_above_the_clients_limit_is_capped_and_said() -> None:
    fake = FakeClient()  # max_in_flight = 8
    in_flight = peak = 0
    full = anyio.Event()
    create = fake.patients.create

    async def counting(**kwargs: Any) -> Patient:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight == 8:
            full.set()
        try:
            # The first creates wait until eight are in flight together: the cap is reached
            # whatever the scheduling (a lower cap never gets there: fail_after below).
            await full.wait()
            return await create(**kwargs)
        finally:
            in_flight -= 1

    fake.patients.create = counting  # type: ignore[method-assign]
    with anyio.fail_after(30):
        with pytest.warns(RuntimeWarning, match="above the client's max_in_flight 8") as said:
            session = sync_patients(fake, [rec(f"p{i}") for i in range(200)], concurrency=100)
        assert said[0].filename == __file__  # it points at the caller's line
        async with session as outcomes:
            done = [o async for o in outcomes]
    assert session.options.concurrency == 8
    assert len(done) == 200 and peak == 8


async def test_the_default_concurrency_is_capped_quietly() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        session = sync_patients(FakeClient(), [])  # 16 asked by nobody: capped to 8
    assert session.options.concurrency == 8


async def test_repeats_are_reported_within_the_duplicate_memory_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Memory stays flat: ids are remembered for a bounded number of records, not forever."""
    monkeypatch.setattr(C, "SYNC_DUPLICATE_MEMORY", 4)
    fake = FakeClient()
    ids = ["a", "b", "a", "c", "d", "e", "f", "a"]
    outcomes = await run(fake, [rec(i, line=n + 1) for n, i in enumerate(ids)], window=1)
    kinds = [o.reason.error if o.reason else o.outcome.value for o in outcomes]
    # The second "a" (2 records later) is a duplicate; the third (6 later) is synced again,
    # unchanged: the lookup found what the first one made.
    assert kinds == [
        "created",
        "created",
        "DuplicateRecord",
        "created",
        "created",
        "created",
        "created",
        "unchanged",
    ]
    assert outcomes[2].reason is not None and "line 1" in outcomes[2].reason.message


async def test_a_fatal_error_is_raised_from_the_block_as_itself() -> None:
    fake = FakeClient()

    async def refused(external_ids: Iterable[str]) -> Lookup[Patient]:
        raise AuthenticationError("getPatients", 401)

    fake.patients.get_many = refused  # type: ignore[method-assign]
    with pytest.raises(AuthenticationError):
        await run(fake, [rec("p1")])


async def test_leaving_the_block_early_stops_the_work_and_closes_the_source() -> None:
    fake = FakeClient()
    closed = []

    async def source() -> AsyncIterator[PatientRecord]:
        try:
            for i in range(10_000):
                yield rec(f"p{i}")
        finally:
            closed.append(True)

    tasks_before = set(asyncio.all_tasks())
    async with sync_patients(fake, source(), concurrency=4) as outcomes:
        async for _ in outcomes:
            break
    made = len(fake.patients.by_id)
    assert closed == [True]
    assert made < 10_000  # at most a window ahead
    assert set(asyncio.all_tasks()) <= tasks_before  # no worker left behind
    await wait_all_tasks_blocked()  # anything left running would create now
    assert len(fake.patients.by_id) == made  # nothing goes on after the block


class _OtherWriterFirst(httpx.AsyncBaseTransport):
    """Another writer creates p1 (with other data) just before our create, which then fails
    ambiguously (a 503 before the effect): the client's reconciliation finds the other's."""

    legithealth_in_process = True  # opens no socket (see legithealth_async._config)

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.inner = sandbox.transport()
        self.done = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and not self.done:
            self.done = True
            async with self.sandbox.client() as other:
                made = await other.post(
                    "/patients", json={"externalId": "p1", "email": "other@example.org"}
                )
                assert made.status_code == 201, made.text
            plan = FaultPlan(error_rate=1.0, error_status=503, retry_after=None, limit=1)
            self.sandbox.faults.set("createPatient", plan)
        return await self.inner.handle_async_request(request)


async def test_reconciliation_that_finds_other_data_patches_it(tmp_path: Any) -> None:
    """Issue 10: never report `created` (and journal our hash) for what another writer made."""
    sandbox = Sandbox(seed=9)
    async with client_for(sandbox, transport=_OtherWriterFirst(sandbox)) as lh:
        [outcome] = await run(lh, [rec("p1", first_name="Ada")], journal=tmp_path / "j.db")
    assert sandbox.create_effects("p1") == 1  # the other writer's
    assert outcome.outcome is Outcome.UPDATED
    assert set(outcome.changes) == {"email", "first_name"}
    held = sandbox.patient("p1")
    assert held["email"] == "p1@example.org" and held["firstName"] == "Ada"
    with Journal(tmp_path / "j.db") as journal:
        entry = journal.get("p1")
    assert entry is not None and entry.outcome is Outcome.UPDATED
