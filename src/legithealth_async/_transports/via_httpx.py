"""Sending through httpx: an ``httpx.AsyncBaseTransport``, or a user's whole ``AsyncClient``.

- :class:`HttpxTransport` calls a transport's ``handle_async_request`` directly: httpx's sharded
  pools (``sharded.py``: trio, HTTP/2, ``transport="httpx"``) or a transport of the user's (e.g.
  the sandbox's). ``AsyncClient.send``'s layers would have nothing to do here (no auth, no hooks,
  no redirects, no cookies, no proxy mounts: the transport holds the proxy).
- :class:`HttpxClient` goes through a user's ``http_client`` with ``AsyncClient.send``, so its
  event hooks, auth and mounts apply. It is the user's to close.

Either way the body is read raw and decoded under the size bound (``body.py``), within the
deadline (anyio's: httpx closes answers in shielded scopes, which only anyio's deadline respects).
A user's transport or client is sent through under a :class:`~.route.RouteCheck` (its proxy and
TLS verification, checked on the wire); the client's own sharded pools, under none. The read
timeout is kept per request (:class:`~.waiting.ReadTimer`): httpcore's, on HTTP/2, would fail
every request multiplexed beside a slow one.

An exception of ``h2`` (HTTP/2) that httpx lets through is an ``httpx.RemoteProtocolError`` here,
as the transport interface promises (``base.py``): httpcore maps h2's errors while it sends a
request and reads the answer's head, not while the body is read. h2 closes its connection state
on a server's GOAWAY (python-hyper/h2#1181), so a frame that follows it (nginx's WINDOW_UPDATE)
raises ``h2.exceptions.ProtocolError`` in the middle of an answer the server is still sending:
the request was processed (the GOAWAY covers its stream), its outcome unknown, so it is
classified as sent (a create is looked up, never failed nor sent again blind).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import anyio
import httpx

from .._logs import our_exchange
from .base import Bounds, Outgoing
from .body import Reply, read_bounded
from .route import RouteCheck
from .waiting import ReadTimer, Trace, read_timeout, refused_stream


@contextmanager
def _h2_errors_as_httpx() -> Iterator[None]:
    """An ``h2`` exception raised in the block as ``httpx.RemoteProtocolError`` (module doc)."""
    try:
        yield
    except Exception as exc:
        if not any(cls.__module__.startswith("h2.") for cls in type(exc).__mro__):
            raise
        raise httpx.RemoteProtocolError(f"HTTP/2: {type(exc).__name__}") from exc


def _request(
    out: Outgoing, bounds: Bounds, timer: ReadTimer | None, route: RouteCheck | None
) -> httpx.Request:
    phases = bounds.phases
    trace: Trace | None = None if route is None else route.watcher()
    if timer is not None:
        trace = timer.tracer(trace)
        if phases.get("read") is not None:  # kept by the timer: httpcore's fails every stream
            phases = {**phases, "read": bounds.deadline}
    extensions: dict[str, object] = {"timeout": phases}
    if trace is not None:
        extensions["trace"] = trace
    return httpx.Request(
        out.method, out.url, headers=out.headers, content=out.content, extensions=extensions
    )


async def _read(
    operation: str,
    response: httpx.Response,
    limit: int,
    timer: ReadTimer | None,
    route: RouteCheck | None,
) -> Reply:
    try:
        if route is not None:
            route.answered(response.extensions)
        timed = None if timer is None else timer.timed
        content = await read_bounded(operation, response, limit, timed)
    finally:
        with anyio.CancelScope(shield=True):
            await response.aclose()
    headers = response.headers
    return Reply(response.status_code, headers, headers.raw, content)


async def _exchange(
    send: Callable[[httpx.Request], Awaitable[httpx.Response]],
    out: Outgoing,
    bounds: Bounds,
    route: RouteCheck | None,
    multiplexed: bool,
) -> Reply:
    """One exchange through ``send``: within the deadline, h2's errors as httpx's, and (on a
    connection that may carry other requests at once: HTTP/2) the read timeout kept per request
    (``waiting.py``); httpx's trace lines lose their values (``_logs``)."""
    timer = ReadTimer(bounds.phases.get("read")) if multiplexed else None
    try:
        with anyio.fail_after(bounds.deadline) as scope, our_exchange(), _h2_errors_as_httpx():
            if timer is not None:
                timer.start(scope)
            response = await send(_request(out, bounds, timer, route))
            return await _read(out.operation, response, bounds.limit, timer, route)
    except TimeoutError:
        if timer is not None and timer.timed_out():
            raise read_timeout() from None
        raise
    except httpx.RemoteProtocolError as exc:
        refused = None if timer is None else refused_stream(exc, timer.stream_id)
        if refused is not None:
            raise refused from exc
        raise


class HttpxTransport:
    """An ``httpx.AsyncBaseTransport``, called directly (closed with the client); a user's is
    watched by ``route``."""

    __slots__ = ("inner", "multiplexed", "route")

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        route: RouteCheck | None = None,
        *,
        multiplexed: bool = True,
    ) -> None:
        self.inner = inner
        self.route = route
        #: Whether a connection may carry several requests at once (HTTP/2: a user's transport
        #: may speak it; the client's own pools do when made with ``http2=True``).
        self.multiplexed = multiplexed

    def __repr__(self) -> str:
        return f"<HttpxTransport {self.inner!r}>"

    async def exchange(self, out: Outgoing, bounds: Bounds) -> Reply:
        """Send ``out`` through the transport and read its answer whole, within ``bounds``."""
        send = self.inner.handle_async_request
        return await _exchange(send, out, bounds, self.route, self.multiplexed)

    async def aclose(self) -> None:
        """Close the transport."""
        await self.inner.aclose()


class HttpxClient:
    """A user's ``httpx.AsyncClient``, through ``send`` (its hooks, auth and mounts apply)."""

    __slots__ = ("client", "route")

    def __init__(self, client: httpx.AsyncClient, route: RouteCheck) -> None:
        self.client = client
        self.route = route

    def __repr__(self) -> str:
        return "<HttpxClient (yours)>"

    async def exchange(self, out: Outgoing, bounds: Bounds) -> Reply:
        """Send ``out`` with ``AsyncClient.send`` and read its answer whole, within ``bounds``."""
        return await _exchange(self._send, out, bounds, self.route, multiplexed=True)

    def _send(self, request: httpx.Request) -> Awaitable[httpx.Response]:
        return self.client.send(request, stream=True, follow_redirects=False)

    async def aclose(self) -> None:
        """Nothing: the client is the user's to close."""
