"""The interface every transport implements: an :class:`Outgoing` in, a ``Reply`` out.

One attempt is one call of :meth:`Transport.exchange`, under :class:`Bounds`: httpx's per-phase
timeouts, a deadline for the whole exchange (sending, waiting, reading the whole answer) and a
bound on the answer's decoded size. A transport raises:

- ``httpx.TransportError`` when the exchange failed (``httpx.ConnectError``, ``PoolTimeout`` and
  ``ConnectTimeout`` when the request was never sent; anything else may have reached the server);
- ``TimeoutError`` when the deadline fired;
- :class:`~legithealth_async.errors.UnexpectedResponseError` for an answer over the size bound,
  in an unknown encoding, or corrupt.

It never follows a redirect and keeps no cookie.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from .body import Reply


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One request as it goes on the wire (the same bytes for every attempt)."""

    method: str
    url: str
    """Absolute and percent-encoded (external ids in it: never logged)."""
    headers: Sequence[tuple[str, str]]
    content: bytes | None
    operation: str
    """The operation's name, for errors (never the URL)."""

    def __repr__(self) -> str:
        return f"<Outgoing {self.method} {self.operation}>"


@dataclass(frozen=True, slots=True)
class Bounds:
    """How long and how much one exchange may take (made once per client settings)."""

    phases: Mapping[str, float | None]
    """httpx's per-phase timeouts: ``connect``, ``read``, ``write``, ``pool``."""
    deadline: float
    """Seconds for the whole exchange."""
    limit: int
    """The most bytes of decoded body."""


class Transport(Protocol):
    """Sends an :class:`Outgoing` and reads its whole answer (see the module doc)."""

    async def exchange(self, out: Outgoing, bounds: Bounds) -> Reply:
        """Send ``out`` and read its answer whole, within ``bounds``."""
        ...

    async def aclose(self) -> None:
        """Close what this transport opened (idempotent)."""
        ...
