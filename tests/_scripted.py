"""A scripted HTTP/1.1 server on loopback, and the fixtures that put a client on every transport.

The request-path tests queue answers on a real server (127.0.0.1, a free port) and run once per
transport a client can send through, so that what they prove holds on the path production runs
(issue 19 §2). The API follows pytest-httpx's, so a mocked test converts mechanically:

- ``add_response(method=, url=, status_code=, json=, content=, text=, headers=)`` queues an
  answer; ``add_callback(fn, ...)`` computes one from the request (``fn(request)`` returns an
  ``httpx.Response`` or a :class:`Wire` failure; it may be async, and runs on the server's loop);
  ``add_failure(Wire.CLOSE, ...)`` queues a failure on the wire instead of an injected exception
  (``CLOSE``, ``RESET``, ``STALL``; ``add_response(cut_after=n)`` cuts a body short,
  ``then_close=True`` closes the connection right after an answer, unannounced);
  ``add_refusal()`` refuses the next connection (a connect error: nothing was sent).
- ``url`` is a path under the API root (``/patients?externalIds%5B%5D=p1``: the query compared
  as a multiset, in any order) or a compiled pattern matched against the whole URL.
- Each answer serves one request unless ``is_reusable``; the first unused match in the order
  added wins, then the last reusable one. A request nothing matches gets a ``418`` (outside the
  contract: never retried) and fails the test at teardown, as does an answer never asked for
  (unless ``is_optional``).
- ``get_requests()`` gives what arrived, as ``httpx.Request`` objects (method, URL, headers, body
  as the server read them).

The server runs in a thread of its own with its own event loop, so it serves a client on any
backend (asyncio or trio). A refused connection is real: the listening socket stops listening
(the port stays bound: Linux keeps an explicitly bound port through ``shutdown``) until the
client's next backoff, which is why a client that meets refusals must back off through
:attr:`ScriptedServer.sleeps` (the default of the ``connect`` fixture). Backoff never sleeps for
real: ``sleeps`` records each delay and returns at once. (``_toolkit.tcp_server`` is not used
for the listener: asyncio's ``Server`` cannot stop listening and resume on the same port.)

Fixtures (registered by ``tests/conftest.py``): ``scripted`` (the server), ``transport`` (each
offered transport: ``asyncio``, ``httpx``, ``http_client``, in the test id) and ``connect``
(a client on the server with that transport; :func:`on_transport` gives the same settings for a
client of another server). A test that needs one transport says so with
``@pytest.mark.parametrize("transport", [...])``; :data:`ONE_TRANSPORT` marks a test of what is
refused before anything is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import errno
import functools
import inspect
import re
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import httpx
import pytest
from _toolkit import Sleeps

from legithealth_async import LegitHealth, RetryPolicy

#: The API root on the server: every ``url=`` path is under it.
ROOT = "/integration/v1"
TOKEN = "tok-SENTINEL-7c1e"
#: Every offered transport: the client's own two, and a user's own ``httpx.AsyncClient``.
TRANSPORTS = ("asyncio", "httpx", "http_client")
#: For a test of what happens before anything is sent (the same on every transport): the default.
ONE_TRANSPORT = pytest.mark.parametrize("transport", ["asyncio"])
#: A read timeout for tests that stall an answer: short, yet far above a loopback answer's time.
STALL_TIMEOUT = 0.25


class Wire(enum.Enum):
    """What the server does instead of answering (after reading the whole request)."""

    CLOSE = "close"
    """Close the connection: the request may have taken effect ("maybe sent")."""
    RESET = "reset"
    """Reset the connection (RST): a read error, maybe sent."""
    STALL = "stall"
    """Never answer (until the client hangs up): a read timeout, maybe sent."""

    def __str__(self) -> str:
        return self.value


Answer = httpx.Response | Wire
Callback = Callable[[httpx.Request], Answer | Awaitable[Answer]]


@dataclass(eq=False)
class _Entry:
    method: str | None
    url: str | re.Pattern[str] | None
    make: Callback
    reusable: bool
    optional: bool
    cut_after: int | None = None
    then_close: bool = False
    used: int = 0

    def matches(self, request: httpx.Request) -> bool:
        if self.method is not None and request.method != self.method.upper():
            return False
        if self.url is None:
            return True
        if isinstance(self.url, re.Pattern):
            return self.url.match(str(request.url)) is not None
        wanted = httpx.URL(ROOT + self.url)
        return request.url.path == wanted.path and request.url.params == wanted.params

    def __str__(self) -> str:
        url = self.url.pattern if isinstance(self.url, re.Pattern) else self.url
        return f"{self.method or '*'} {url or '*'}"


@dataclass
class _Refusal:
    after: int  # refused once this many requests were served
    forever: bool = False


@dataclass
class _State:
    entries: list[_Entry] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    refusals: list[_Refusal] = field(default_factory=list)
    arrived_since_backoff: bool = False


def _free_port_socket() -> socket.socket:
    """A listening socket bound to an explicit free port on 127.0.0.1.

    Explicit, because Linux keeps an explicitly bound port through ``shutdown`` (which stops a
    listener) while a port-0 binding is released then.
    """
    for _ in range(20):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        sock = socket.socket()
        # Listening again after a refusal while a closed connection of the port is in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                continue  # taken meanwhile by someone else: another one
            raise
        sock.listen(64)
        sock.setblocking(False)
        return sock
    raise RuntimeError("no free port on 127.0.0.1")


class BackoffSleeps(Sleeps):
    """Records each backoff and returns at once; tells the server an attempt ended."""

    def __init__(self, server: ScriptedServer) -> None:
        super().__init__()
        self._server = server

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self._server.backed_off()


class ScriptedServer:
    """The scripted server (see the module doc). Use as a context manager."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = _State()
        self._sock = _free_port_socket()
        self.port: int = self._sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}{ROOT}"
        self.sleeps = BackoffSleeps(self)
        self._listening = True
        self._loop: asyncio.AbstractEventLoop | None = None
        self._resume: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._watchers: list[Callable[[], None]] = []
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scripted-server", daemon=True)

    def __repr__(self) -> str:
        return f"<ScriptedServer {self.base_url}>"

    # ------------------------------------------------------------------ the script

    def add_response(
        self,
        method: str | None = None,
        url: str | re.Pattern[str] | None = None,
        *,
        status_code: int = 200,
        json: Any = None,
        content: bytes | None = None,
        text: str | None = None,
        headers: dict[str, str] | None = None,
        cut_after: int | None = None,
        then_close: bool = False,
        is_reusable: bool = False,
        is_optional: bool = False,
    ) -> None:
        """Queue an answer. ``cut_after``: send only that many bytes of the body, then close
        (its Content-Length says the whole length): a truncated answer. ``then_close``: close
        the connection right after the answer, unannounced (as a server closes an idle
        keep-alive connection)."""
        answer = httpx.Response(status_code, json=json, content=content, text=text)
        for name, value in (headers or {}).items():
            answer.headers[name] = value
        entry = _Entry(method, url, lambda _: answer, is_reusable, is_optional, cut_after=cut_after)
        entry.then_close = then_close
        self._add(entry)

    def add_callback(
        self,
        callback: Callback,
        method: str | None = None,
        url: str | re.Pattern[str] | None = None,
        *,
        is_reusable: bool = False,
        is_optional: bool = False,
    ) -> None:
        """Queue an answer computed by ``callback(request)`` (on the server's thread)."""
        self._add(_Entry(method, url, callback, is_reusable, is_optional))

    def add_failure(
        self,
        failure: Wire,
        method: str | None = None,
        url: str | re.Pattern[str] | None = None,
        *,
        is_reusable: bool = False,
    ) -> None:
        """Queue a failure on the wire (after the whole request was read)."""
        self._add(_Entry(method, url, lambda _: failure, is_reusable, False))

    def add_refusal(self) -> None:
        """Refuse the connection the client makes after the answers queued so far were served
        (a connect error); the server listens again at the client's next backoff."""
        with self._lock:
            self._state.refusals.append(_Refusal(after=len(self._state.entries)))
        self._update_listener()

    def refuse_connections(self) -> None:
        """Refuse every connection from now on (idle ones are closed)."""
        with self._lock:
            self._state.refusals.append(_Refusal(after=0, forever=True))
        self._update_listener()

    def _add(self, entry: _Entry) -> None:
        with self._lock:
            self._state.entries.append(entry)

    def get_requests(self) -> list[httpx.Request]:
        """Every request that arrived, in order."""
        with self._lock:
            return list(self._state.requests)

    def arrival(self, count: int = 1) -> asyncio.Event:
        """An event of the running asyncio loop, set once ``count`` requests have arrived."""
        event = asyncio.Event()
        loop = asyncio.get_running_loop()

        def check() -> None:  # under the lock
            if len(self._state.requests) >= count:
                loop.call_soon_threadsafe(event.set)
            else:
                self._watchers.append(check)

        with self._lock:
            check()
        return event

    # ------------------------------------------------------------------ refusals

    def _refused(self, state: _State) -> bool:
        served = len(state.requests)
        return any(r.forever or r.after <= served for r in state.refusals)

    def backed_off(self) -> None:
        """The client ended an attempt and backs off: a refusal it met is spent."""
        with self._lock:
            state = self._state
            if not state.arrived_since_backoff:
                served = len(state.requests)
                spent = next(
                    (r for r in state.refusals if not r.forever and r.after <= served), None
                )
                if spent is not None:
                    state.refusals.remove(spent)
            state.arrived_since_backoff = False
        self._update_listener()

    def _update_listener(self) -> None:
        """Listen unless a refusal is due (from any thread; synchronous)."""
        with self._lock:
            refuse = self._refused(self._state)
            if refuse == (not self._listening):
                return
            self._listening = not refuse
            if refuse:
                self._sock.shutdown(socket.SHUT_RD)  # refused from now on; the port stays ours
            else:
                self._sock.listen(64)
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if refuse:  # idle connections would be reused instead of connecting: close them
            if threading.current_thread() is self._thread:
                self._close_idle()
            else:
                asyncio.run_coroutine_threadsafe(self._close_idle_async(), loop).result(5)
        elif self._resume is not None:
            loop.call_soon_threadsafe(self._resume.set)

    def _close_idle(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()

    async def _close_idle_async(self) -> None:
        self._close_idle()

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        loop = self._loop
        if loop is not None and self._stop is not None:
            loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._sock.close()

    def check(self) -> None:
        """Fail on a request nothing matched, or an answer never asked for."""
        with self._lock:
            state = self._state
            unexpected = list(state.unexpected)
            unused = [str(e) for e in state.entries if not e.used and not e.optional]
        problems = []
        if unexpected:
            problems.append(f"requests no scripted answer matched: {unexpected}")
        if unused:
            problems.append(f"scripted answers never asked for: {unused}")
        assert not problems, "; ".join(problems)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._resume = asyncio.Event()
        tasks: set[asyncio.Task[None]] = set()
        accepting = asyncio.create_task(self._accept(tasks))
        self._ready.set()
        await self._stop.wait()
        accepting.cancel()
        for task in [*tasks, accepting]:
            task.cancel()
        await asyncio.gather(*tasks, accepting, return_exceptions=True)

    async def _accept(self, tasks: set[asyncio.Task[None]]) -> None:
        loop = asyncio.get_running_loop()
        assert self._resume is not None
        while True:
            try:
                conn, _ = await loop.sock_accept(self._sock)
            except OSError:  # not listening (a refusal): wait until it listens again
                self._resume.clear()
                if not self._listening:
                    await self._resume.wait()
                continue
            task = asyncio.create_task(self._connection(conn))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    # ------------------------------------------------------------------ one connection

    async def _connection(self, conn: socket.socket) -> None:
        reader, writer = await asyncio.open_connection(sock=conn)
        self._writers.add(writer)
        try:
            while True:
                request = await _read_request(reader, self.port)
                if request is None:
                    return
                self._writers.discard(writer)  # busy: not idle
                entry, answer = await self._answer(request)
                if isinstance(answer, Wire):
                    await self._fail(answer, reader, writer)
                    return
                close = self._refusal_due()
                then_close = entry is not None and entry.then_close
                sock = writer.transport.get_extra_info("socket")
                if then_close:  # the answer and the end of the connection in one segment, so
                    # the client can never see one without the other (Linux's TCP_CORK)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
                writer.write(_response_bytes(answer, close, entry.cut_after if entry else None))
                if then_close:
                    sock.shutdown(socket.SHUT_WR)
                await writer.drain()
                if close or then_close or (entry is not None and entry.cut_after is not None):
                    return
                self._writers.add(writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def _refusal_due(self) -> bool:
        """Whether a refusal is due now (this answer then closes its connection)."""
        with self._lock:
            due = self._refused(self._state)
        if due:
            self._update_listener()
        return due

    async def _answer(self, request: httpx.Request) -> tuple[_Entry | None, Answer]:
        with self._lock:
            state = self._state
            state.requests.append(request)
            state.arrived_since_backoff = True
            matching = [e for e in state.entries if e.matches(request)]
            entry = next((e for e in matching if not e.used), None)
            if entry is None:
                entry = next((e for e in reversed(matching) if e.reusable), None)
            if entry is None:
                state.unexpected.append(f"{request.method} {request.url}")
            else:
                entry.used += 1
            watchers, self._watchers = self._watchers, []
            for watcher in watchers:
                watcher()
        if entry is None:
            return None, httpx.Response(418, json={"errorCode": "NO_SCRIPTED_ANSWER"})
        answer = entry.make(request)
        if inspect.isawaitable(answer):
            answer = await answer
        return entry, answer

    async def _fail(
        self, failure: Wire, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if failure is Wire.RESET:
            writer.transport.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            writer.transport.abort()
        elif failure is Wire.STALL:
            with contextlib.suppress(ConnectionError):
                while await reader.read(65536):  # until the client hangs up
                    pass


async def _read_request(reader: asyncio.StreamReader, port: int) -> httpx.Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise
        return None
    lines = head[:-4].decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = [tuple(line.split(":", 1)) for line in lines[1:]]
    pairs = [(name, value.strip()) for name, value in headers]
    length = next((int(v) for k, v in pairs if k.lower() == "content-length"), 0)
    assert not any(k.lower() == "transfer-encoding" for k, _ in pairs), "chunked request"
    body = await reader.readexactly(length) if length else None
    return httpx.Request(method, f"http://127.0.0.1:{port}{target}", headers=pairs, content=body)


def _response_bytes(answer: httpx.Response, close: bool, cut_after: int | None) -> bytes:
    body = b"".join(answer.stream) if isinstance(answer.stream, httpx.ByteStream) else b""
    status = answer.status_code
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Whatever"
    lines = [f"HTTP/1.1 {status} {reason}"]
    names = set()
    for name, value in answer.headers.multi_items():
        names.add(name.lower())
        lines.append(f"{name}: {value}")
    if "content-length" not in names and "transfer-encoding" not in names:
        lines.append(f"content-length: {len(body)}")
    if close:
        lines.append("connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + (body if cut_after is None else body[:cut_after])


# ---------------------------------------------------------------------------------- fixtures


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    """The scripted server; at teardown, every request matched and every answer was asked for."""
    with ScriptedServer() as server:
        yield server
    server.check()


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    """Each offered transport in turn (its name is in the test id)."""
    return str(request.param)


Connect = Callable[..., contextlib.AbstractAsyncContextManager[LegitHealth]]


@functools.cache
def _verifying_context() -> ssl.SSLContext:
    """One verifying TLS context for every user's client of the run (loading the CA bundle
    costs ~40 ms a client otherwise)."""
    return httpx.create_ssl_context()


@contextlib.asynccontextmanager
async def on_transport(transport: str) -> AsyncIterator[dict[str, Any]]:
    """The settings that put a client on ``transport`` (one of :data:`TRANSPORTS`)."""
    if transport == "http_client":
        # A user's own client (trust_env off: a proxy of this machine's is not the point).
        async with httpx.AsyncClient(trust_env=False, verify=_verifying_context()) as own:
            yield {"http_client": own}
    else:
        yield {"transport": transport}


@pytest.fixture
def connect(scripted: ScriptedServer, transport: str) -> Connect:
    """``connect(**settings)``: a client on the scripted server, on the test's transport.

    Defaults: pinned backoff (jitter off: 0.5, 1, 2, 4, 8, 8...) recorded by
    ``scripted.sleeps`` instead of slept.
    """

    @contextlib.asynccontextmanager
    async def make(**settings: Any) -> AsyncIterator[LegitHealth]:
        settings.setdefault("base_url", scripted.base_url)
        settings.setdefault("retry_policy", RetryPolicy(random=lambda: 0.0))
        settings.setdefault("sleep", scripted.sleeps)
        token = settings.pop("api_token", TOKEN)
        async with on_transport(transport) as chosen:
            async with LegitHealth(token, **chosen, **settings) as lh:
                yield lh

    return make
