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
TLS verification, checked on the wire); the client's own sharded pools, under none.

An exception of ``h2`` (HTTP/2) that httpx lets through is an ``httpx.RemoteProtocolError`` here,
as the transport interface promises (``base.py``): httpcore maps h2's errors while it sends a
request and reads the answer's head, not while the body is read. h2 closes its connection state
on a server's GOAWAY (python-hyper/h2#1181), so a frame that follows it (nginx's WINDOW_UPDATE)
raises ``h2.exceptions.ProtocolError`` in the middle of an answer the server is still sending:
the request was processed (the GOAWAY covers its stream), its outcome unknown, so it is
classified as sent (a create is looked up, never failed nor sent again blind).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import httpx

from .._logs import our_exchange
from .base import Bounds, Outgoing
from .body import Reply, read_bounded
from .route import RouteCheck


@contextmanager
def _h2_errors_as_httpx() -> Iterator[None]:
    """An ``h2`` exception raised in the block as ``httpx.RemoteProtocolError`` (module doc)."""
    try:
        yield
    except Exception as exc:
        if not any(cls.__module__.startswith("h2.") for cls in type(exc).__mro__):
            raise
        raise httpx.RemoteProtocolError(f"HTTP/2: {type(exc).__name__}") from exc


def _request(out: Outgoing, bounds: Bounds, route: RouteCheck | None) -> httpx.Request:
    return httpx.Request(
        out.method,
        out.url,
        headers=out.headers,
        content=out.content,
        extensions={"timeout": bounds.phases} if route is None else route.extensions(bounds.phases),
    )


async def _read(
    operation: str, response: httpx.Response, limit: int, route: RouteCheck | None
) -> Reply:
    try:
        if route is not None:
            route.answered(response.extensions)
        content = await read_bounded(operation, response, limit)
    finally:
        with anyio.CancelScope(shield=True):
            await response.aclose()
    headers = response.headers
    return Reply(response.status_code, headers, headers.raw, content)


class HttpxTransport:
    """An ``httpx.AsyncBaseTransport``, called directly (closed with the client); a user's is
    watched by ``route``."""

    __slots__ = ("inner", "route")

    def __init__(self, inner: httpx.AsyncBaseTransport, route: RouteCheck | None = None) -> None:
        self.inner = inner
        self.route = route

    def __repr__(self) -> str:
        return f"<HttpxTransport {self.inner!r}>"

    async def exchange(self, out: Outgoing, bounds: Bounds) -> Reply:
        """Send ``out`` through the transport and read its answer whole, within ``bounds``."""
        # httpx's trace lines of this exchange lose their values (see _logs).
        with anyio.fail_after(bounds.deadline), our_exchange(), _h2_errors_as_httpx():
            response = await self.inner.handle_async_request(_request(out, bounds, self.route))
            return await _read(out.operation, response, bounds.limit, self.route)

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
        with anyio.fail_after(bounds.deadline), our_exchange(), _h2_errors_as_httpx():
            request = _request(out, bounds, self.route)
            response = await self.client.send(request, stream=True, follow_redirects=False)
            return await _read(out.operation, response, bounds.limit, self.route)

    async def aclose(self) -> None:
        """Nothing: the client is the user's to close."""
