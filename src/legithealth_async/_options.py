"""The settings of the request path: per client (or per ``with_options`` view), and per call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
import httpx

from . import _constants as C
from ._retry import RetryPolicy
from ._transports.base import Bounds


def _default_sleep(seconds: float) -> Awaitable[None]:
    return anyio.sleep(seconds)


class Pacer(Protocol):
    """Spaces the attempts sent through a client view (e.g. the sync's ``RatePacer``)."""

    async def acquire(self) -> float:
        """Wait until this attempt may be sent; returns a ticket for :meth:`answered`."""
        ...

    def answered(self, ticket: float, throttled: bool) -> None:
        """The attempt sent with ``ticket`` was answered (``throttled``: with a 429)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestOptions:
    """Per-client (or per ``with_options``) settings of the request path.

    ``attempt_deadline`` bounds one attempt end to end (sending, waiting, reading the whole
    answer); None derives it from ``timeout`` (see :meth:`deadline`). ``max_response_bytes``
    bounds an answer's size after decompression.
    """

    timeout: httpx.Timeout = field(default_factory=lambda: C.DEFAULT_TIMEOUT)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], Awaitable[None]] = field(default=_default_sleep, repr=False)
    attempt_deadline: float | None = None
    max_response_bytes: int = C.MAX_RESPONSE_BYTES
    pacer: Pacer | None = field(default=None, repr=False)
    bounds: Bounds = field(init=False, repr=False, compare=False)
    """What the transport is given for each attempt (made once, from the fields above)."""

    def __post_init__(self) -> None:
        bounds = Bounds(self.timeout.as_dict(), self.deadline(), self.max_response_bytes)
        object.__setattr__(self, "bounds", bounds)

    def deadline(self) -> float:
        """Seconds one attempt may take in all: given, or connect + write + k x read."""
        if self.attempt_deadline is not None:
            return self.attempt_deadline
        t = self.timeout
        return (t.connect or 0.0) + (t.write or 0.0) + C.ATTEMPT_DEADLINE_READS * (t.read or 0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Extras:
    """Per-call additions: headers, query parameters, top-level JSON body fields."""

    headers: Mapping[str, str] | None = None
    query: Mapping[str, Any] | None = None
    body: Mapping[str, Any] | None = None
