"""A user's own ``http_client`` or ``transport=``: its route is checked on the wire.

httpx keeps a client's transports, and a transport's TLS context and proxy, private; this client
reads none of them (the last test pins it). It watches the connections instead, through
httpcore's public ``trace`` and ``network_stream`` extensions (``_transports/route.py``): a TLS
context that does not verify is refused before the handshake, plain http through a proxy before
the proxy is dialled, and a connection opened before the client saw it at its first answer.
Every refusal is a ``ConfigurationError`` that carries no secret, and no token reaches anyone.
"""

from __future__ import annotations

import ast
import asyncio
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpcore
import httpx
import pytest
import trio
import trustme

from legithealth_async import LegitHealth
from legithealth_async.errors import ConfigurationError

TOKEN = "route-check-token-0123456789"
SRC = Path(__file__).resolve().parents[2] / "src" / "legithealth_async"

pytestmark = pytest.mark.loopback


@pytest.fixture(autouse=True)
def _no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@dataclass
class Api:
    """A TLS (or plain) API on loopback: the connections it accepted and what it was sent."""

    port: int
    scheme: str
    handshakes: int = 0
    heads: list[bytes] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/integration/v1"

    @property
    def tokens(self) -> int:
        return sum(TOKEN.encode() in head for head in self.heads)


@asynccontextmanager
async def serving(tls: ssl.SSLContext | None) -> AsyncIterator[Api]:
    """An API answering ``[]`` to every request, keeping its connections open."""
    api = Api(0, "https" if tls else "http")

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        api.handshakes += 1  # asyncio calls back once the TLS handshake is done
        try:
            while True:
                api.heads.append(await reader.readuntil(b"\r\n\r\n"))
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n[]")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", 0, ssl=tls)
    api.port = server.sockets[0].getsockname()[1]
    async with server:
        yield api
        server.close()


@dataclass
class Proxy:
    """A proxy on loopback: CONNECT tunnels to loopback ports; anything else recorded, 502."""

    port: int
    lines: list[bytes] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@asynccontextmanager
