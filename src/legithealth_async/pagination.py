"""Paging over any number of external ids: chunks the API accepts, fetched concurrently."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast
from urllib.parse import quote

import anyio

from . import _constants as C

T = TypeVar("T")

# `externalIds%5B%5D=` plus the `&` that joins it.
_PER_ID_OVERHEAD = len("externalIds%5B%5D=") + 1


@dataclass(frozen=True, slots=True)
class Lookup(Generic[T]):
    """What a lookup by external ids found, in the order asked, and which ids it did not find."""

    found: list[T]
    missing: list[str] = field(repr=False)

    def __repr__(self) -> str:
        return f"Lookup(found={len(self.found)}, missing={len(self.missing)})"


def unique(ids: Sequence[str]) -> list[str]:
    """The ids without repeats, in the order of their first appearance."""
    return list(dict.fromkeys(ids))


def chunk_ids(
    ids: Sequence[str],
    *,
    max_ids: int = C.MAX_IDS_PER_REQUEST,
    max_query_bytes: int | None = C.MAX_QUERY_BYTES,
) -> list[list[str]]:
    """Split ids into chunks of at most ``max_ids`` whose encoded query stays under the bound."""
    chunks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for ext_id in ids:
        cost = _PER_ID_OVERHEAD + len(quote(ext_id, safe="")) if max_query_bytes else 0
        if current and (
            len(current) >= max_ids or (max_query_bytes and size + cost > max_query_bytes)
        ):
            chunks.append(current)
            current, size = [], 0
        current.append(ext_id)
        size += cost
    if current:
        chunks.append(current)
    return chunks


async def in_order(
    chunks: Sequence[list[str]],
    fetch: Callable[[list[str]], Awaitable[T]],
    *,
    window: int,
) -> AsyncIterator[tuple[list[str], T]]:
    """Fetch chunks concurrently, ``window`` at a time, and yield each result in chunk order.

    Concurrency lives inside an awaited task group per window, never across a ``yield``: an
    abandoned iteration leaves no task running.
    """
    window = max(window, 1)
    for start in range(0, len(chunks), window):
        batch = chunks[start : start + window]
        results: list[T | None] = [None] * len(batch)

        async def run(i: int, chunk: list[str], out: list[T | None] = results) -> None:
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
