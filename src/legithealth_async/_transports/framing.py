"""httpx's HTTP transport built from httpcore's public parts, with every HTTP/1.1 answer's framing
watched by a second parser (llhttp, ``httptools``) as its bytes are read.

h11, behind httpcore, keeps the bytes that follow a complete answer and reads them as the answer
to the next request on that connection: a body longer than its ``Content-Length``, a 204 or 304
with a body. A second parser that disagrees with h11 about where an answer ends is the other
half of a desync (``Content-Length`` with ``Transfer-Encoding``, a control character in a chunk
extension). :class:`AnswerGuard` sees every byte written and read on a connection and refuses,
before h11 is handed the bytes:

- bytes beyond a complete answer (over-long bodies, bodies on 204/304, a second answer);
- whatever llhttp refuses (``Content-Length`` with ``Transfer-Encoding`` in either order, two
  lengths, control characters in a chunk extension, malformed chunks);
- an unasked ``101`` (the connection would stop being HTTP);
- a request written while llhttp still waits for the previous answer's end (h11 ended it sooner).

A refusal closes the connection and is a ``RemoteProtocolError`` for the request being read
(maybe sent: a create is looked up, never resent blind). httpcore's pool takes the guard through
its public ``network_backend``; the pool is ours (``sharded.ShardedTransport``), so nothing
private of httpx or httpcore is touched.

What no guard can tell apart: bytes a server sends *after* the next request was written on the
connection are, to any HTTP/1.1 client, that request's answer. Answers are therefore also bound
to their request (``_wire``'s pins: an answer about another record is refused), which is what a
user's own ``http_client`` (whose transport is not ours) relies on.

HTTP/2 connections (the preface written first) and ``HEAD`` requests are not watched; a
``CONNECT`` (a proxy's tunnel) is watched for the proxy closing or failing before the tunnel is
open, which is a ``ProxyError``: nothing reached the API.
"""

from __future__ import annotations

import ssl
import typing
from collections.abc import AsyncIterator, Iterable

import httpcore
import httptools  # type: ignore[import-untyped, unused-ignore]
import httpx

__all__ = ["AnswerGuard", "FramingError", "GuardedBackend", "GuardedHTTPTransport"]

_H2_PREFACE = b"PRI * HTTP/2.0"


class FramingError(Exception):
    """An answer whose end is ambiguous, or bytes beyond its end (the reason, never the bytes)."""


class AnswerGuard:
    """Watches one connection's bytes: requests written, answers read (see the module doc).

    :meth:`wrote` and :meth:`read` raise :class:`FramingError`; after one, the connection is
    not to be used again.
    """

    __slots__ = ("_answers", "_awaiting", "_requests", "_status", "mode")

    def __init__(self) -> None:
        #: "new" until the first write, then "http/1.1", "off" (HTTP/2, HEAD) or "tunnel".
        self.mode = "new"
        self._awaiting = False
        self._status = 0
        self._requests = httptools.HttpRequestParser(_RequestSide(self))
        self._answers = httptools.HttpResponseParser(self)
        # A control character in a header value (a hostile request id) is h11's to read, as the
        # asyncio transport reads it; it changes no answer's length (CL+TE stays refused).
        self._answers.set_dangerous_leniencies(lenient_headers=True)

    # -- the two directions

    def wrote(self, data: bytes) -> None:
        """``data`` is about to be written on the connection."""
        if self.mode == "new":
            self.mode = "off" if data.startswith(_H2_PREFACE) else "http/1.1"
        if self.mode != "http/1.1" or not data:
            return
        try:
            self._requests.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.mode = "tunnel"  # CONNECT: what follows is the tunnel's (TLS) bytes
        except httptools.HttpParserError:
            self.mode = "off"  # not a request llhttp reads (never one httpcore writes)

    def read(self, data: bytes) -> None:
        """``data`` was read from the connection (``b""``: the server closed it)."""
        if self.mode != "http/1.1" or not data:
            return
        if not self._awaiting:
            raise FramingError("bytes beyond a complete answer")
        try:
            self._answers.feed_data(data)
        except httptools.HttpParserUpgrade:
            raise FramingError("an upgrade (101) that was not asked for") from None
        except httptools.HttpParserError as exc:
            # llhttp's reason names the rule broken, never the bytes.
            raise FramingError(f"an answer whose framing is ambiguous ({exc})") from None

    # -- the request parser's events (through _RequestSide)

    def request_begins(self) -> None:
        if self._awaiting:
            raise FramingError("a request written before the previous answer ended")
        self._awaiting = True

    def request_method(self, method: bytes) -> None:
        if method == b"HEAD":  # its answer's length is not its body's: llhttp cannot tell
            self.mode = "off"

    # -- llhttp's callbacks for answers

    def on_message_begin(self) -> None:
        if not self._awaiting:
            raise FramingError("bytes beyond a complete answer")

    def on_headers_complete(self) -> None:
        self._status = self._answers.get_status_code()
        if self._status == 101:
            raise FramingError("an upgrade (101) that was not asked for")

    def on_message_complete(self) -> None:
        if not 100 <= self._status < 200:  # an informational answer: the answer follows
            self._awaiting = False


