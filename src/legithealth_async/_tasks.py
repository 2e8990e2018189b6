"""Structured concurrency helpers (anyio task groups) shared by resources, flows and sync."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar, cast

import anyio

T = TypeVar("T")
K = TypeVar("K")


async def in_order(
    chunks: Sequence[K],
    fetch: Callable[[K], Awaitable[T]],
    *,
    window: int,
) -> AsyncIterator[tuple[K, T]]:
    """Fetch chunks concurrently, ``window`` at a time, and yield each result in chunk order.

    Concurrency lives inside an awaited task group per window, never across a ``yield``: an
    abandoned iteration leaves no task running.
    """
    window = max(window, 1)
    for start in range(0, len(chunks), window):
        batch = chunks[start : start + window]
        results: list[T | None] = [None] * len(batch)

        async def run(i: int, chunk: K, out: list[T | None] = results) -> None:
            out[i] = await fetch(chunk)

        await run_all([functools.partial(run, i, chunk) for i, chunk in enumerate(batch)])
        for chunk, result in zip(batch, results, strict=True):
            yield chunk, cast(T, result)


async def run_all(jobs: Sequence[Callable[[], Coroutine[Any, Any, object]]]) -> None:
    """Run jobs concurrently; the first failure cancels the rest and is raised as itself.

    (Not wrapped in an ExceptionGroup: callers catch this library's typed errors.)
    """
    try:
        async with anyio.create_task_group() as tg:
            for job in jobs:
                tg.start_soon(job)
    except BaseExceptionGroup as group:
        raise first_error(group) from None


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first leaf of a task group's error that is not a cancellation (else the first)."""
    leaves: list[BaseException] = []

    def walk(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                walk(inner)
        else:
            leaves.append(exc)

    walk(group)
    cancelled = anyio.get_cancelled_exc_class()
    for leaf in leaves:
        if not isinstance(leaf, cancelled):
            return leaf
    return leaves[0]
