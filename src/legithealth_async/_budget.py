"""The decoded bytes of answers in flight, bounded across every answer of the process.

Each answer is bounded on its own (``max_response_bytes``, 32 MiB by default), but sixteen gzip
bombs read at once would still hold 16 x 32 MiB. Every body being decoded
(``_transports.body.BoundedBody``) takes its decoded bytes past its first 256 KiB from
:data:`DECODED` (small answers never take the lock), and gives them back when the body is
handed over whole or abandoned. A body that
would take the total past the budget while other answers hold some of it is refused
(``UnexpectedResponseError``); one answer alone is never refused by the budget, only by its own
bound. One budget per process (memory is the process's), of
``MAX_DECODED_BYTES_IN_FLIGHT`` bytes.
"""

from __future__ import annotations

import threading

from . import _constants as C

__all__ = ["DECODED", "DecodedBudget"]


class DecodedBudget:
    """A count of decoded bytes held, against ``capacity``; thread-safe."""

    __slots__ = ("_lock", "capacity", "held")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.held = 0
        self._lock = threading.Lock()

    def take(self, size: int, mine: int) -> bool:
        """Take ``size`` more bytes for a body already holding ``mine``; False when refused."""
        with self._lock:
            if self.held - mine > 0 and self.held + size > self.capacity:
                return False
            self.held += size
            return True

    def give(self, size: int) -> None:
        """Give back ``size`` bytes."""
        with self._lock:
            self.held -= size


#: The process's budget.
DECODED = DecodedBudget(C.MAX_DECODED_BYTES_IN_FLIGHT)
