"""The environment, proxies and bounds (issue 19 §4): what a client takes from the environment,
what it refuses at construction, and how a proxy's refusal is classified, on every transport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from _toolkit import no_sleep, tcp_server

from legithealth_async import LegitHealth, RetryPolicy
from legithealth_async.errors import APIConnectionError, ConfigurationError

TRANSPORTS = ("asyncio", "httpx")
BASE = "https://api.legit-health.test/integration/v1"


@pytest.fixture(autouse=True)
def _no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


@asynccontextmanager
async def refusing_proxy(answer: bytes | None) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A proxy on loopback that answers every CONNECT with ``answer`` (None: it closes)."""
    seen: list[bytes] = []

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append((await reader.readuntil(b"\r\n\r\n")).split(b"\r\n", 1)[0])
        if answer is not None:
            writer.write(answer)
            await writer.drain()

    async with tcp_server(connection) as port:
        yield f"http://127.0.0.1:{port}", seen


@pytest.mark.loopback
@pytest.mark.parametrize(
    ("name", "written"),
    [
        # Before: ignored, the request went direct (a DNS failure here, silently past the proxy).
        ("ALL_PROXY", "http://"),
        ("all_proxy", "http://"),
        # Without a scheme, as httpx and curl read it (http://). Before: refused as "not
        # http:// or https:// (SOCKS is not supported)".
        ("HTTPS_PROXY", ""),
        ("https_proxy", ""),
        ("ALL_PROXY", ""),
    ],
)
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_environment_proxy_is_taken(
    monkeypatch: pytest.MonkeyPatch, transport: str, name: str, written: str
) -> None:
    refused = b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n"
    async with refusing_proxy(refused) as (url, seen):
        monkeypatch.setenv(name, written + url.removeprefix("http://"))
        async with LegitHealth(
            "t",
            base_url=BASE,
            transport=transport,  # type: ignore[arg-type]
            max_retries=0,
        ) as lh:
            with pytest.raises(APIConnectionError):
                await lh.patients.get("x")
    assert seen == [b"CONNECT api.legit-health.test:443 HTTP/1.1"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ALL_PROXY", "socks5://nurse:s3cret@127.0.0.1:1080"),
        ("HTTPS_PROXY", "socks5h://nurse:s3cret@127.0.0.1:1080"),
        ("https_proxy", "ftp://nurse:s3cret@127.0.0.1:21"),
    ],
)
@pytest.mark.parametrize("transport", ["auto", *TRANSPORTS])
def test_a_proxy_no_transport_speaks_is_refused_at_construction_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, transport: str, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    # Before: accepted, then an untyped ImportError (socksio) at the first call.
    with pytest.raises(ConfigurationError, match=name) as info:
        LegitHealth("t", base_url=BASE, transport=transport)  # type: ignore[arg-type]
    assert "s3cret" not in str(info.value) and "nurse" not in str(info.value)


@pytest.mark.parametrize("port", ["70000", "0", "65536"])
def test_a_port_out_of_range_is_refused_at_construction(
    monkeypatch: pytest.MonkeyPatch, port: str
) -> None:
    with pytest.raises(ConfigurationError, match="port out of range"):
        LegitHealth("t", base_url=f"https://api.legit-health.test:{port}/v1")
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    with pytest.raises(ConfigurationError, match="HTTPS_PROXY names a proxy with a port out"):
        LegitHealth("t", base_url=BASE)


@pytest.mark.loopback
@pytest.mark.parametrize(
    "answer",
    [b"HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n", None],
    ids=["407", "closed"],
)
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_tunnel_the_proxy_refuses_is_never_sent(
    monkeypatch: pytest.MonkeyPatch, transport: str, answer: bytes | None
) -> None:
    async with refusing_proxy(answer) as (url, seen):
        monkeypatch.setenv("HTTPS_PROXY", url)
        async with LegitHealth(
            "t",
            base_url=BASE,
            transport=transport,  # type: ignore[arg-type]
            retry_policy=RetryPolicy(max_retries=1),
            sleep=no_sleep,
        ) as lh:
            # Before: "outcome unknown ... a retry could duplicate", though nothing reached the
            # API; now a connection error, retried as any request never sent.
            with pytest.raises(APIConnectionError) as info:
                await lh.patients.create(external_id="p1", email="ada@example.org")
    assert info.value.reason == "ProxyError"
    assert seen == [b"CONNECT api.legit-health.test:443 HTTP/1.1"] * 2  # the create, retried


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "ALL_PROXY"])
def test_http_and_https_proxies_are_taken(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    for value in ("http://nurse:s3cret@proxy.hospital.test:3128", "https://proxy.hospital.test"):
        monkeypatch.setenv(name, value)
        LegitHealth("t", base_url=BASE)  # made: no ConfigurationError


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "all_proxy"])
def test_an_https_proxy_on_the_asyncio_transport_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "https://nurse:s3cret@proxy.hospital.test:3128")
    # Before: "the asyncio transport goes through http:// proxies only", naming no variable.
    with pytest.raises(ConfigurationError, match=f"^{name} names an https:// proxy") as info:
        LegitHealth("t", base_url=BASE, transport="asyncio")
    assert "s3cret" not in str(info.value) and "hospital" not in str(info.value)
    LegitHealth("t", base_url=BASE)  # "auto" takes it, on httpx
