"""Fixtures of the conformance run: the sandbox behind real nginx, and real squid before it.

Run by ``make conformance`` (``pytest -m conformance tests/conformance``). ``make test`` leaves
these tests out (they need nginx and squid on the machine): they run only when selected by
their marker or their folder.

One uvicorn server (a thread, for the session) serves the current test's sandbox through a
switch; nginx (TLS from a CA made here, keep-alive limits, gzip, chunked answers) is in front
of it, squid (basic auth, CONNECT only to ``API_HOSTNAME``) in front of nginx. Each test picks
a ``route`` (nginx directly at 127.0.0.1, or nginx through squid at ``API_HOSTNAME``) and a
transport (every one the client offers, HTTP/2 included: to nginx's HTTP/2 port).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from starlette.types import Receive, Scope, Send

from legithealth_async import LegitHealth, RetryPolicy
from legithealth_async.sandbox import Sandbox, SandboxServer

from .servers import API_HOSTNAME, Nginx, Squid, require

HERE = Path(__file__).resolve().parent
TOKEN = "conformance-token"  # the sandbox's, for these tests only
#: Backoff in tens of milliseconds: the faults are many, the run must stay short. Not shorter:
#: retries 1-10 ms apart could all fall inside one moment of a connection's end (an HTTP/2
#: GOAWAY). 12 retries: the faults fail ~1 request in 5, and over HTTP/2 nginx resets the
#: stream of a dropped upstream (an ambiguous create: a lookup, then the create again), so 8,
#: shared by a create and its lookups, ran out for one record in ~1 sync of 20 over HTTP/2.
FAST = RetryPolicy(initial=0.01, maximum=0.1, max_retries=12)
#: The client's transports; the last two speak HTTP/2 (to nginx's HTTP/2 port).
TRANSPORTS = ("asyncio", "httpx", "http_client", "http2", "http_client-http2")
ROUTES = ("nginx", "squid")
_PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark this folder's tests ``conformance``; leave them out unless asked for (``-m
    conformance`` or this folder named on the command line)."""
    mine = [item for item in items if HERE in item.path.parents]
    for item in mine:
        item.add_marker(pytest.mark.conformance)
    named = any(HERE == p or HERE in p.parents for p in (Path(a).resolve() for a in config.args))
    if not mine or named or "conformance" in (config.option.markexpr or ""):
        return
    config.hook.pytest_deselected(items=mine)
    items[:] = [item for item in items if HERE not in item.path.parents]


class _Switch:
    """An ASGI app that forwards to the current test's sandbox."""

    def __init__(self) -> None:
        self.target: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.target(scope, receive, send)


@dataclass
class Servers:
    """What the session runs: the sandbox's server, nginx, squid, and the CA's bundle."""

    switch: _Switch
    sandbox_server: SandboxServer
    nginx: Nginx
    squid: Squid
    ca_bundle: Path


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    nginx_binary, squid_binary = require("nginx"), require("squid")
    ca = trustme.CA()
    bundle = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    # The name the proxy resolves, and the address the client dials directly.
    certificate = ca.issue_cert(API_HOSTNAME, "127.0.0.1").private_key_and_cert_chain_pem.bytes()
    switch = _Switch()
    host = Sandbox(token=TOKEN)
    host.app = switch  # type: ignore[assignment]  # serve the switch, not this sandbox
    with SandboxServer(host) as sandbox_server:
        port = httpx.URL(sandbox_server.base_url).port
        assert port is not None
        with Nginx(nginx_binary, port, certificate).run() as nginx:
            with Squid(squid_binary, nginx.port, nginx.h2_port).run() as squid:
                yield Servers(switch, sandbox_server, nginx, squid, bundle)


@pytest.fixture
def sandbox(servers: Servers) -> Iterator[Sandbox]:
    """This test's sandbox (fresh), served behind nginx."""
    sandbox = Sandbox(token=TOKEN, seed=19)
    servers.switch.target = sandbox.app
    servers.squid.access.mark()
    servers.nginx.mark(servers.ca_bundle)
    yield sandbox
    servers.switch.target = None


@dataclass(frozen=True)
class Route:
    """How the client reaches nginx: at ``host``, through squid or not."""

    through_proxy: bool
    host: str


@pytest.fixture(params=ROUTES)
def route(
    request: pytest.FixtureRequest, servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> Route:
    """nginx at 127.0.0.1 ("nginx"), or at ``API_HOSTNAME`` through squid (``HTTPS_PROXY``;
    "squid"). The test CA is trusted through ``SSL_CERT_FILE``."""
    clear_proxies(monkeypatch)
    monkeypatch.setenv("SSL_CERT_FILE", str(servers.ca_bundle))
    if request.param == "nginx":
        return Route(False, "127.0.0.1")
    monkeypatch.setenv("HTTPS_PROXY", servers.squid.proxy_url())
    return Route(True, API_HOSTNAME)


def clear_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy from the machine's environment (in either case)."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


class Connect:
    """Makes clients on one transport (``name``, one of ``TRANSPORTS``), to nginx's port for
    its protocol: HTTP/1.1 for ``"asyncio"``, ``"httpx"`` and a user's own
    ``http_client=httpx.AsyncClient()``; HTTP/2 for ``http2=True`` (``"http2"``) and a user's own
    ``httpx.AsyncClient(http2=True)`` (``"http_client-http2"``). Proxy and CA come from the
    environment."""

    def __init__(self, name: str, servers: Servers) -> None:
        self.name = name
        self.http2 = name.endswith("http2")
        self.port = servers.nginx.h2_port if self.http2 else servers.nginx.port
        self._own: list[httpx.AsyncClient] = []

    def __call__(self, route: Route, **options: Any) -> LegitHealth:
        """A client of nginx at ``route`` (``retry_policy`` FAST unless given)."""
        base_url = f"https://{route.host}:{self.port}/integration/v1"
        options.setdefault("retry_policy", FAST)
        if self.name.startswith("http_client"):
            limits = httpx.Limits(max_connections=16)
            http = httpx.AsyncClient(timeout=10, limits=limits, http2=self.http2)
            self._own.append(http)
            return LegitHealth(TOKEN, base_url=base_url, http_client=http, **options)
        if self.http2:
            return LegitHealth(TOKEN, base_url=base_url, http2=True, **options)
        return LegitHealth(TOKEN, base_url=base_url, transport=self.name, **options)

    async def aclose(self) -> None:
        """Close the users' own clients made here."""
        own, self._own = self._own, []
        for http in own:
            await http.aclose()


@pytest.fixture(params=TRANSPORTS)
async def connect(request: pytest.FixtureRequest, servers: Servers) -> AsyncIterator[Connect]:
    """Makes clients on this test's transport (:class:`Connect`)."""
    connect = Connect(request.param, servers)
    yield connect
    await connect.aclose()
