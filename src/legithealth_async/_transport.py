"""The transports a client can send through, and the choice of the default.

``"httpx"``: :class:`ShardedTransport`, httpx's own pool split into pools of a few connections.
httpcore's pool walks every connection, and for each one every other, on every request
(``_assign_requests_to_connections``; encode/httpcore#1035): per-request CPU grows with the square
of the pool size. Each request goes to the pool with the fewest requests in flight. It runs on
asyncio and trio and speaks HTTP/2 when asked.

``"asyncio"``: :class:`~legithealth_async._http11.Http11Transport`, HTTP/1.1 on asyncio's own
sockets, parsed by llhttp (asyncio only, HTTP/1.1 only, ``http://`` proxies only). On loopback
it costs under half of aiohttp's client CPU a request (a create: ~125 against ~285-340 µs) and
about a sixth of httpx's (``benchmarks/RESULTS.md``, ``LIMITS.md``); aiohttp's transport,
offered before, lost on every measure and is gone.

``"auto"`` (the default): chosen at the first request by :func:`choose`, from the running event
loop and ``http2``: ``"asyncio"`` on asyncio, ``"httpx"`` on trio or with HTTP/2.

Every transport is cheap to construct: its pools and its TLS context are made at the first
request, the TLS context once per process (loading the CA bundle costs ~50 ms of CPU), in a worker
thread so the event loop never stalls on it. TLS verification stays on. A proxy named by the
environment (``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``...) is honoured by every transport,
except for a loopback host, which is never proxied (the sandbox on ``http://127.0.0.1`` would
otherwise send the token in clear to the proxy).
"""

from __future__ import annotations

import functools
import ipaddress
import math
import os
import ssl
import threading
import urllib.request
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

import anyio
import anyio.to_thread
import httpcore
import httpx
import sniffio

from ._framing import GuardedHTTPTransport
from ._http11 import Http11Transport

