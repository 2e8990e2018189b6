"""httpx's pools, sharded (``transport="httpx"``); the TLS context and proxies of every transport.

``"httpx"``: :class:`ShardedTransport`, httpx's own pool split into pools of a few connections.
httpcore's pool walks every connection, and for each one every other, on every request
(``_assign_requests_to_connections``; encode/httpcore#1035): per-request CPU grows with the square
of the pool size. Each request goes to the pool with the fewest requests in flight. It runs on
asyncio and trio and speaks HTTP/2 when asked.

Every transport is cheap to construct: its pools and its TLS context are made at the first
request, the TLS context once per process (loading the CA bundle costs ~50 ms of CPU), in a worker
thread so the event loop never stalls on it. TLS verification stays on. A proxy named by the
environment (``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``...) is honoured by every transport,
except for a loopback host, which is never proxied (the sandbox on ``http://127.0.0.1`` would
otherwise send the token in clear to the proxy).
"""

from __future__ import annotations

import ipaddress
import math
import os
import ssl
import threading
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import anyio.to_thread
import httpx

from .framing import GuardedHTTPTransport


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


def lazy_ssl_context(http2: bool) -> Callable[[], Awaitable[ssl.SSLContext]]:
    """The shared TLS context, made at the first call, off the event loop."""
    lazy = _Lazy()
    return lambda: lazy.ssl_context(http2)


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
    framing is watched as it is read (``framing``).
    """

    def __init__(
        self,
        *,
        max_connections: int,
        shard_size: int,
        keepalive_expiry: float,
        http2: bool = False,
        proxy: str | None = None,
        guarded: bool = True,
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
        self._guarded = guarded
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
        """One pool, its answers' framing guarded (``framing``); httpx's own if not ``guarded``
        (while pytest-httpx mocks httpx's transport: the mocks must see the requests)."""
        if not self._guarded:
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
