"""The transports a client makes for itself: built lazily, small pools, slots freed, TLS on,
env proxies honoured, a create whose answer was lost looked up (not resent), trio, HTTP/2.

The correctness cases run against every transport offered (``TRANSPORTS``).
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpcore
import httpx
import pytest
import sniffio
import trio
import trustme
from _scripted import on_transport
from _toolkit import no_sleep, tcp_server

from legithealth_async import LegitHealth, RetryPolicy
from legithealth_async._transports import sharded as T
from legithealth_async._transports.choice import ChosenTransport, choose
from legithealth_async._transports.sharded import ShardedTransport, environment_proxy
from legithealth_async._transports.via_httpx import HttpxTransport
from legithealth_async.errors import APIConnectionError, ConfigurationError
from legithealth_async.sandbox import Sandbox, SandboxServer

TRANSPORTS = ("asyncio", "httpx")


def _default(lh: LegitHealth) -> ChosenTransport:
    transport = lh._session.sender.transport
    assert isinstance(transport, ChosenTransport)
    return transport


def _chosen(lh: LegitHealth) -> object:
    """The transport the client chose (httpx's, unwrapped from its adapter)."""
    inner = _default(lh).inner
    return inner.inner if isinstance(inner, HttpxTransport) else inner


def _shards(lh: LegitHealth) -> ShardedTransport:
    inner = _chosen(lh)
    assert isinstance(inner, ShardedTransport)
    return inner


# ------------------------------------------------------------------------------ construction


def test_sniffio_is_installed_and_httpcore_finds_it() -> None:
    # httpcore asks sniffio which event loop runs every time it makes a lock or an event; when
    # the import fails it silently assumes asyncio, paying a failed import (~30% of a request's
    # CPU). It must be a dependency, and importable.
    requires = importlib.metadata.requires("legithealth-async") or []
    assert any(r.split(">")[0].split("=")[0].strip() == "sniffio" for r in requires)
    calls: list[str] = []
    real = sniffio.current_async_library

    def counted() -> str:
        calls.append(real())
        return calls[-1]

    async def detect() -> str:
        return httpcore._synchronization.current_async_library()  # type: ignore[attr-defined]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sniffio, "current_async_library", counted)
        assert asyncio.run(detect()) == "asyncio"
    assert calls == ["asyncio"]  # detected through sniffio, not the ImportError fallback


def test_constructing_a_client_makes_no_pool_and_no_tls_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[object] = []
    real = httpx.create_ssl_context

    def counted(*args: object, **kwargs: object) -> ssl.SSLContext:
        made.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx, "create_ssl_context", counted)
    monkeypatch.setattr(T, "_contexts", {})
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.hospital.test:3128")  # no proxy pool either
    # Nor an httpx.AsyncClient (built only to be unpacked, it mounted a proxy pool of its own).
    monkeypatch.setattr(httpx.AsyncClient, "__init__", lambda *a, **kw: made.append("client"))
    clients = [
        LegitHealth("t", base_url="https://api.test/v1", max_in_flight=100, transport=name)
        for name in ("auto", *TRANSPORTS)
    ]
    assert made == []
    for lh in clients:
        assert _default(lh).inner is None
    assert made == []