async def proxying() -> AsyncIterator[Proxy]:
    proxy = Proxy(0)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        line = head.split(b"\r\n", 1)[0]
        proxy.lines.append(line)
        if not line.startswith(b"CONNECT 127.0.0.1:"):
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
            writer.close()
            return
        port = int(line.split(b" ")[1].rsplit(b":", 1)[1])
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(connection, "127.0.0.1", 0)
    proxy.port = server.sockets[0].getsockname()[1]
    async with server:
        yield proxy
        server.close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def trusting(ca: trustme.CA) -> ssl.SSLContext:
    """A verifying context that trusts the test CA."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def unverified(ca: trustme.CA) -> list[ssl.SSLContext | bool]:
    """``verify=False``, and a context that checks the certificate but not the host name."""
    no_hostname = trusting(ca)
    no_hostname.check_hostname = False
    return [False, no_hostname]


Build = Callable[..., LegitHealth]


def as_transport(base_url: str, **httpx_options: object) -> LegitHealth:
    transport = httpx.AsyncHTTPTransport(**httpx_options)  # type: ignore[arg-type]
    return LegitHealth(TOKEN, base_url=base_url, transport=transport, max_retries=0)


def as_client(base_url: str, **httpx_options: object) -> LegitHealth:
    client = httpx.AsyncClient(**httpx_options)  # type: ignore[arg-type]
    return LegitHealth(TOKEN, base_url=base_url, http_client=client, max_retries=0)


HOW = pytest.mark.parametrize("build", [as_transport, as_client], ids=["transport", "http_client"])


async def _refused(lh: LegitHealth, match: str) -> None:
    """Two calls, each refused with a ConfigurationError naming ``match`` and no secret."""
    for _ in range(2):
        with pytest.raises(ConfigurationError, match=match) as caught:
            await lh.practitioners.specialties()
        assert TOKEN not in str(caught.value)
        assert "127.0.0.1" not in str(caught.value)


# ------------------------------------------------------------------------ TLS verification


@HOW
@pytest.mark.parametrize("case", [0, 1], ids=["verify=False", "no-check_hostname"])
async def test_a_user_route_that_does_not_verify_is_refused_before_the_handshake(
    build: Build, case: int, ca: trustme.CA, tls: ssl.SSLContext
) -> None:
    async with serving(tls) as api:
        lh = build(api.base_url, verify=unverified(ca)[case], trust_env=False)
        async with lh:
            await _refused(lh, "verify")
    # Before: a construction-time check read httpx's private attributes. Now nothing reached
    # the server: not a handshake, let alone a request or the token.
    assert (api.handshakes, api.heads) == (0, [])


@HOW
async def test_a_user_route_that_verifies_is_used(
    build: Build, ca: trustme.CA, tls: ssl.SSLContext
) -> None:
    async with serving(tls) as api:
        async with build(api.base_url, verify=trusting(ca), trust_env=False) as lh:
            for _ in range(3):
                assert await lh.practitioners.specialties() == []
    assert api.handshakes == 1  # one connection, checked once, reused
    assert api.tokens == 3


@HOW
async def test_an_unverified_tunnel_is_refused_after_connect_before_the_handshake(
    build: Build, ca: trustme.CA, tls: ssl.SSLContext
) -> None:
    async with serving(tls) as api, proxying() as proxy:
        async with build(api.base_url, verify=False, proxy=proxy.url, trust_env=False) as lh:
            await _refused(lh, "verify")
        async with build(api.base_url, verify=trusting(ca), proxy=proxy.url) as lh:
            assert await lh.practitioners.specialties() == []
    connect = f"CONNECT 127.0.0.1:{api.port} HTTP/1.1".encode()
    assert proxy.lines == [connect] * 3  # twice refused, then the verifying one
    assert api.handshakes == 1
    assert api.tokens == 1


async def test_a_shared_connection_opened_unverified_is_refused_at_its_first_answer(
    tls: ssl.SSLContext,
) -> None:
    # The user's own request opened the connection (no watcher saw it open): the client's first
    # answer on it shows it, through the public network_stream extension.
    async with serving(tls) as api:
        async with httpx.AsyncClient(verify=False, trust_env=False) as shared:
            assert (await shared.get(api.base_url)).status_code == 200
            lh = LegitHealth(TOKEN, base_url=api.base_url, http_client=shared, max_retries=0)
            await _refused(lh, "verify")
    # The user's request, then the client's first (refused at its answer: that connection is
    # closed unread); the second call opened a connection of its own, refused before its
    # handshake.
    assert api.handshakes == 1
    assert len(api.heads) == 2


# ------------------------------------------------------------------- plain http, proxies


@HOW
async def test_plain_http_through_a_proxy_is_refused_before_the_proxy_is_dialled(
    build: Build,
) -> None:
    async with serving(None) as api, proxying() as proxy:
        async with build(api.base_url, proxy=proxy.url) as lh:
            await _refused(lh, "proxy")
    assert proxy.lines == []
    assert api.heads == []


async def test_plain_http_through_a_proxy_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with serving(None) as api, proxying() as proxy:
        monkeypatch.setenv("ALL_PROXY", proxy.url)
        # trust_env: httpx mounts the proxy when the client is built.
        async with as_client(api.base_url) as lh:
            await _refused(lh, "proxy")
        async with as_client(api.base_url, trust_env=False) as lh:
            assert await lh.practitioners.specialties() == []
    assert proxy.lines == []
    assert api.tokens == 1


@HOW
async def test_plain_http_straight_to_loopback_is_used(build: Build) -> None:
    async with serving(None) as api:
        async with build(api.base_url, trust_env=False) as lh:
            assert await lh.practitioners.specialties() == []
            assert await lh.practitioners.specialties() == []
    assert api.tokens == 2


def test_a_user_client_needs_https_beyond_loopback() -> None:
    # Its transport cannot be seen: refused at construction, with the way out named.
    own = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    with pytest.raises(ConfigurationError, match="transport=") as caught:
        LegitHealth(TOKEN, base_url="http://api.test/v1", http_client=own)
    assert "api.test" not in str(caught.value)


async def test_an_in_process_route_has_no_connection_to_check() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["x-api-token"])
        return httpx.Response(200, json=[])

    own = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    async with LegitHealth(TOKEN, base_url="https://api.test/v1", http_client=own) as lh:
        assert await lh.practitioners.specialties() == []
    assert seen == [TOKEN]


# --------------------------------------------------------------- no private attribute read


def _private_names() -> set[str]:
    """The private attribute names of httpx's and httpcore's client objects."""
    objects: list[object] = [
        httpx.AsyncClient(),
        httpx.AsyncHTTPTransport(),
        httpcore.AsyncConnectionPool(),
        httpcore.AsyncHTTPProxy(proxy_url="http://127.0.0.1:9"),
        httpx.Response(200),
    ]
    names: set[str] = set()
    for obj in objects:
        for name in (*vars(obj), *(n for cls in type(obj).__mro__ for n in vars(cls))):
            if name.startswith("_") and not name.startswith("__"):
                names.add(name)
    return names


def _rooted_at_self(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def test_no_private_attribute_of_httpx_or_httpcore_is_read() -> None:
    private = _private_names()
    assert {"_transport", "_transport_for_url", "_pool", "_ssl_context"} <= private
    found = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in private:
                if not _rooted_at_self(node.value):
                    found.append(f"{path.name}:{node.lineno} .{node.attr}")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr", "setattr")
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in private
            ):
                found.append(f"{path.name}:{node.lineno} {node.func.id} {node.args[1].value}")
    assert found == []


# ------------------------------------------------------------------------------------ trio


@contextmanager
def threaded_tls(tls: ssl.SSLContext) -> Iterator[Api]:
    """The same API in a thread of its own (a trio test's event loop is not asyncio's)."""
    listener = socket.create_server(("127.0.0.1", 0))
    api = Api(listener.getsockname()[1], "https")

    def connection(raw: socket.socket) -> None:
        with raw:
            try:
                conn = tls.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError):
                return
            api.handshakes += 1
            with conn:
                buffer = b""
                while chunk := conn.recv(65536):
                    buffer += chunk
                    while b"\r\n\r\n" in buffer:
                        head, buffer = buffer.split(b"\r\n\r\n", 1)
                        api.heads.append(head)
                        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n[]")

    def accept() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=connection, args=(raw,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accept
        listener.close()
        thread.join(5)


@HOW
def test_on_trio_an_unverified_route_is_refused_and_a_verified_one_used(
    build: Build, ca: trustme.CA, tls: ssl.SSLContext
) -> None:
    async def main(base_url: str) -> list[str]:
        outcomes = []
        for verify in (False, trusting(ca)):
            async with build(base_url, verify=verify, trust_env=False) as lh:
                try:
                    outcomes.append(repr(await lh.practitioners.specialties()))
                except ConfigurationError as exc:
                    outcomes.append(type(exc).__name__)
        return outcomes

    with threaded_tls(tls) as api:
        assert trio.run(main, api.base_url) == ["ConfigurationError", "[]"]
    assert api.handshakes == 1
    assert api.tokens == 1


@HOW
async def test_plain_http_over_a_unix_socket_is_used(build: Build, tmp_path: Path) -> None:
    # uds=: this machine, no proxy; checked as it opens and again at the answer (no peer port).
    heads: list[bytes] = []

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                heads.append(await reader.readuntil(b"\r\n\r\n"))
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n[]")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    path = str(tmp_path / "api.sock")
    server = await asyncio.start_unix_server(connection, path)
    async with server:
        base = "http://localhost/integration/v1"
        options = (
            {"uds": path}
            if build is as_transport
            else {"transport": httpx.AsyncHTTPTransport(uds=path), "trust_env": False}
        )
        async with build(base, **options) as lh:
            assert await lh.practitioners.specialties() == []
        server.close()
    assert len(heads) == 1 and TOKEN.encode() in heads[0]
