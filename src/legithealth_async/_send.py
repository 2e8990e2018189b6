"""The retry loop: one call sent until it succeeds, fails for good, or may have applied.

build → pace → limit (in-flight cap) → exchange (bounded, under a deadline) → classify → log →
back off. It never calls back into resources. Every outcome of a non-idempotent call that may
hide an applied effect (sent but unanswered, a 5xx, an unreadable or contradicting 2xx) becomes
one signal, :class:`~._answer.MaybeApplied`, which ``_exactly_once.py`` resolves.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TypeVar

import httpx

from . import _observe
from ._answer import Answer, MaybeApplied, Result
from ._attempt_log import log_attempt, observe_attempt
from ._classify import Failure, classify, failure_of
from ._options import Extras, RequestOptions
from ._sender import Sender
from ._transports.base import Outgoing
from ._wire import Call
from .errors import UnexpectedResponseError, attempted

T = TypeVar("T")


async def send(
    sender: Sender,
    call: Call[T],
    options: RequestOptions,
    attempts: Attempts,
    extras: Extras | None = None,
) -> Result[T]:
    """Send ``call`` until it succeeds, fails for good, or (non-idempotent) may have applied.

    Raises the typed error of the last attempt, or :class:`MaybeApplied` for a non-idempotent
    call whose outcome is unknown (never retried here: only a lookup can make that safe).
    """
    sender.check_usable()
    request = sender.build(call, extras)
    observed = None if _observe.observer is None else _observe.current_call.get()
    if observed is not None and (propagated := observed.headers()):
        request = dataclasses.replace(request, headers=(*request.headers, *propagated))
    attempt = 0
    while True:
        attempt += 1
        started = time.perf_counter()
        outcome = await _attempt(sender, call, request, options)
        log_attempt(call, request.method, outcome, started, attempt)
        if observed is not None:
            observe_attempt(observed, call, request.method, outcome, started)
        if isinstance(outcome, Result):
            return outcome
        # The host, the attempts so far, a 404's likely cause: named in the error's message.
        attempted(outcome.error, sender.base_url, attempts.failed(call.name))
        if outcome.ambiguous and not call.idempotent:
            raise MaybeApplied(outcome.error, retryable=outcome.retryable, delay=outcome.delay)
        if not (outcome.retryable and await attempts.wait(outcome.delay)):
            raise outcome.error


async def _attempt(
    sender: Sender, call: Call[T], request: Outgoing, options: RequestOptions
) -> Result[T] | Failure:
    """One attempt: its turn (pacer, in-flight slot), the exchange, what the answer means."""
    pacer = options.pacer
    ticket = 0.0 if pacer is None else await pacer.acquire()
    try:
        async with sender.limiter:
            reply = await sender.transport.exchange(request, options.bounds)
    except (TimeoutError, httpx.TransportError, UnexpectedResponseError) as exc:
        return failure_of(call, exc)
    if pacer is not None:
        pacer.answered(ticket, reply.status == 429)
    answer = Answer(request.method, call.path, reply)
    return classify(call, answer, options.retry, sender.token)


class Attempts:
    """The retry budget of one call, shared by every layer that sends for it.

    A create and the lookups that reconcile it draw on the same ``max_retries``: one call never
    makes more than ``2 x (1 + max_retries)`` requests (each lookup's first attempt is free).
    """

    __slots__ = ("_failed", "_policy", "_sleep", "used")

    def __init__(self, options: RequestOptions) -> None:
        self._policy = options.retry
        self._sleep = options.sleep
        self.used = 0
        self._failed: dict[str, int] = {}

    def failed(self, operation: str) -> int:
        """Count a failed attempt of ``operation``; how many it has had in this call (a create
        sent again after a lookup counts on, for its error's "after n attempts")."""
        count = self._failed[operation] = self._failed.get(operation, 0) + 1
        return count

    async def wait(self, delay: float | None) -> bool:
        """Take one retry and wait before it; False (no wait) when none may be taken.

        None is left, or the server asked for longer than the cap (the error carries the delay).
        """
        policy = self._policy
        if self.used >= policy.max_retries:
            return False
        if delay is not None and delay > policy.retry_after_cap:
            return False
        self.used += 1
        await self._sleep(delay if delay is not None else policy.backoff(self.used))
        return True
