"""What one call gets back: the :class:`Answer` read, the :class:`Result` parsed, or the signal
:class:`MaybeApplied` (a non-idempotent request whose effect is unknown)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from . import _constants as C
from ._privacy import shown_request_id
from ._transports.body import Reply
from .errors import APIConnectionError, APIStatusError, LegitHealthError, UnexpectedResponseError

T = TypeVar("T")


class Answer:
    """One HTTP answer, read whole. Its repr shows no header value and no body."""

    __slots__ = ("_headers", "_reply", "method", "path", "request_id")

    def __init__(self, method: str, path: str, reply: Reply) -> None:
        self.method = method
        self.path = path
        self._reply = reply
        self._headers: httpx.Headers | None = None
        self.request_id = _request_id(reply.headers)

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        return self._reply.status

    @property
    def content(self) -> bytes:
        """The decoded body."""
        return self._reply.content

    @property
    def headers(self) -> httpx.Headers:
        """The answer's headers (made on first use: most answers never need them)."""
        if self._headers is None:
            given = self._reply.headers
            raw = self._reply.raw_headers
            self._headers = given if isinstance(given, httpx.Headers) else httpx.Headers(raw)
        return self._headers

    def __repr__(self) -> str:
        return f"<Answer {self.method} {self.path} -> {self.status_code}>"


def _request_id(headers: Mapping[str, str]) -> str | None:
    for name in C.REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return shown_request_id(value)  # also logged: only what looks like an id
    return None


@dataclass(frozen=True, slots=True)
class Result(Generic[T]):
    """A call's parsed value and the answer it came from."""

    value: T
    answer: Answer


class MaybeApplied(Exception):
    """A non-idempotent request may have taken effect; ``error`` is what was seen.

    ``retryable``: a retry is allowed once a lookup proves nothing was made; ``delay`` is the
    server's Retry-After, if any.
    """

    def __init__(self, error: LegitHealthError, *, retryable: bool, delay: float | None) -> None:
        super().__init__(type(error).__name__)
        self.error = error
        self.retryable = retryable
        self.delay = delay

    @property
    def reason(self) -> str:
        """A short, PHI-free name of what happened (``HTTP 503``, ``ReadTimeout``)."""
        error = self.error
        if isinstance(error, APIStatusError | UnexpectedResponseError):
            return f"HTTP {error.status_code}"
        if isinstance(error, APIConnectionError):
            return error.reason
        return type(error).__name__
