"""How the sync's stages hand records to each other without a task or a stream per record.

- :class:`WorkQueue`: records for a pool of at most ``workers`` tasks, each started the first
  time it is needed and working on one record after another (starting an anyio task per record
  cost ~25% of the engine's CPU, ``benchmarks/LIMITS.md``).
- :class:`Completed`: outcomes handed out as they complete (the default): a slow record holds
  back nothing but itself;
- :class:`InOrder`: outcomes put by position and handed out in input order (``ordered=True``);
  the reader is woken only when the next one in order arrives (a memory object stream woke it,
  with a checkpoint on each side, for every outcome).

Both are used from one event loop (like the client): their methods that do not wait are plain
calls.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Generic, TypeVar

import anyio
from anyio.abc import TaskGroup

T = TypeVar("T")


class WorkQueue(Generic[T]):
    """Items handled by at most ``workers`` tasks of ``tg``, in the order they were put."""

    def __init__(self, tg: TaskGroup, workers: int, handle: Callable[[T], Awaitable[None]]) -> None:
        self._tg = tg
        self._workers = workers
        self._handle = handle
        self._items: deque[T] = deque()
        self._idle: deque[anyio.Event] = deque()
        self._started = 0
        self._closed = False

    def put(self, item: T) -> None:
        """Queue ``item``: an idle worker is woken, or one more started while under the cap."""
        if self._closed:
            raise RuntimeError("the work queue is closed")
        self._items.append(item)
        if self._idle:
            self._idle.popleft().set()
        elif self._started < self._workers:
            self._started += 1
            self._tg.start_soon(self._work)

    def close(self) -> None:
        """No more items: each worker ends once the queue is empty."""
        self._closed = True
        while self._idle:
            self._idle.popleft().set()

    async def _work(self) -> None:
        while True:
            while self._items:
                await self._handle(self._items.popleft())
            if self._closed:
                return
            woken = anyio.Event()
            self._idle.append(woken)
            await woken.wait()


class _Empty:
    """Nothing to hand out yet (a value of its own: ``None`` could be a value)."""


_EMPTY = _Empty()


class _Handoff(Generic[T]):
    """What :class:`InOrder` and :class:`Completed` share: the end, the wake-up, the read loop.

    ``on_read`` is called as each value is handed out (the sync frees room for one more
    record); :meth:`end` says how many values there are in all. A subclass says which value
    goes out next (:meth:`_pop`).
    """

    def __init__(self, on_read: Callable[[], None]) -> None:
        self._read = 0
        self._total: int | None = None
        self._wake = anyio.Event()
        self._on_read = on_read

    def _pop(self) -> T | _Empty:
        raise NotImplementedError

    def end(self, total: int) -> None:
        """``total`` values in all (positions below ``total``) are put or will be; none after."""
        self._total = total
        self._wake.set()

    async def read(self) -> AsyncGenerator[T]:
        """Each value as soon as it may go out; ends after the ``total``-th."""
        while True:
            while not isinstance(value := self._pop(), _Empty):
                self._read += 1
                self._on_read()
                yield value
            if self._total is not None and self._read >= self._total:
                return
            self._wake = anyio.Event()
            await self._wake.wait()


class InOrder(_Handoff[T]):
    """Values put by position (0, 1, 2...), read in that order as soon as each one can be."""

    def __init__(self, on_read: Callable[[], None]) -> None:
        super().__init__(on_read)
        self._ready: dict[int, T] = {}

    def put(self, position: int, value: T) -> None:
        """The value at ``position`` is known (each position is put once)."""
        self._ready[position] = value
        if position == self._read:
            self._wake.set()

    def _pop(self) -> T | _Empty:
        return self._ready.pop(self._read, _EMPTY)


class Completed(_Handoff[T]):
    """Values read in the order they are put (completion order), as soon as each one is.

    The same calls as :class:`InOrder` (``put`` takes a position, which is ignored), so the sync
    uses either.
    """

    def __init__(self, on_read: Callable[[], None]) -> None:
        super().__init__(on_read)
        self._ready: deque[T] = deque()

    def put(self, position: int, value: T) -> None:
        """A value is done (its position is not needed: it goes out after those done before)."""
        self._ready.append(value)
        self._wake.set()

    def _pop(self) -> T | _Empty:
        return self._ready.popleft() if self._ready else _EMPTY