async def test_every_pool_shares_one_verifying_tls_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[object] = []
    real = httpx.create_ssl_context
    monkeypatch.setattr(httpx, "create_ssl_context", lambda **kw: made.append(kw) or real(**kw))
    monkeypatch.setattr(T, "_contexts", {})
    monkeypatch.setenv("NO_PROXY", "*")

    async def refused(self: object, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("not here")

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", refused)
    contexts = []
    for _ in range(2):
        async with LegitHealth(
            "t", base_url="https://api.test/v1", max_in_flight=10, transport="httpx", max_retries=0
        ) as lh:
            with pytest.raises(APIConnectionError):
                await lh.patients.get("x")
            shards = _shards(lh)._shards
            assert len(shards) == 3  # 10 connections in pools of at most 4
            for shard in shards:
                pool = shard._pool
                assert pool._max_connections == 4
                contexts.append(pool._ssl_context)
    assert len(made) == 1  # one CA bundle load for every pool of every client
    assert all(c is contexts[0] for c in contexts)
    assert contexts[0].verify_mode == ssl.CERT_REQUIRED
    assert contexts[0].check_hostname is True


def test_transport_choice() -> None:
    async def auto(http2: bool) -> str:
        return choose("auto", http2=http2)

    assert asyncio.run(auto(False)) == "asyncio"
    assert asyncio.run(auto(True)) == "httpx"  # the asyncio transport speaks HTTP/1.1 only
    assert trio.run(auto, False) == "httpx"  # the asyncio transport is asyncio-only
    with pytest.raises(ValueError, match=r"HTTP/1\.1 only"):
        ChosenTransport(
            "asyncio", max_connections=1, shard_size=1, keepalive_expiry=1, http2=True, proxy=None
        )
    with pytest.raises(ValueError, match=r"http:// proxies only"):
        ChosenTransport(
            "asyncio",
            max_connections=1,
            shard_size=1,
            keepalive_expiry=1,
            http2=False,
            proxy="socks5://127.0.0.1:1080",
        )
    with pytest.raises(ConfigurationError, match="transport must be one of"):
        LegitHealth("t", base_url="https://api.test/v1", transport="curl")  # type: ignore[arg-type]


def test_an_injected_transport_is_used_as_is(legithealth_sandbox: Sandbox) -> None:
    transport = legithealth_sandbox.transport()
    lh = LegitHealth("t", base_url=legithealth_sandbox.base_url, transport=transport)
    used = lh._session.sender.transport
    assert isinstance(used, HttpxTransport)
    assert used.inner is transport


# ------------------------------------------------------------------------------ the httpx pools


def _on_shard_entry(transport: Any, call: Callable[[int], None]) -> None:
    """Call ``call(index)`` as each request enters pool ``index`` (its slot already counted)."""
    for index, shard in enumerate(transport._shards):
        send = shard.handle_async_request

        async def entering(
            request: httpx.Request, index: int = index, send: Any = send
        ) -> httpx.Response:
            call(index)
            return await send(request)

        shard.handle_async_request = entering


async def test_requests_spread_over_the_pools_and_free_their_slots(
    legithealth_sandbox: Sandbox,
) -> None:
    legithealth_sandbox.faults.set("getPatients", latency_ms=80)
    with SandboxServer(legithealth_sandbox) as server:
        async with LegitHealth(
            server.token, base_url=server.base_url, max_in_flight=16, transport="httpx"
        ) as lh:
            await lh.patients.get("p")
            transport = _shards(lh)
            peaks = [0] * len(transport._shards)

            def note_peak(index: int) -> None:
                peaks[index] = max(peaks[index], transport._load[index])

            _on_shard_entry(transport, note_peak)  # the load seen by every request, exactly
            await asyncio.gather(*[lh.patients.get(f"p{i}") for i in range(64)])
            assert peaks == [4, 4, 4, 4]  # every pool used, none over its size
            assert transport._load == [0, 0, 0, 0]  # every body closed, every slot freed
            opened = [len(s._pool.connections) for s in transport._shards]
            assert all(1 <= n <= 4 for n in opened)


async def test_slots_are_freed_when_requests_fail_or_are_cancelled(
    legithealth_sandbox: Sandbox,
) -> None:
    legithealth_sandbox.faults.set("getPatients", stall_rate=1.0, stall_seconds=5)
    with SandboxServer(legithealth_sandbox) as server:
        async with LegitHealth(
            server.token,
            base_url=server.base_url,
            max_in_flight=8,
            timeout=httpx.Timeout(2.0, read=0.2),
            retry_policy=RetryPolicy(max_retries=0),
            transport="httpx",
        ) as lh:
            results = await asyncio.gather(
                *[lh.patients.get(f"p{i}") for i in range(8)], return_exceptions=True
            )
            assert all(isinstance(r, Exception) for r in results)
            transport = _shards(lh)
            assert transport._load == [0, 0]
            entered = asyncio.Event()
            _on_shard_entry(transport, lambda _: entered.set())
            task = asyncio.create_task(lh.patients.get("x"))
            await entered.wait()  # in flight: the server stalls it
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert transport._load == [0, 0]


# ------------------------------------------------------------------------------ every transport


@pytest.mark.loopback
@pytest.mark.parametrize("name", [*TRANSPORTS, "auto"])
async def test_a_create_whose_answer_was_lost_is_looked_up_not_resent(
    name: str, legithealth_sandbox: Sandbox
) -> None:
    # The server applies the create, then drops the connection before answering: the request
    # may have been applied, so the facade must look the patient up (and find it) rather than
    # treat the failure as "never sent", resend, and end in PatientAlreadyExistsError.
    legithealth_sandbox.faults.set("createPatient", drop_after_rate=1.0)
    with SandboxServer(legithealth_sandbox) as server:
        async with LegitHealth(
            server.token,
            base_url=server.base_url,
            transport=name,  # type: ignore[arg-type]
            retry_policy=RetryPolicy(random=lambda: 0.0),
            sleep=no_sleep,
        ) as lh:
            patient = await lh.patients.create(external_id="lost-answer", email="a@example.org")
            # "auto" on asyncio is the asyncio transport (the default).
            expected = "ShardedTransport" if name == "httpx" else "Http11Transport"
            assert type(_chosen(lh)).__name__ == expected
    assert patient.external_id == "lost-answer"
    assert legithealth_sandbox.create_attempts("lost-answer") == 1  # never sent twice
    assert [f for f in legithealth_sandbox.faults.fired if f[1] == "drop_after"]


class _ConnectProxy:
    """A forward proxy on loopback that records each request line and refuses it (403)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self._sock.settimeout(10)
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                self.lines.append(head.split(b"\r\n", 1)[0].decode())
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    def __enter__(self) -> _ConnectProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._sock.close()
        self._thread.join(5)


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[_ConnectProxy]:
    with _ConnectProxy() as running:
        monkeypatch.setenv("HTTPS_PROXY", running.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        yield running


@pytest.mark.loopback
@pytest.mark.parametrize("name", TRANSPORTS)
async def test_the_environment_proxy_is_honoured(name: str, proxy: _ConnectProxy) -> None:
    # The proxy refuses the tunnel, so nothing leaves the machine; what it saw is the proof.
    async with LegitHealth(
        "t",
        base_url="https://api.legit-health.test/integration/v1",
        transport=name,  # type: ignore[arg-type]
        retry_policy=RetryPolicy(max_retries=0),
    ) as lh:
        with pytest.raises(APIConnectionError):
            await lh.patients.get("x")
    assert proxy.lines == ["CONNECT api.legit-health.test:443 HTTP/1.1"]


def test_no_proxy_bypasses_the_environment_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.hospital.test:3128")
    monkeypatch.setenv("NO_PROXY", "internal.test")
    assert environment_proxy(httpx.URL("https://api.legit.health/v1")) == (
        "http://proxy.hospital.test:3128"
    )
    assert environment_proxy(httpx.URL("https://internal.test/v1")) is None


@pytest.mark.parametrize("name", TRANSPORTS)
async def test_tls_is_verified(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A TLS server with a self-signed certificate is refused, on every transport.
    monkeypatch.setenv("NO_PROXY", "*")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = await asyncio.start_server(lambda r, w: w.close(), sock=sock, ssl=server_ctx)
    async with server:
        async with LegitHealth(
            "t",
            base_url=f"https://127.0.0.1:{port}/v1",
            transport=name,  # type: ignore[arg-type]
            retry_policy=RetryPolicy(max_retries=0),
        ) as lh:
            with pytest.raises(APIConnectionError) as caught:
                await lh.patients.get("x")
    assert "ConnectError" in str(caught.value)  # a refused handshake: never sent


@pytest.mark.parametrize("name", TRANSPORTS)
async def test_a_certificate_from_the_configured_ca_is_trusted(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    # The success path of TLS: a hospital's own CA (SSL_CERT_FILE), the name checked (an IP
    # address here), answers read over the encrypted connection and the connection reused; and
    # one TLS context made for every connection of every client of the process (the default
    # transport's counterpart of test_every_pool_shares_one_verifying_tls_context).
    monkeypatch.setenv("NO_PROXY", "*")
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setattr(T, "_contexts", {})
    made: list[object] = []
    real = httpx.create_ssl_context
    monkeypatch.setattr(httpx, "create_ssl_context", lambda **kw: made.append(kw) or real(**kw))
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n[]")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    async with server:
        for _ in range(2):
            async with LegitHealth(
                "t",
                base_url=f"https://127.0.0.1:{port}/v1",
                transport=name,  # type: ignore[arg-type]
            ) as lh:
                for _ in range(3):
                    assert await lh.practitioners.specialties() == []
    assert connections == 2  # one a client, reused for its three calls
    assert len(made) == 1


def test_trio_runs_the_default_client(legithealth_sandbox: Sandbox) -> None:
    async def main(url: str, token: str) -> str:
        async with LegitHealth(token, base_url=url) as lh:
            made = await lh.patients.create(external_id="on-trio", email="t@example.org")
            assert isinstance(_chosen(lh), ShardedTransport)
            return made.external_id

    with SandboxServer(legithealth_sandbox) as server:
        assert trio.run(main, server.base_url, server.token) == "on-trio"


async def test_auto_keeps_to_httpx_when_httpx_is_mocked(httpx_mock: Any) -> None:
    # A user's pytest-httpx (or respx) mocks must see the client's requests.
    httpx_mock.add_response(json=[])
    async with LegitHealth("t", base_url="https://api.test/v1") as lh:
        assert await lh.patients.get("x") is None
        assert isinstance(_chosen(lh), ShardedTransport)


@pytest.mark.parametrize("name", [*TRANSPORTS, "http_client"])
async def test_a_cookie_a_server_sets_is_never_sent_back(name: str) -> None:
    # The API authenticates by token: no transport keeps a cookie jar (httpx's extraction, a
    # urllib request and response emulated per answer, cost ~9% of a request's CPU). A user's
    # own http_client files it in its own jar (AsyncClient.send does), and still sends nothing.
    heads: list[bytes] = []

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            heads.append((await reader.readuntil(b"\r\n\r\n")).lower())
            cookie = b"set-cookie: lb=abc; Path=/\r\n" if len(heads) == 1 else b""
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n" + cookie + b"\r\n[]")
            await writer.drain()

    async with tcp_server(connection) as port:
        base = f"http://127.0.0.1:{port}/v1"
        async with on_transport(name) as chosen, LegitHealth("t", base_url=base, **chosen) as lh:
            for external_id in ("x", "y", "z"):
                assert await lh.patients.get(external_id) is None
    assert len(heads) == 3
    assert [h for h in heads if b"\r\ncookie:" in h] == []


class _CutByGoaway(httpx.AsyncByteStream):
    """An answer's body that breaks off after its first byte with the exception h2 raises for a
    frame that follows a server's GOAWAY (python-hyper/h2#1181); httpx lets it through raw
    (httpcore maps h2's errors only up to the answer's head)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        import h2.exceptions

        yield b"{"
        raise h2.exceptions.ProtocolError(
            "Invalid input ConnectionInputs.RECV_WINDOW_UPDATE in state ConnectionState.CLOSED"
        )


class _GoawayMidAnswer(httpx.AsyncBaseTransport):
    """The sandbox, but each create's answer is cut by a GOAWAY: the create was applied, its
    answer lost."""

    legithealth_in_process = True  # the sandbox's own transport inside: no socket

    def __init__(self, sandbox: Sandbox) -> None:
        self._inner = sandbox.transport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.method != "POST":
            return response
        await response.aread()
        return httpx.Response(response.status_code, stream=_CutByGoaway())


@pytest.mark.parametrize("own_client", [False, True])
async def test_an_http2_answer_cut_by_goaway_is_a_create_looked_up_not_a_failure(
    own_client: bool, legithealth_sandbox: Sandbox
) -> None:
    # Before: h2.exceptions.ProtocolError escaped the transport unmapped, and the sync reported
    # the record failed ("ProtocolError", details withheld) through real nginx's GOAWAY
    # (tests/conformance). Now it is an httpx.RemoteProtocolError: sent, so the create is
    # looked up (and found), never sent twice.
    pytest.importorskip("h2")
    transport = _GoawayMidAnswer(legithealth_sandbox)
    own = httpx.AsyncClient(transport=transport) if own_client else None
    async with LegitHealth(
        legithealth_sandbox.token,
        # A user's client: plain http only to loopback (its transport cannot be seen).
        base_url=legithealth_sandbox.base_url.replace("http://sandbox", "http://127.0.0.1"),
        **({"http_client": own} if own_client else {"transport": transport}),
        retry_policy=RetryPolicy(random=lambda: 0.0),
        sleep=no_sleep,
    ) as lh:
        patient = await lh.patients.create(external_id="goaway", email="a@example.org")
    if own is not None:
        await own.aclose()
    assert patient.external_id == "goaway"
    assert legithealth_sandbox.create_attempts("goaway") == 1


def test_a_stream_a_goaway_left_unprocessed_is_never_sent() -> None:
    # httpcore fails every stream of a connection the server ended with a GOAWAY as a
    # RemoteProtocolError holding h2's ConnectionTerminated. A stream above its last_stream_id
    # was never processed (RFC 9113 6.8): a connect error, so a create is sent again without a
    # lookup; one at or below it may have been processed: left a protocol error (sent).
    from h2.events import ConnectionTerminated

    from legithealth_async._retry import was_sent
    from legithealth_async._transports.waiting import RefusedStream, refused_stream

    goaway = ConnectionTerminated()
    goaway.last_stream_id = 7

    def mapped() -> httpx.RemoteProtocolError:
        try:
            try:
                raise httpcore.RemoteProtocolError(goaway)
            except httpcore.RemoteProtocolError as inner:
                raise httpx.RemoteProtocolError(str(inner)) from inner
        except httpx.RemoteProtocolError as outer:
            return outer

    refused = refused_stream(mapped(), 9)
    assert isinstance(refused, RefusedStream) and not was_sent(refused)
    assert refused_stream(mapped(), 7) is None
    assert refused_stream(mapped(), None) is None  # HTTP/1.1, or no stream yet
    assert refused_stream(httpx.RemoteProtocolError("Server disconnected"), 9) is None
