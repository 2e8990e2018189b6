"""The hooks through which an observer sees the request path and the sync.

Nothing observes by default: :data:`observer` is None, and every hook site reads that one module
attribute and goes on (no import, no allocation, no context variable). ``telemetry.instrument()``
installs the OpenTelemetry observer (``telemetry/_otel.py``); nothing else here knows of
OpenTelemetry.

What a hook is given is chosen so that no patient value can reach it: an operation id, an HTTP
method, a path *template* (``/patients/{externalId}``, never the path), the base URL's host and
port, a status, an error's class name, a request id already filtered to look like an id
(``_privacy.shown_code``), counts and timings. Never a URL, a query, a header, a body or an
exception's message.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

__all__ = ["CallScope", "Observer", "SyncScope", "current_call", "observer"]


class CallScope(Protocol):
    """One API call as the observer sees it (a span around its attempts)."""

    def attempt(
        self,
        operation: str,
        method: str,
        template: str,
        *,
        started: float,
        ended: float,
        status: int | None,
        error_type: str | None,
        request_id: str | None,
    ) -> None:
        """One attempt, after it ended (``started``/``ended``: ``time.perf_counter()``).

        ``status`` is None when no answer came; ``error_type`` names what went wrong (a status
        class's error, a transport error's class), None on success.
        """
        ...

    def reconciling(self) -> AbstractContextManager[None]:
        """Around the lookup that resolves a create whose outcome was unknown."""
        ...

    def headers(self) -> Sequence[tuple[str, str]]:
        """Headers to send on this call's requests (W3C ``traceparent`` when turned on)."""
        ...


class SyncScope(Protocol):
    """One sync run as the observer sees it."""

    def started(self) -> None:
        """A record's work began (a worker took it)."""
        ...

    def finished(self) -> None:
        """A record's work ended (whatever its outcome)."""
        ...

    def outcome(self, outcome: str, *, from_journal: bool) -> None:
        """A record's outcome was handed out (``created``, ``updated``, ``unchanged``...)."""
        ...


class Observer(Protocol):
    """What ``telemetry.instrument()`` installs."""

    def call(
        self, operation: str, method: str, template: str, base_url: str
    ) -> AbstractContextManager[CallScope]:
        """Around one API call (its attempts, lookups and backoff sleeps)."""
        ...

    def sync_run(
        self, concurrency: int, rate: Callable[[], float | None] | None
    ) -> AbstractContextManager[SyncScope]:
        """Around one sync run; ``rate``: the pacer's current rate (requests/s), if pacing."""
        ...


observer: Observer | None = None
"""The installed observer (None: nothing observes, and the hooks cost one attribute read)."""

current_call: contextvars.ContextVar[CallScope | None] = contextvars.ContextVar(
    "legithealth_observed_call", default=None
)
"""The call being observed, set by the session while an observer is installed."""
