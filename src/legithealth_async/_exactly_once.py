"""The upper layer of the request path: a non-idempotent call takes effect at most once.

The one place that decides what a "maybe applied" outcome (:class:`MaybeApplied`, raised by the
send loop) becomes. The rules, tested as a table in ``tests/facade/test_exactly_once.py``:

1. The call succeeds: its value.
2. It may have applied and there is no lookup: :class:`AmbiguousOutcomeError` (never guessed).
3. It may have applied: look it up. Found: that is the answer (never sent again). The lookup
   failed: :class:`AmbiguousOutcomeError`. Absent (proved): retry if the failure is retryable
   and the budget allows (Retry-After within the cap), else raise the failure itself.
4. A 409 after an attempt that may have applied: the conflict is our own earlier attempt, so
   ``on_conflict`` (a lookup of the existing resource) answers. A 409 on a first attempt is
   raised as itself.

Bound: the attempts and the lookups share one retry budget (:class:`Attempts`), so one call
makes at most ``2 x (1 + max_retries)`` requests, not ``(1 + max_retries)**2``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from ._answer import MaybeApplied
from ._send import Attempts
from .errors import AmbiguousOutcomeError, APIStatusError, LegitHealthError

R = TypeVar("R")


async def create_once(
    name: str,
    attempt: Callable[[], Awaitable[R]],
    *,
    lookup: Callable[[], Awaitable[R | None]] | None,
    on_conflict: Callable[[], Awaitable[R]] | None,
    attempts: Attempts,
) -> R:
    """Run ``attempt`` (a non-idempotent call) so that it takes effect at most once."""
    maybe_made = False
    while True:
        try:
            return await attempt()
        except MaybeApplied as maybe:
            if lookup is None:
                raise AmbiguousOutcomeError(name, maybe.reason) from maybe.error
            found = await _look_up(name, lookup, maybe.reason)
            if found is not None:
                return found
            maybe_made = True
            if not (maybe.retryable and await attempts.wait(maybe.delay)):
                raise maybe.error from maybe.error.__cause__
        except APIStatusError as error:
            if error.status_code == 409 and maybe_made and on_conflict is not None:
                return await on_conflict()
            raise


async def _look_up(name: str, lookup: Callable[[], Awaitable[R | None]], reason: str) -> R | None:
    try:
        return await lookup()
    except LegitHealthError as exc:
        raise AmbiguousOutcomeError(name, f"{reason}, and the lookup failed") from exc
