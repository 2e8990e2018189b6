"""The default transport: small pools, least-busy dispatch, slots freed, TLS on, env proxies."""

from __future__ import annotations

import asyncio
import ssl

import httpx
import pytest

from legithealth_async import LegitHealth, RetryPolicy
from legithealth_async._transport import ShardedTransport, environment_proxy
from legithealth_async.sandbox import Sandbox, SandboxServer


def _shards(lh: LegitHealth) -> ShardedTransport:
    transport = lh._requester._http._transport
    assert isinstance(transport, ShardedTransport)
    return transport


def test_default_client_splits_its_connections_into_pools_of_four() -> None:
    lh = LegitHealth("t", base_url="https://api.test/v1", max_in_flight=10)
    transport = _shards(lh)
    assert len(transport._shards) == 3
    for shard in transport._shards:
        pool = shard._pool
        assert pool._max_connections == 4
        # TLS verification stays on in every pool.
        assert pool._ssl_context is not None
        assert pool._ssl_context.verify_mode == ssl.CERT_REQUIRED
        assert pool._ssl_context.check_hostname is True


def test_an_injected_transport_is_used_as_is(legithealth_sandbox: Sandbox) -> None:
    transport = legithealth_sandbox.transport()
    lh = LegitHealth("t", base_url=legithealth_sandbox.base_url, transport=transport)
    assert lh._requester._http._transport is transport


async def test_requests_spread_over_the_pools_and_free_their_slots(
    legithealth_sandbox: Sandbox,
) -> None:
    legithealth_sandbox.faults.set("getPatients", latency_ms=80)
    with SandboxServer(legithealth_sandbox) as server:
        async with LegitHealth(server.token, base_url=server.base_url, max_in_flight=16) as lh:
            transport = _shards(lh)
            peaks = [0] * len(transport._shards)

            async def watch() -> None:
                while True:
                    for i, load in enumerate(transport._load):
                        peaks[i] = max(peaks[i], load)
                    await asyncio.sleep(0.005)

            watcher = asyncio.create_task(watch())
            await asyncio.gather(*[lh.patients.get(f"p{i}") for i in range(64)])
            watcher.cancel()
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
            max_retries=0,
            retry_policy=RetryPolicy(max_retries=0),
        ) as lh:
            transport = _shards(lh)
            results = await asyncio.gather(
                *[lh.patients.get(f"p{i}") for i in range(8)], return_exceptions=True
            )
            assert all(isinstance(r, Exception) for r in results)
            assert transport._load == [0, 0]
            task = asyncio.create_task(lh.patients.get("x"))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert transport._load == [0, 0]


def test_environment_proxy_is_honoured_and_no_proxy_bypasses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.hospital.test:3128")
    monkeypatch.setenv("NO_PROXY", "internal.test")
    assert environment_proxy(httpx.URL("https://api.legit.health/v1")) == (
        "http://proxy.hospital.test:3128"
    )
    assert environment_proxy(httpx.URL("https://internal.test/v1")) is None
    lh = LegitHealth("t", base_url="https://api.legit.health/v1")
    pool = _shards(lh)._shards[0]._pool
    assert type(pool).__name__ == "AsyncHTTPProxy"


async def test_requests_carry_the_clients_headers_the_token_and_the_timeout() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    own = httpx.AsyncClient(
        transport=httpx.MockTransport(answer), headers={"X-Hospital-Trace": "abc"}
    )
    async with LegitHealth(
        "tok", base_url="https://api.test/integration/v1/", http_client=own
    ) as lh:
        await lh.with_options(timeout=7).practitioners.specialties()
    await own.aclose()
    (request,) = seen
    assert str(request.url) == "https://api.test/integration/v1/practitioners/specialties"
    assert request.headers["X-Hospital-Trace"] == "abc"
    assert request.headers["X-API-TOKEN"] == "tok"
    assert request.extensions["timeout"] == httpx.Timeout(7).as_dict()
