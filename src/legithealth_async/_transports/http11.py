"""HTTP/1.1 on asyncio's own sockets: the lean transport (``transport="asyncio"``).

What a client of one API needs and nothing else: a keep-alive pool per origin, requests written
as bytes in one call, answers parsed by llhttp (``httptools``, the parser behind uvicorn) and
their bodies decoded under the size bound as they arrive. On loopback it costs ~125 µs of client
CPU a create against aiohttp's ~285-340 (``benchmarks/LIMITS.md``): aiohttp's per-request layers
(sessions, cookie jars, traces, redirects, payload registries, a writer task) have nothing to do
for this client.

A proxy (``http://``, from the environment or ``proxy=``) is used through a ``CONNECT`` tunnel.
What it does not do, so that the choice (``choice.py``) never picks it then: HTTP/2, a proxy
that is not ``http://``, and any event loop but asyncio's. TLS is verified with the shared
context.

Failures are httpx's, classified by whether the request may have reached the server: only a
failure to connect (or to get a connection) is "never sent"; a connection that closes, breaks,
stalls or answers nonsense after the request was written is a read or protocol error (a create
whose answer was lost must be looked up, not resent). A connection is reused only after a whole
answer that allows it; a cancelled exchange closes its connection.
"""

from __future__ import annotations

import asyncio
import base64
import select
import ssl
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

import httptools  # type: ignore[import-untyped, unused-ignore]
import httpx

from .. import _constants as C
from ..errors import UnexpectedResponseError
from .base import Bounds, Outgoing
from .body import BoundedBody, Reply, checked_encoding

#: Headers this transport writes itself (a caller's copy is dropped, never sent twice).
_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_NO_BODY = frozenset({204, 304})


@dataclass(frozen=True, slots=True)
class _Origin:
    scheme: str
    host: str
    port: int
    host_header: str


class _Stop(Exception):
    """Raised from a parser callback to stop parsing (the reason is kept on the connection)."""


