"""The sandbox's rate-limit mode: N requests a second per API token, 429 + Retry-After beyond.

A token bucket per API token: it holds up to ``burst`` requests and refills at ``per_second``.
A request that finds it empty is answered 429 ``RATE_LIMITED`` with ``Retry-After`` (whole
seconds, rounded up, as HTTP says) and ``retry-after-ms`` (the exact wait) — before the
request has any effect. Only authenticated requests count (one bucket per token the sandbox
accepts, so the table cannot grow).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["RateLimit", "parse_rate_limit"]


@dataclass
class RateLimit:
    """``per_second`` requests a second per token, in bursts of at most ``burst``.

    ``burst`` defaults to a tenth of a second's worth (at least 1). ``clock`` (seconds,
    monotonic) can be pinned in tests. ``allowed`` and ``refused`` count the answers.
    """

    per_second: float
    burst: float | None = None
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    allowed: int = 0
    refused: int = 0
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not math.isfinite(self.per_second) or self.per_second <= 0:
            raise ValueError("the rate limit must be a positive number of requests a second")
        if self.burst is None:
            self.burst = max(1.0, self.per_second / 10)
        if not math.isfinite(self.burst) or self.burst < 1:
            raise ValueError("the burst must be at least 1 request")

    def take(self, token: str) -> float | None:
        """Count one request of ``token``: None if allowed, else the seconds until it would be."""
        assert self.burst is not None
        now = self.clock()
        level, then = self._buckets.get(token, (self.burst, now))
        level = min(self.burst, level + (now - then) * self.per_second)
        if level >= 1.0 - 1e-9:  # (float error in the refill)
            self._buckets[token] = (level - 1.0, now)
            self.allowed += 1
            return None
        self._buckets[token] = (level, now)
        self.refused += 1
        return (1.0 - level) / self.per_second

    @staticmethod
    def headers(wait: float) -> dict[str, str]:
        """The ``Retry-After`` (whole seconds, at least 1) and ``retry-after-ms`` of a 429."""
        return {
            "Retry-After": str(max(1, math.ceil(wait))),
            "retry-after-ms": str(max(1, math.ceil(wait * 1000))),
        }


def parse_rate_limit(text: str) -> RateLimit:
    """``"200"`` or ``"200/50"`` (requests a second, and the burst) as a :class:`RateLimit`."""
    rate, _, burst = text.partition("/")
    try:
        return RateLimit(float(rate), float(burst) if burst else None)
    except ValueError as exc:
        raise ValueError(f"a rate limit is N or N/BURST (requests a second): {exc}") from None
