"""The choice of transport, made here and nowhere else (:func:`open_transport`).

- an ``http_client`` of the user's: :class:`~.via_httpx.HttpxClient` (through
  ``AsyncClient.send``), its route checked on the wire (:class:`~.route.RouteCheck`);
- an ``httpx.AsyncBaseTransport`` of the user's (e.g. the sandbox's):
  :class:`~.via_httpx.HttpxTransport`, called directly, its route checked too unless it is
  in-process (:func:`~.route.is_in_process`);
- a name (``transport=``, default ``"auto"``): :class:`ChosenTransport`, which makes its transport
  at the first request, on the running event loop (:func:`choose`):

  - ``"asyncio"``: :class:`~.http11.Http11Transport`, HTTP/1.1 on asyncio's own sockets, parsed
    by llhttp (asyncio only, HTTP/1.1 only, ``http://`` proxies only). On loopback it costs under
    half of aiohttp's client CPU a request (a create: ~125 against ~285-340 µs) and about a sixth
    of httpx's (``benchmarks/RESULTS.md``, ``LIMITS.md``);
  - ``"httpx"``: :class:`~.sharded.ShardedTransport`, httpx's pools, sharded (trio, HTTP/2);
  - ``"auto"``: ``"asyncio"`` on asyncio, ``"httpx"`` on trio or with HTTP/2.
"""

from __future__ import annotations

from typing import Literal

import httpcore
import httpx
import sniffio

from .base import Bounds, Outgoing, Transport
from .body import Reply
from .http11 import Http11Transport
from .route import RouteCheck, is_in_process
from .sharded import ShardedTransport, lazy_ssl_context
from .via_httpx import HttpxClient, HttpxTransport

TransportName = Literal["auto", "asyncio", "httpx"]
TRANSPORT_NAMES: tuple[TransportName, ...] = ("auto", "asyncio", "httpx")


def open_transport(
    transport: httpx.AsyncBaseTransport | TransportName | None,
    http_client: httpx.AsyncClient | None,
    *,
    base_url: str,
    max_connections: int,
    shard_size: int,
    keepalive_expiry: float,
    http2: bool,
    proxy: str | None,
) -> Transport:
    """The transport a client sends through (nothing is connected yet).

    ValueError for a name that is not one, or a combination the named transport cannot do.
    """
    if http_client is not None:
        return HttpxClient(http_client, RouteCheck(base_url))
    if isinstance(transport, httpx.AsyncBaseTransport):
        route = None if is_in_process(transport) else RouteCheck(base_url)
        return HttpxTransport(transport, route, multiplexed=route is not None)
    return ChosenTransport(
        transport or "auto",
        max_connections=max_connections,
        shard_size=shard_size,
        keepalive_expiry=keepalive_expiry,
        http2=http2,
        proxy=proxy,
    )


def choose(name: TransportName, *, http2: bool) -> Literal["asyncio", "httpx"]:
    """The transport ``name`` stands for, on the event loop running now.

    ``"auto"``: on asyncio without HTTP/2, the lean HTTP/1.1 transport (``http11``); httpx's
    sharded pools otherwise (trio, HTTP/2), and when httpx's transport is mocked (pytest-httpx,
    respx), so that a user's mocks see the requests.
    """
    if name != "auto":
        return name
    if http2 or _httpx_is_mocked():
        return "httpx"
    try:
        library = sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        library = "asyncio"
    return "asyncio" if library == "asyncio" else "httpx"


def _tunnels(proxy: str | None) -> bool:
    """Whether the asyncio transport can reach the API through ``proxy`` (None: no proxy)."""
    return proxy is None or httpx.URL(proxy).scheme == "http"


# THE PYTEST-HTTPX SWITCH: while a user's tests mock httpx (pytest-httpx) or httpcore (respx),
# "auto" picks httpx so that their mocks see the requests (the asyncio transport would send them
# for real). This project's own tests name their transport and do not depend on it.
_HTTPX_SEND = httpx.AsyncHTTPTransport.handle_async_request
_HTTPCORE_SEND = httpcore.AsyncConnectionPool.handle_async_request


def _httpx_is_mocked() -> bool:
    """Whether a test library replaced httpx's (pytest-httpx) or httpcore's (respx) sending."""
    return (
        httpx.AsyncHTTPTransport.handle_async_request is not _HTTPX_SEND
        or httpcore.AsyncConnectionPool.handle_async_request is not _HTTPCORE_SEND
    )


class ChosenTransport:
    """The transport a client makes for itself: ``name`` resolved at the first request."""

    __slots__ = ("_http2", "_keepalive", "_max", "_proxy", "_shard_size", "inner", "name")

    def __init__(
        self,
        name: TransportName,
        *,
        max_connections: int,
        shard_size: int,
        keepalive_expiry: float,
        http2: bool,
        proxy: str | None,
    ) -> None:
        if name not in TRANSPORT_NAMES:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORT_NAMES)}")
        if name == "asyncio" and http2:
            raise ValueError("the asyncio transport speaks HTTP/1.1 only: use transport='httpx'")
        if name == "asyncio" and not _tunnels(proxy):
            raise ValueError(
                "the asyncio transport goes through http:// proxies only: use transport='httpx'"
            )
        self.name = name
        self._max = max_connections
        self._shard_size = shard_size
        self._keepalive = keepalive_expiry
        self._http2 = http2
        self._proxy = proxy
        self.inner: Transport | None = None

    def __repr__(self) -> str:
        return f"<ChosenTransport {self.name} inner={self.inner!r}>"

    def chosen(self) -> Transport:
        """The transport ``name`` stands for (chosen now, on the running loop, if not yet)."""
        inner = self.inner
        if inner is None:
            inner = self.inner = self._make()
        return inner

    def _make(self) -> Transport:
        if choose(self.name, http2=self._http2) == "asyncio" and _tunnels(self._proxy):
            return Http11Transport(
                max_connections=self._max,
                keepalive_expiry=self._keepalive,
                proxy=self._proxy,
                ssl_context=lazy_ssl_context(False),
            )
        sharded = ShardedTransport(
            max_connections=self._max,
            shard_size=self._shard_size,
            keepalive_expiry=self._keepalive,
            http2=self._http2,
            proxy=self._proxy,
            guarded=not _httpx_is_mocked(),
        )
        return HttpxTransport(sharded, multiplexed=self._http2)

    async def exchange(self, out: Outgoing, bounds: Bounds) -> Reply:
        """Send through the chosen transport (chosen now if this is the first request)."""
        return await (self.inner or self.chosen()).exchange(out, bounds)

    async def aclose(self) -> None:
        """Close the chosen transport, if a request ever chose one."""
        if self.inner is not None:
            await self.inner.aclose()
