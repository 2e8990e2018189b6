"""Fixtures of the conformance run: the sandbox behind real nginx, and real squid before it.

Run by ``make conformance`` (``pytest -m conformance tests/conformance``). ``make test`` leaves
these tests out (they need nginx and squid on the machine): they run only when selected by
their marker or their folder.

One uvicorn server (a thread, for the session) serves the current test's sandbox through a
switch; nginx (TLS from a CA made here, keep-alive limits, gzip, chunked answers) is in front
of it, squid (basic auth, CONNECT only to ``API_HOSTNAME``) in front of nginx. Each test picks
a ``route`` (nginx directly at 127.0.0.1, or nginx through squid at ``API_HOSTNAME``) and a
``transport`` (every one the client offers).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
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
#: Backoff in milliseconds: the faults are many, the run must stay short.
FAST = RetryPolicy(initial=0.001, maximum=0.01, max_retries=8)
TRANSPORTS = ("asyncio", "httpx", "http_client")
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
            with Squid(squid_binary, nginx.port).run() as squid:
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
    """How the client reaches nginx: ``base_url``, through squid or not."""

    through_proxy: bool
    base_url: str


@pytest.fixture(params=ROUTES)
def route(
    request: pytest.FixtureRequest, servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> Route:
    """nginx at 127.0.0.1 ("nginx"), or at ``API_HOSTNAME`` through squid (``HTTPS_PROXY``;
    "squid"). The test CA is trusted through ``SSL_CERT_FILE``."""
    clear_proxies(monkeypatch)
    monkeypatch.setenv("SSL_CERT_FILE", str(servers.ca_bundle))
    if request.param == "nginx":
        return Route(False, f"https://127.0.0.1:{servers.nginx.port}/integration/v1")
    monkeypatch.setenv("HTTPS_PROXY", servers.squid.proxy_url())
    return Route(True, f"https://{API_HOSTNAME}:{servers.nginx.port}/integration/v1")


def clear_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy from the machine's environment (in either case)."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


Connect = Callable[..., LegitHealth]


@pytest.fixture(params=TRANSPORTS)
async def connect(request: pytest.FixtureRequest) -> AsyncIterator[Connect]:
    """Makes a client on this test's transport: ``transport="asyncio"``, ``transport="httpx"``,
    or a user's own ``http_client=httpx.AsyncClient()`` (proxy and CA from the environment)."""
    own: list[httpx.AsyncClient] = []

    def connect(base_url: str, **options: Any) -> LegitHealth:
        options.setdefault("retry_policy", FAST)
        if request.param == "http_client":
            http = httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=16))
            own.append(http)
            return LegitHealth(TOKEN, base_url=base_url, http_client=http, **options)
        return LegitHealth(TOKEN, base_url=base_url, transport=request.param, **options)

    yield connect
    for http in own:
        await http.aclose()