class _Connection(asyncio.Protocol):
    """One connection: writes a request, parses its answer; reusable once the answer allows."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._parser = httptools.HttpResponseParser(self)
        # A header value with a control character (a hostile request id) is read, not refused
        # as a broken answer, as httpx and aiohttp read it; it never reaches a log unescaped.
        self._parser.set_dangerous_leniencies(lenient_headers=True)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[Reply] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._paused = False
        self.closed = False
        self.idle_since = 0.0
        self._last_data = 0.0
        self._timer: asyncio.TimerHandle | None = None
        # The answer being read
        self._operation = ""
        self._limit = 0
        self._status = 0
        self._raw: list[tuple[bytes, bytes]] = []
        self._headers: dict[str, str] = {}
        self._header_bytes = 0
        self._quiet = 0  # bytes read since the last body bytes (head, trailers, chunk lines)
        self._fed_body = False
        self._ready: Reply | None = None  # a whole answer, handed over once its bytes are parsed
        self._body: BoundedBody | None = None
        self._until_close = False
        self._error: Exception | None = None
        self._answered = False
        self.reusable = False

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():
            self._fail(httpx.RemoteProtocolError("data when no answer was expected"))
            return
        self._last_data = self._loop.time()
        self._fed_body = False
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade, _Stop):
            # Bytes beyond a whole answer (in the same read) fail it too: never half-trusted.
            self._fail(self._error or httpx.RemoteProtocolError("malformed answer"))
            return
        if self._ready is not None:
            self._deliver()
            return
        # A head or trailer line counted as its bytes arrive, not when it ends: an endless line
        # is refused at the bound instead of growing the parser's buffer until the deadline.
        self._quiet = 0 if self._fed_body else self._quiet + len(data)
        if self._quiet > C.MAX_RESPONSE_HEADER_BYTES:
            self._fail(httpx.RemoteProtocolError("answer headers over the bound"))

    def eof_received(self) -> bool | None:
        return None  # close our side too: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            if exc is None and self._body is not None and self._until_close and not self._error:
                self._complete()  # a body delimited by the (orderly) end of the connection
                self._deliver()
            else:
                waiter.set_exception(
                    httpx.RemoteProtocolError("the server closed the connection before answering")
                )
        drained = self._drained
        if drained is not None and not drained.done():
            drained.set_result(None)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        drained = self._drained
        if drained is not None and not drained.done():
            drained.set_result(None)

    # -- httptools callbacks

    def on_message_begin(self) -> None:
        if self._answered:  # a second answer to one request: the connection is not to be trusted
            self._stop(httpx.RemoteProtocolError("data when no answer was expected"))
        self._raw = []
        self._header_bytes = 0
        self._body = None

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > C.MAX_RESPONSE_HEADER_BYTES:
            self._stop(httpx.RemoteProtocolError("answer headers over the bound"))
        if self._body is None:  # a trailer (after the body) never becomes a header
            self._raw.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        self._status = status
        if status == 101:  # never asked for: the connection would stop being HTTP
            self._stop(httpx.RemoteProtocolError("an upgrade (101) that was not asked for"))
        if 100 <= status < 200:
            return  # informational (100 Continue...): the answer follows
        headers = self._headers = _headers(self._raw)
        try:
            encoding = checked_encoding(self._operation, status, headers, self._limit)
        except UnexpectedResponseError as exc:
            self._stop(exc)
        self._until_close = (
            status not in _NO_BODY
            and "content-length" not in headers
            and "chunked" not in headers.get("transfer-encoding", "").lower()
        )
        self._body = BoundedBody(self._operation, status, encoding, self._limit)

    def on_body(self, chunk: bytes) -> None:
        self._fed_body = True
        if self._body is None:
            return
        try:
            self._body.feed(chunk)
        except UnexpectedResponseError as exc:
            self._stop(exc)

    def on_message_complete(self) -> None:
        if self._body is None:
            return  # the end of an informational answer
        self.reusable = self._parser.should_keep_alive()
        self._complete()

    # -- one exchange

    async def round_trip(
        self, data: bytes, operation: str, limit: int, phases: Mapping[str, float | None]
    ) -> Reply:
        """Write ``data`` (a whole request) and read its answer."""
        transport = self._transport
        assert transport is not None
        self._operation = operation
        self._limit = limit
        self._error = None
        self._answered = False
        self._quiet = 0
        self._ready = None
        self.reusable = False
        waiter: asyncio.Future[Reply] = self._loop.create_future()
        self._waiter = waiter
        transport.write(data)
        if self._paused:
            await self._drain(phases.get("write"))
        read = phases.get("read")
        self._last_data = self._loop.time()
        if read is not None:
            self._timer = self._loop.call_later(read, self._check_read, read)
        try:
            return await waiter
        finally:
            if self._body is not None:
                self._body.release()  # whole (released already) or abandoned
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._waiter = None

    async def _drain(self, seconds: float | None) -> None:
        self._drained = self._loop.create_future()
        try:
            async with asyncio.timeout(seconds):
                await self._drained
        except TimeoutError:
            raise httpx.WriteTimeout("the request could not be written in time") from None
        finally:
            self._drained = None
        if self.closed:
            raise httpx.WriteError("the connection closed while the request was written")

    def _check_read(self, read: float) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        quiet = self._loop.time() - self._last_data
        if quiet >= read:
            self._fail(httpx.ReadTimeout("no answer data within the read timeout"))
        else:
            self._timer = self._loop.call_later(read - quiet, self._check_read, read)

    def usable(self) -> bool:
        """Open, as far as this side can know: an idle connection has nothing to read, so a
        readable socket means the server closed it (or sent what no request asked for) and the
        loop has not seen it yet. A request written there would be lost unsent, yet look
        "maybe applied" (httpcore makes the same check before reusing a connection)."""
        transport = self._transport
        if self.closed or transport is None or transport.is_closing():
            return False
        sock = transport.get_extra_info("socket")
        return sock is None or not _readable(sock.fileno())

    def close(self) -> None:
        """Close the connection now (its answer, if any, is abandoned)."""
        self.closed = True
        if self._transport is not None:
            self._transport.abort()

    def _stop(self, error: Exception) -> NoReturn:
        self._error = error
        raise _Stop

    def _fail(self, error: Exception) -> None:
        waiter = self._waiter
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def _complete(self) -> None:
        body = self._body
        waiter = self._waiter
        assert body is not None and waiter is not None
        try:
            content = body.finish()
        except UnexpectedResponseError as exc:
            self._fail(exc)
            return
        self._answered = True
        self._ready = Reply(self._status, self._headers, self._raw, content)

    def _deliver(self) -> None:
        waiter, ready, self._ready = self._waiter, self._ready, None
        if waiter is not None and ready is not None and not waiter.done():
            waiter.set_result(ready)


def _readable(fd: int) -> bool:
    """Whether ``fd`` has something to read (or its end), now, without waiting."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


