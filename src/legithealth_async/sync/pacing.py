"""Finding the server's rate limit: a request pacer that learns the rate from 429 answers.

The sync sends through a client view with one :class:`RatePacer` for all its requests. Until
the server first refuses with 429 the pacer lets everything through (no cost); after that, it
spaces the requests at a learnt rate, so throttled requests are retried one slot apart instead
of every worker sleeping and retrying in step.

The rate is found as TCP CUBIC finds a congestion window:

- **decrease**: when, among the answers of the last ``span`` seconds (to requests sent since the
  last decrease), at least ``threshold`` (a share) and ``min_throttled`` (a count) are 429s, the
  rate becomes ``decrease`` x the rate those answers were accepted at (while over its limit, a
  server accepts exactly its limit: that estimate is the limit itself, the *peak*);
- **increase**: from then on the rate follows ``peak · (1 + growth · (t - K)³)``, ``K`` the
  time at which it is back at the peak: fast at first, then seconds just under the peak, then
  faster and faster above it, until the next decrease. Under a fixed limit that is long spans
  just under it and few probes above it (each costs the few 429s a decrease needs: with the
  additive increase used before, ~6 every 5 s, 5.5% of a sync's requests; ``benchmarks``
  section 6); a limit that went up is found within seconds.

A 429 now and then (a fault, not a limit) stays under the threshold and changes nothing: the
throttled request is retried after its own Retry-After, as without a pacer.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Awaitable, Callable

import anyio

from .. import _constants as C

__all__ = ["RatePacer"]


class RatePacer:
    """Spaces requests at a rate learnt from 429 answers (see the module's docstring).

    ``clock`` and ``sleep`` (anyio's by default) can be pinned in tests. Not thread-safe: one
    event loop, like the client.
    """

    def __init__(
        self,
        *,
        span: float = C.PACER_SPAN,
        threshold: float = C.PACER_THRESHOLD,
        min_throttled: int = C.PACER_MIN_THROTTLED,
        decrease: float = C.PACER_DECREASE,
        growth: float = C.PACER_GROWTH,
        clock: Callable[[], float] = anyio.current_time,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self._accepted: deque[float] = deque()  # when the answers of the last span came
        self._throttled: deque[float] = deque()  # (429s: to requests sent since the decrease)
        self._span = span
        self._threshold = threshold
        self._min_throttled = min_throttled
        self._decrease = decrease
        self._growth = growth
        # Seconds from a decrease back to the peak: decrease · peak grows to peak.
        self._k = math.cbrt((1.0 - decrease) / growth)
        self._clock = clock
        self._sleep = sleep
        self._peak: float | None = None  # the accepted rate at the last decrease (None: unpaced)
        self._cut_at = 0.0  # when the last decrease happened
        self._sent = 0  # attempts let through so far: the tickets
        self._fresh = 0  # the first ticket sent after the last decrease (older ones are stale)
        self._gate = anyio.Lock()
        self._last = -math.inf  # when the last paced request passed
        self.decreases = 0
        """How many times the rate was lowered."""
        self.throttled = 0
        """How many 429 answers it was told of."""

    @property
    def rate(self) -> float | None:
        """Requests per second now allowed (None: not limited, no 429 seen)."""
        if self._peak is None:
            return None
        t = max(self._clock() - self._cut_at, 0.0) - self._k
        return self._peak * (1.0 + self._growth * t * t * t)

    async def acquire(self) -> float:
        """Wait for this request's turn; returns the ticket to pass to :meth:`answered`.

        Once paced, requests pass one at a time, each ``1 / rate`` after the one before actually
        did: a late wake-up (a busy event loop) delays the next ones, it never bunches them.
        """
        self._sent += 1
        ticket = self._sent
        if self._peak is not None:
            async with self._gate:
                rate = self.rate
                assert rate is not None
                wait = self._last + 1.0 / rate - self._clock()
                if wait > 0:
                    await self._sleep(wait)
                self._last = self._clock()
        return ticket

    def answered(self, ticket: float, throttled: bool) -> None:
        """Note an answer (429 or not) to the request that got ``ticket``."""
        now = self._clock()
        horizon = now - self._span
        if throttled:
            self.throttled += 1
        if not throttled:
            self._accepted.append(now)
        elif ticket >= self._fresh:  # a 429 to a request sent before the last decrease
            self._throttled.append(now)  # says nothing about the new rate
        for times in (self._accepted, self._throttled):
            while times and times[0] < horizon:
                times.popleft()
        if throttled:
            self._maybe_decrease(now)

    def _maybe_decrease(self, now: float) -> None:
        throttled, accepted = len(self._throttled), len(self._accepted)
        if throttled < self._min_throttled or throttled < self._threshold * (accepted + throttled):
            return
        since = self._accepted[0] if self._accepted else now
        estimate = max(accepted / max(now - since, C.PACER_MIN_SPAN), C.PACER_MIN_RATE)
        current = self.rate
        if current is not None:  # one step down at most: halve at worst
            estimate = max(min(estimate, current), current / 2 / self._decrease)
        self._peak = estimate
        self._cut_at = now
        self._fresh = self._sent + 1
        self._throttled.clear()
        self.decreases += 1
