"""Retry policy: which failures are retried, how long to wait, and Retry-After parsing."""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from . import _constants as C


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How many retries and how long between them.

    ``random`` returns a float in [0, 1) and ``now`` the current UTC time; both can be pinned in
    tests.
    """

    max_retries: int = C.DEFAULT_MAX_RETRIES
    initial: float = C.BACKOFF_INITIAL
    maximum: float = C.BACKOFF_MAX
    jitter: float = C.BACKOFF_JITTER
    retry_after_cap: float = C.RETRY_AFTER_CAP
    random: Callable[[], float] = field(default=random.random, repr=False)
    now: Callable[[], dt.datetime] = field(default=_utcnow, repr=False)

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first retry)."""
        base = min(self.initial * 2.0 ** (retry_number - 1), self.maximum)
        return base * (1.0 - self.jitter * self.random())

    def retry_after(self, headers: Mapping[str, str]) -> float | None:
        """The server's wish in seconds, from ``retry-after-ms`` or ``Retry-After``.

        Accepts seconds and HTTP-dates; garbage, non-finite and negative values are ignored
        (None: fall back to backoff).
        """
        raw_ms = headers.get("retry-after-ms")
        if raw_ms is not None:
            try:
                ms = float(raw_ms)
            except ValueError:
                ms = math.nan
            if math.isfinite(ms) and ms >= 0:
                return ms / 1000.0
        raw = headers.get("retry-after")
        if raw is None:
            return None
        raw = raw.strip()
        try:
            seconds = float(raw)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(raw)
            except (TypeError, ValueError, IndexError, OverflowError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            seconds = max((when - self.now()).total_seconds(), 0.0)
        if not math.isfinite(seconds) or seconds < 0:
            return None
        return seconds


def is_retryable_status(status: int, idempotent: bool) -> bool:
    """Whether an answer with this status may be retried (for a create: after reconciling)."""
    if idempotent:
        return status in C.RETRYABLE_STATUSES_IDEMPOTENT
    return status in C.RETRYABLE_STATUSES


def was_sent(exc: httpx.TransportError) -> bool:
    """Whether the request may have reached the server before ``exc``.

    Connect errors, pool timeouts and a proxy that would not open its tunnel (refused it, or
    closed) happen before a byte of the request is sent: always safe to retry. Anything later
    (write, read, protocol errors) leaves the outcome ambiguous.
    """
    return not isinstance(
        exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ProxyError
    )