class Http11Transport:
    """A keep-alive pool of at most ``max_connections`` (see the module doc); asyncio only.

    ``ssl_context`` gives the verifying TLS context, made off the event loop on first use.
    """

    def __init__(
        self,
        *,
        max_connections: int,
        keepalive_expiry: float,
        ssl_context: Callable[[], Awaitable[ssl.SSLContext]],
        proxy: str | None = None,
    ) -> None:
        self._proxy = None if proxy is None else _Proxy.of(proxy)
        self._max = max_connections
        self._expiry = keepalive_expiry
        self._ssl_context = ssl_context
        self._slots: asyncio.Semaphore | None = None
        self._idle: dict[_Origin, list[_Connection]] = {}
        self._origins: dict[str, _Origin] = {}
        self._busy: set[_Connection] = set()
        self._closed = False

    def __repr__(self) -> str:
        return f"<Http11Transport max_connections={self._max}>"

    async def exchange(self, out: Outgoing, bounds: Bounds) -> Reply:
        """Send ``out`` and read its whole answer, within ``bounds`` (see ``base.py``)."""
        # asyncio's own deadline (the transport is asyncio-only): half anyio's cost.
        async with asyncio.timeout(bounds.deadline):
            return await self._send(
                out.method,
                out.url,
                out.headers,
                out.content,
                bounds.phases,
                bounds.limit,
                out.operation,
            )

    async def _send(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]],
        content: bytes | None,
        phases: Mapping[str, float | None],
        limit: int,
        operation: str,
    ) -> Reply:
        """Send a request (``url`` absolute and percent-encoded) and read its whole answer.

        ``phases``: httpx's per-phase timeouts; ``limit``: the decoded body's bound. Raises
        ``httpx.TransportError`` (see the module doc) or ``UnexpectedResponseError``.
        """
        origin, path_at = self._origin(url)
        data = _request_bytes(method, url[path_at:] or "/", origin, headers, content)
        slots = self._slots or self._make_slots()
        if slots.locked():
            try:
                async with asyncio.timeout(phases.get("pool")):
                    await slots.acquire()
            except TimeoutError:
                raise httpx.PoolTimeout("no connection free in time") from None
        else:
            await slots.acquire()
        try:
            connection = self._reused(origin) or await self._connect(origin, phases.get("connect"))
            self._busy.add(connection)
            try:
                answer = await connection.round_trip(data, operation, limit, phases)
            except BaseException:
                connection.close()
                raise
            finally:
                self._busy.discard(connection)
            self._release(origin, connection)
            return answer
        finally:
            slots.release()

    def _make_slots(self) -> asyncio.Semaphore:
        self._slots = asyncio.Semaphore(self._max)
        return self._slots

    def _origin(self, url: str) -> tuple[_Origin, int]:
        path_at = url.find("/", url.find("://") + 3)
        if path_at < 0:
            path_at = len(url)
        prefix = url[:path_at]
        origin = self._origins.get(prefix)
        if origin is None:
            parsed = httpx.URL(prefix)
            if parsed.scheme not in ("http", "https") or not parsed.host:
                raise httpx.UnsupportedProtocol("only http:// and https:// URLs")
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
            name = parsed.raw_host.decode("ascii")  # an IDN's A-label (xn--...), as httpx sends
            host = _bracketed(name)
            host_header = host if parsed.port is None else f"{host}:{port}"
            origin = self._origins[prefix] = _Origin(parsed.scheme, name, port, host_header)
        return origin, path_at

    def _reused(self, origin: _Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = asyncio.get_running_loop().time()
        while idle:
            connection = idle.pop()
            if connection.usable() and now - connection.idle_since < self._expiry:
                return connection
            connection.close()
        return None

    async def _connect(self, origin: _Origin, seconds: float | None) -> _Connection:
        if self._closed:
            raise httpx.ConnectError("the transport is closed")
        context = await self._ssl_context() if origin.scheme == "https" else None
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(seconds):
                if self._proxy is not None:
                    return await self._proxy.tunnel(origin, context)
                _, connection = await loop.create_connection(
                    _Connection,
                    origin.host,
                    origin.port,
                    ssl=context,
                    server_hostname=origin.host if context is not None else None,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout("the connection was not made in time") from None
        except (OSError, ssl.SSLError) as exc:
            # Only the class name: messages can quote the host.
            raise httpx.ConnectError(type(exc).__name__) from exc
        return connection

    def _release(self, origin: _Origin, connection: _Connection) -> None:
        if self._closed or not connection.reusable or connection.closed:
            connection.close()
            return
        connection.idle_since = asyncio.get_running_loop().time()
        self._idle.setdefault(origin, []).append(connection)

    async def aclose(self) -> None:
        """Close every connection (those in use end their exchange with an error)."""
        self._closed = True
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
        for connection in list(self._busy):
            connection.close()


@dataclass(frozen=True, slots=True)
class _Proxy:
    """An ``http://`` forward proxy, reached for each new connection through ``CONNECT``."""

    host: str
    port: int
    authorization: str | None

    @classmethod
    def of(cls, url: str) -> _Proxy:
        """The proxy at ``url``; ValueError unless it is ``http://``."""
        parsed = httpx.URL(url)
        if parsed.scheme != "http" or not parsed.host:
            raise ValueError("the asyncio transport goes through http:// proxies only")
        authorization = None
        if parsed.username or parsed.password:
            pair = f"{parsed.username}:{parsed.password}".encode()
            authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        return cls(parsed.host, parsed.port or 80, authorization)

    async def tunnel(self, origin: _Origin, context: ssl.SSLContext | None) -> _Connection:
        """A connection to ``origin`` through this proxy (TLS inside the tunnel when given)."""
        loop = asyncio.get_running_loop()
        raw, opener = await loop.create_connection(_TunnelOpener, self.host, self.port)
        try:
            target = f"{_bracketed(origin.host)}:{origin.port}"
            head = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n"
            if self.authorization is not None:
                head += f"Proxy-Authorization: {self.authorization}\r\n"
            raw.write((head + "\r\n").encode("ascii"))
            answer = await opener.answer
            status = answer.split(b" ", 2)[1] if answer.startswith(b"HTTP/1.") else b""
            if not (status.isdigit() and 200 <= int(status) < 300):
                code = status.decode("ascii") if status.isdigit() else "?"
                raise httpx.ProxyError(f"the proxy refused the tunnel (HTTP {code})")
            connection = _Connection()
            transport: asyncio.BaseTransport = raw
            if context is None:
                raw.set_protocol(connection)
            else:
                tls = await loop.start_tls(raw, connection, context, server_hostname=origin.host)
                assert tls is not None
                transport = tls
            connection.connection_made(transport)
            return connection
        except BaseException:
            raw.abort()
            raise


class _TunnelOpener(asyncio.Protocol):
    """Reads a proxy's answer to ``CONNECT`` (its head, at most 64 KiB)."""

    def __init__(self) -> None:
        self.answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._head = b""

    def data_received(self, data: bytes) -> None:
        self._head += data
        if b"\r\n\r\n" in self._head:
            if not self.answer.done():
                self.answer.set_result(self._head)
        elif len(self._head) > C.MAX_RESPONSE_HEADER_BYTES and not self.answer.done():
            self.answer.set_exception(httpx.ProxyError("the proxy's answer is too long"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.answer.done():
            self.answer.set_exception(httpx.ProxyError("the proxy closed the tunnel"))


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _request_bytes(
    method: str,
    target: str,
    origin: _Origin,
    headers: Sequence[tuple[str, str]],
    content: bytes | None,
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1\r\nHost: {origin.host_header}\r\n"]
    lines.extend(f"{k}: {v}\r\n" for k, v in headers if k.lower() not in _OWN_HEADERS)
    if content is not None:
        lines.append(f"Content-Length: {len(content)}\r\n")
    lines.append("\r\n")
    try:
        head = "".join(lines).encode("ascii")
    except UnicodeEncodeError:
        raise httpx.LocalProtocolError("a header is not ASCII") from None
    return head + content if content else head
