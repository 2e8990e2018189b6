"""The read timeout of an exchange through httpx, kept per request (:class:`ReadTimer`).

httpcore applies a read timeout to the connection's read: on HTTP/1.1 that is one request's
wait, but on HTTP/2 one read serves every stream multiplexed on the connection, and a timeout
there fails them all (httpcore keeps the error and raises it on every later read). One slow
answer then costs every request in flight beside it an attempt: in a bulk sync with faults, a
record could run out of retries on other records' stalls (seen through real nginx).

So where a connection may carry several requests at once (the client's own pools made with
``http2=True``, and any transport or ``http_client`` of the user's, which may speak HTTP/2),
httpcore is given a read timeout it never reaches (the exchange's deadline), and the read
timeout is kept here instead, by the deadline of the exchange's own cancel scope: pulled in to
``read`` seconds while the request waits for its answer's head (from httpcore's ``trace``
extension) and for each chunk of its body, and put back when the bytes come. A wait cut short
this way cancels only its own request (httpcore closes just that stream, or that HTTP/1.1
connection), and surfaces as ``httpx.ReadTimeout``, as httpcore's own would.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import anyio
import httpx

__all__ = ["ReadTimer", "RefusedStream", "Trace", "refused_stream"]

#: A ``trace`` callback of httpcore: ``(event name, info)``.
Trace = Callable[[str, Mapping[str, Any]], Awaitable[None]]


class ReadTimer:
    """One exchange's read timeout, on the deadline of its cancel scope (see the module doc)."""

    __slots__ = ("_deadline", "_read", "_scope", "stream_id", "waiting")

    def __init__(self, read: float | None) -> None:
        self._read = read
        self._scope: anyio.CancelScope | None = None
        self._deadline = 0.0
        #: Whether the request is waiting for the server now (a deadline hit then: a read timeout).
        self.waiting = False
        #: The HTTP/2 stream the request was given (None: HTTP/1.1, or not sent that far).
        self.stream_id: int | None = None

    def start(self, scope: anyio.CancelScope) -> None:
        """Keep the read timeout on ``scope`` (the exchange's, its deadline already set)."""
        self._scope = scope
        self._deadline = scope.deadline

    def wait(self) -> None:
        """The request starts waiting for bytes: at most ``read`` seconds from now."""
        scope = self._scope
        if scope is not None and self._read is not None:
            scope.deadline = min(self._deadline, anyio.current_time() + self._read)
            self.waiting = True

    def done(self) -> None:
        """The bytes came: back to the exchange's own deadline (unless the wait was cut short:
        then it stays, for :meth:`timed_out`)."""
        scope = self._scope
        if scope is not None and self.waiting and not scope.cancel_called:
            scope.deadline = self._deadline
            self.waiting = False

    def timed_out(self) -> bool:
        """Whether the scope's deadline that fired was the read timeout's (not the exchange's)."""
        return self.waiting and self._scope is not None and self._scope.deadline < self._deadline

    def tracer(self, then: Trace | None) -> Trace:
        """httpcore's ``trace`` callback: times the wait for the answer's head, then ``then``."""

        async def trace(event: str, info: Mapping[str, Any]) -> None:
            if event.endswith("receive_response_headers.started"):
                self.wait()
            elif event.endswith("receive_response_headers.complete"):
                self.done()
            elif event == "http2.send_request_headers.started":
                self.stream_id = info.get("stream_id")
            elif then is not None:
                await then(event, info)

        return trace

    def timed(self, chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        """``chunks`` (an answer's body), each awaited within the read timeout."""
        return _Timed(chunks.__aiter__(), self)


class _Timed:
    """An answer's chunks, each awaited under the read timeout (not a generator: nothing to
    finalize when the reader stops early)."""

    __slots__ = ("_chunks", "_timer")

    def __init__(self, chunks: AsyncIterator[bytes], timer: ReadTimer) -> None:
        self._chunks = chunks
        self._timer = timer

    def __aiter__(self) -> _Timed:
        return self

    async def __anext__(self) -> bytes:
        self._timer.wait()
        try:
            return await self._chunks.__anext__()
        finally:
            self._timer.done()


class RefusedStream(httpx.ConnectError):
    """An HTTP/2 request the server refused unprocessed: its stream is above the last one the
    server's GOAWAY says it processed (RFC 9113 §6.8: safe to send again). A connect error, so
    never sent: a create is sent again, not looked up."""


def refused_stream(exc: httpx.RemoteProtocolError, stream_id: int | None) -> RefusedStream | None:
    """``exc`` as a :class:`RefusedStream` when it is a GOAWAY (h2's ``ConnectionTerminated``,
    which httpcore raises for every stream it fails) that left ``stream_id`` unprocessed."""
    if stream_id is None:
        return None
    cause: BaseException | None = exc
    for _ in range(4):  # httpx's error, from httpcore's, holding h2's event
        if cause is None:
            return None
        for arg in cause.args:
            last = getattr(arg, "last_stream_id", None)
            if isinstance(last, int):
                if stream_id <= last:
                    return None
                return RefusedStream(f"HTTP/2 stream refused by the server's GOAWAY ({last})")
        cause = cause.__cause__
    return None


def read_timeout() -> httpx.ReadTimeout:
    """The error of a wait cut short by :class:`ReadTimer` (httpcore's own, as httpx maps it)."""
    return httpx.ReadTimeout("no answer within the read timeout")
