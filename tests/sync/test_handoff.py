"""The sync's hand-offs on their own: a worker pool with a cap, and outcomes read in order."""

from __future__ import annotations

import anyio
import pytest
from anyio import wait_all_tasks_blocked

from legithealth_async.sync.handoff import InOrder, WorkQueue


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.anyio
async def test_workers_start_on_demand_never_above_the_cap_and_take_every_item() -> None:
    gate = anyio.Event()
    busy = 0
    most = 0
    done: list[int] = []

    async def handle(item: int) -> None:
        nonlocal busy, most
        busy += 1
        most = max(most, busy)
        await gate.wait()
        busy -= 1
        done.append(item)

    async with anyio.create_task_group() as tg:
        queue = WorkQueue[int](tg, 3, handle)
        queue.put(0)
        await wait_all_tasks_blocked()
        assert busy == 1  # one item: one worker started, not three
        for i in range(1, 10):
            queue.put(i)
        await wait_all_tasks_blocked()
        assert busy == 3  # the cap
        gate.set()
        queue.close()
    assert most == 3
    assert done == sorted(done) and done == list(range(10))  # each item once, in order taken


@pytest.mark.anyio
async def test_idle_workers_are_woken_and_end_when_closed() -> None:
    seen: list[int] = []

    async def handle(item: int) -> None:
        seen.append(item)
        await anyio.lowlevel.checkpoint()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            queue = WorkQueue[int](tg, 2, handle)
            queue.put(1)
            queue.put(2)
            await wait_all_tasks_blocked()  # both workers idle now
            queue.put(3)  # wakes one
            await wait_all_tasks_blocked()
            queue.close()  # the idle ones end; the group exits
    assert seen == [1, 2, 3]
    with pytest.raises(RuntimeError, match="closed"):
        queue.put(4)


@pytest.mark.anyio
async def test_outcomes_are_read_in_position_order_as_soon_as_each_can_be() -> None:
    freed = 0

    def on_read() -> None:
        nonlocal freed
        freed += 1

    order = InOrder[str](on_read)
    read: list[str] = []

    async def reader() -> None:
        async for value in order.read():
            read.append(value)

    async with anyio.create_task_group() as tg:
        tg.start_soon(reader)
        order.put(2, "c")
        order.put(1, "b")
        await wait_all_tasks_blocked()
        assert read == []  # position 0 holds the rest back
        order.put(0, "a")
        await wait_all_tasks_blocked()
        assert read == ["a", "b", "c"] and freed == 3
        order.put(3, "d")
        order.end(4)
    assert read == ["a", "b", "c", "d"]
