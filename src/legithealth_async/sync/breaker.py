"""The sync's circuit breaker: a run that knows the server is gone stops instead of grinding on.

With the server down every record retries for seconds and fails; 20,000 of them would take a
quarter of an hour to say nothing useful. :class:`Breaker` watches each request the sync makes
(a batch lookup counts once, as it is one request): when ``failures`` in a row failed to reach
the server or got a 5xx, or when every one that ended over ``seconds`` did (at least two), it
raises :class:`ServerUnavailableError`, which stops the run as a wrong token does (the ``async
with`` raises it, the journal keeps what was done; the CLI exits 3), so the next run resumes. Any
other answer, a 4xx included, shows the server is there and closes the breaker again.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import anyio

from .. import _constants as C
from ..errors import APIConnectionError, APIStatusError, LegitHealthError, UnexpectedResponseError

__all__ = ["Breaker", "ServerUnavailableError", "server_gone"]


class ServerUnavailableError(LegitHealthError):
    """The sync stopped: every recent request failed to reach the server or got a 5xx.

    ``host`` is the server's host (and port); ``last`` the last error, in the library's own
    words (no patient value). The journal holds what was done: run the sync again to resume.
    """

    def __init__(self, host: str, failures: int, seconds: float, last: str) -> None:
        self.host = host
        self.failures = failures
        self.seconds = seconds
        self.last = last
        super().__init__(
            f"the server at {host} looks unavailable: the last {failures} requests over "
            f"{seconds:.0f} s all failed (last: {last}); run the sync again to resume"
        )


def server_gone(exc: BaseException) -> bool:
    """Whether ``exc`` says the server could not be reached or failed (a 5xx)."""
    if isinstance(exc, APIConnectionError):
        return True
    if isinstance(exc, APIStatusError | UnexpectedResponseError):
        return exc.status_code >= 500
    return False


def host_of(base_url: str) -> str:
    """The host (and port) of a URL, without any user info."""
    parts = urlsplit(base_url)
    host = parts.hostname or base_url
    return f"{host}:{parts.port}" if parts.port else host


class Breaker:
    """Counts the requests that failed in a row (see the module's docstring).

    ``failures`` and ``seconds`` default to 20 requests and 20 seconds; ``clock`` (anyio's by
    default) can be pinned in tests. One event loop, like the client.
    """

    def __init__(
        self,
        base_url: str,
        *,
        failures: int | None = None,
        seconds: float | None = None,
        clock: Callable[[], float] = anyio.current_time,
    ) -> None:
        failures = C.SYNC_BREAKER_FAILURES if failures is None else failures
        seconds = C.SYNC_BREAKER_SECONDS if seconds is None else seconds
        if failures < 1 or seconds <= 0:
            raise ValueError("failures must be at least 1 and seconds above 0")
        self._host = host_of(base_url)
        self._failures = failures
        self._seconds = seconds
        self._clock = clock
        self._count = 0
        self._since: float | None = None  # when the first request of the failed run was sent

    def succeeded(self) -> None:
        """A request got an answer that shows the server is there."""
        self._count = 0
        self._since = None

    def ended(self, exc: BaseException | None, started: float) -> None:
        """A request sent at ``started`` ended (``exc`` its error, or None).

        Raises :class:`ServerUnavailableError` when this failure opens the breaker.
        """
        if exc is None or not server_gone(exc):
            self.succeeded()
            return
        self._count += 1
        if self._since is None:
            self._since = started
        elapsed = self._clock() - self._since
        if self._count >= self._failures or (self._count >= 2 and elapsed >= self._seconds):
            last = str(exc) if isinstance(exc, LegitHealthError) else type(exc).__name__
            raise ServerUnavailableError(self._host, self._count, elapsed, last[:300])