TransportName = Literal["auto", "asyncio", "httpx"]
TRANSPORT_NAMES: tuple[TransportName, ...] = ("auto", "asyncio", "httpx")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine: ``localhost``, 127.0.0.0/8 or ``::1``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def environment_proxy(url: httpx.URL) -> str | None:
    """The proxy the environment names for ``url`` (``HTTPS_PROXY``, else ``ALL_PROXY``;
    ``NO_PROXY``...), if any. Never one for a loopback host.
    """
    if is_loopback(url.host) or urllib.request.proxy_bypass(url.host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(url.scheme) or proxies.get("all")


# ------------------------------------------------------------------------------ TLS context

_contexts: dict[tuple[bool, str | None, str | None], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


def _context_key(http2: bool) -> tuple[bool, str | None, str | None]:
    return (http2, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


def shared_ssl_context(http2: bool) -> ssl.SSLContext:
    """One verifying TLS context per process (per ALPN setting and CA bundle), made once.

    httpcore sets the context's ALPN protocols on every connection, from its pool's ``http2``
    flag: a context is shared only by pools with the same flag.
    """
    key = _context_key(http2)
    with _contexts_lock:
        context = _contexts.get(key)
        if context is None:
            context = _contexts[key] = httpx.create_ssl_context(verify=True)
        return context


class _Lazy:
    """Makes a transport's inner state once, at its first request, off the event loop."""

    def __init__(self) -> None:
        self._lock: anyio.Lock | None = None

    async def ssl_context(self, http2: bool) -> ssl.SSLContext:
        made = _contexts.get(_context_key(http2))
        if made is not None:
            return made
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:  # one thread makes it; the others wait for it
            return await anyio.to_thread.run_sync(shared_ssl_context, http2)


# ------------------------------------------------------------------------------ httpx, sharded


class _Counted(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, done: Callable[[], None]) -> None:
        self._stream = stream
        self._done: Callable[[], None] | None = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            done, self._done = self._done, None
            if done is not None:
                done()


class ShardedTransport(httpx.AsyncBaseTransport):
    """``max_connections`` split over pools of at most ``shard_size`` connections each.

    The pools are made at the first request (all sharing one TLS context); each answer's
    framing is watched as it is read (``_framing``).
    """

    def __init__(
        self,
        *,
        max_connections: int,
        shard_size: int,
        keepalive_expiry: float,
        http2: bool = False,
        proxy: str | None = None,
    ) -> None:
        count = max(1, math.ceil(max_connections / shard_size))
        per_shard = math.ceil(max_connections / count)
        self._limits = httpx.Limits(
            max_connections=per_shard,
            max_keepalive_connections=per_shard,
            keepalive_expiry=keepalive_expiry,
        )
        self._http2 = http2
        self._proxy = proxy
        self._count = count
        self._shards: list[httpx.AsyncBaseTransport] = []
        self._load = [0] * count
        self._lazy = _Lazy()

    def __repr__(self) -> str:
        return f"<ShardedTransport shards={self._count}>"

    async def _open(self) -> list[httpx.AsyncBaseTransport]:
        context = await self._lazy.ssl_context(self._http2)
        if not self._shards:
            self._shards = [self._pool(context) for _ in range(self._count)]
        return self._shards

    def _pool(self, context: ssl.SSLContext) -> httpx.AsyncBaseTransport:
        """One pool, its answers' framing guarded (``_framing``); httpx's own when mocked."""
        if _httpx_is_mocked():  # a user's pytest-httpx mocks must see the requests
            return httpx.AsyncHTTPTransport(
                verify=context, limits=self._limits, http2=self._http2, proxy=self._proxy
            )
        return GuardedHTTPTransport(
            ssl_context=context, limits=self._limits, http2=self._http2, proxy=self._proxy
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the least busy pool; the slot is freed when the body is closed."""
        load = self._load
        index = load.index(min(load))
        load[index] += 1

        def done() -> None:
            load[index] -= 1

        try:
            shards = self._shards or await self._open()
            response = await shards[index].handle_async_request(request)
        except BaseException:
            done()
            raise
        stream = response.stream
        if not isinstance(stream, httpx.AsyncByteStream):  # never, from AsyncHTTPTransport
            done()
            return response
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Counted(stream, done),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close every pool."""
        for shard in self._shards:
            await shard.aclose()


# ------------------------------------------------------------------------------ the choice


def choose(name: TransportName, *, http2: bool) -> Literal["asyncio", "httpx"]:
    """The transport ``name`` stands for, on the event loop running now.

    ``"auto"``: on asyncio without HTTP/2, the lean HTTP/1.1 transport (``_http11``); httpx's
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


_HTTPX_SEND = httpx.AsyncHTTPTransport.handle_async_request
_HTTPCORE_SEND = httpcore.AsyncConnectionPool.handle_async_request


def _httpx_is_mocked() -> bool:
    """Whether a test library replaced httpx's (pytest-httpx) or httpcore's (respx) sending."""
    return (
        httpx.AsyncHTTPTransport.handle_async_request is not _HTTPX_SEND
        or httpcore.AsyncConnectionPool.handle_async_request is not _HTTPCORE_SEND
    )


class DefaultTransport(httpx.AsyncBaseTransport):
    """The transport a client makes for itself: ``name`` resolved at the first request."""

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
        self._settings: dict[str, Any] = {
            "max_connections": max_connections,
            "shard_size": shard_size,
            "keepalive_expiry": keepalive_expiry,
            "http2": http2,
            "proxy": proxy,
        }
        self.inner: httpx.AsyncBaseTransport | None = None

    def __repr__(self) -> str:
        return f"<DefaultTransport {self.name} inner={self.inner!r}>"

    def _make(self) -> httpx.AsyncBaseTransport:
        s = self._settings
        chosen = choose(self.name, http2=s["http2"])
        if chosen == "asyncio" and _tunnels(s["proxy"]):
            lazy = _Lazy()
            return Http11Transport(
                max_connections=s["max_connections"],
                keepalive_expiry=s["keepalive_expiry"],
                proxy=s["proxy"],
                ssl_context=functools.partial(lazy.ssl_context, False),
            )
        return ShardedTransport(**s)

    def chosen(self) -> httpx.AsyncBaseTransport:
        """The transport ``name`` stands for (chosen now, on the running loop, if not yet)."""
        inner = self.inner
        if inner is None:
            inner = self.inner = self._make()
        return inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the chosen transport (chosen now if this is the first request)."""
        return await (self.inner or self.chosen()).handle_async_request(request)

    async def aclose(self) -> None:
        """Close the chosen transport, if a request ever chose one."""
        if self.inner is not None:
            await self.inner.aclose()