class _RequestSide:
    """llhttp's callbacks for the requests written (kept apart from the answers')."""

    __slots__ = ("_guard", "parser")

    def __init__(self, guard: AnswerGuard) -> None:
        self._guard = guard

    def on_message_begin(self) -> None:
        self._guard.request_begins()

    def on_url(self, url: bytes) -> None:
        pass

    def on_headers_complete(self) -> None:
        self._guard.request_method(self._guard._requests.get_method())


class GuardedStream(httpcore.AsyncNetworkStream):
    """A network stream whose bytes an :class:`AnswerGuard` watches."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._guard = AnswerGuard()

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        """Read, and refuse (closing the connection) what the guard refuses."""
        guard = self._guard
        try:
            data = await self._inner.read(max_bytes, timeout)
        except (httpcore.NetworkError, httpcore.TimeoutException) as exc:
            if guard.mode == "tunnel":
                raise httpcore.ProxyError("the proxy failed before opening the tunnel") from exc
            raise
        if guard.mode == "tunnel" and not data:
            raise httpcore.ProxyError("the proxy closed the connection instead of a tunnel")
        try:
            guard.read(data)
        except FramingError as exc:
            await self._inner.aclose()
            raise httpcore.RemoteProtocolError(str(exc)) from None
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Write, unless the guard refuses the connection (then nothing is written)."""
        try:
            self._guard.wrote(buffer)
        except FramingError as exc:
            await self._inner.aclose()
            raise httpcore.RemoteProtocolError(str(exc)) from None
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        """Close the connection."""
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
    ) -> httpcore.AsyncNetworkStream:
        """TLS over this stream (a tunnel's, or a proxy's), watched afresh."""
        return GuardedStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        """The inner stream's (``ssl_object``, ``is_readable``...)."""
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend (asyncio and trio), each stream it opens guarded."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """A guarded TCP connection."""
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return GuardedStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """A guarded Unix socket connection."""
        stream = await self._inner.connect_unix_socket(path, timeout, socket_options)
        return GuardedStream(stream)

    async def sleep(self, seconds: float) -> None:
        """Sleep (httpcore's retries of a connect)."""
        await self._inner.sleep(seconds)


class GuardedHTTPTransport(httpx.AsyncBaseTransport):
    """What ``httpx.AsyncHTTPTransport`` is, on a :class:`GuardedBackend`; ``proxy``: http(s)."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        limits: httpx.Limits,
        http2: bool,
        proxy: str | None,
    ) -> None:
        common: dict[str, typing.Any] = {
            "ssl_context": ssl_context,
            "max_connections": limits.max_connections,
            "max_keepalive_connections": limits.max_keepalive_connections,
            "keepalive_expiry": limits.keepalive_expiry,
            "http1": True,
            "http2": http2,
            "network_backend": GuardedBackend(),
        }
        self._pool: httpcore.AsyncConnectionPool
        if proxy is None:
            self._pool = httpcore.AsyncConnectionPool(**common)
            return
        via = httpx.Proxy(proxy)
        if via.url.scheme not in ("http", "https"):
            raise ValueError("only http:// and https:// proxies")
        self._pool = httpcore.AsyncHTTPProxy(
            proxy_url=httpcore.URL(
                scheme=via.url.raw_scheme,
                host=via.url.raw_host,
                port=via.url.port,
                target=via.url.raw_path,
            ),
            proxy_auth=via.raw_auth,
            proxy_headers=via.headers.raw,
            proxy_ssl_context=via.ssl_context,
            **common,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the pool (httpcore's errors as httpx's)."""
        assert isinstance(request.stream, httpx.AsyncByteStream)
        url = request.url
        sent = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            answer = await self._pool.handle_async_request(sent)
        except Exception as exc:
            raise _as_httpx(exc) from exc
        assert isinstance(answer.stream, typing.AsyncIterable)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Body(answer.stream),
            extensions=answer.extensions,
        )

    async def aclose(self) -> None:
        """Close every connection of the pool."""
        await self._pool.aclose()


class _Body(httpx.AsyncByteStream):
    """An answer's body from httpcore, its errors as httpx's."""

    def __init__(self, stream: typing.AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        except Exception as exc:
            raise _as_httpx(exc) from exc

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            await close()


def _as_httpx(exc: Exception) -> Exception:
    """httpcore's exception as httpx's class of the same name (as httpx's transport maps them)."""
    for cls in type(exc).__mro__:
        if cls.__module__.startswith("httpcore"):
            mapped = getattr(httpx, cls.__name__, None)
            if isinstance(mapped, type) and issubclass(mapped, httpx.TransportError):
                return mapped(str(exc))
    return exc
