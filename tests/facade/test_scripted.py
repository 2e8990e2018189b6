"""The scripted server itself (``tests/_scripted.py``): each client really runs on the transport
named in its test id, each failure on the wire is the transport error it stands for, and a
script that does not match what the client sent fails the test; the server serves a client on
trio too (its own thread and loop), where httpx's pools and a user's http_client run."""

from __future__ import annotations

import socket

import pytest
import trio
from _scripted import STALL_TIMEOUT, Connect, ScriptedServer, Wire, on_transport

from legithealth_async import (
    APIConnectionError,
    APITimeoutError,
    LegitHealth,
    RetryPolicy,
    UnexpectedResponseError,
)
from legithealth_async._transports.choice import ChosenTransport
from legithealth_async._transports.http11 import Http11Transport
from legithealth_async._transports.sharded import ShardedTransport
from legithealth_async._transports.via_httpx import HttpxClient, HttpxTransport

from .conftest import patient_json

GET_URL = "/patients?externalIds%5B%5D=p1"


def _chosen(lh: LegitHealth) -> object:
    """What the client sends through (httpx's pools unwrapped from their adapter)."""
    transport = lh._session.sender.transport
    if isinstance(transport, ChosenTransport):
        inner = transport.inner
        return inner.inner if isinstance(inner, HttpxTransport) else inner
    return transport


async def test_each_client_runs_on_the_transport_of_its_test_id(
    connect: Connect, scripted: ScriptedServer, transport: str
) -> None:
    scripted.add_response(url=GET_URL, json=[patient_json("p1")])
    async with connect() as lh:
        assert await lh.patients.get("p1") is not None
        chosen = _chosen(lh)
    expected = {"asyncio": Http11Transport, "httpx": ShardedTransport, "http_client": HttpxClient}
    assert type(chosen) is expected[transport]


# What each failure on the wire becomes, with no retry: every transport classifies it alike,
# except how a reset is named (asyncio's transport sees it as the connection lost, httpx as a
# failed read: both "maybe sent").
FAILURES = {
    Wire.CLOSE: {"asyncio": "RemoteProtocolError", "httpx": "RemoteProtocolError"},
    Wire.RESET: {"asyncio": "RemoteProtocolError", "httpx": "ReadError"},
    Wire.STALL: {"asyncio": "ReadTimeout", "httpx": "ReadTimeout"},
}


@pytest.mark.parametrize("failure", Wire, ids=str)
async def test_each_failure_on_the_wire_is_the_transport_error_it_stands_for(
    lh: LegitHealth, scripted: ScriptedServer, transport: str, failure: Wire
) -> None:
    scripted.add_failure(failure, url=GET_URL)
    with pytest.raises(APIConnectionError) as info:
        await lh.with_options(max_retries=0, timeout=STALL_TIMEOUT).patients.get("p1")
    reasons = FAILURES[failure]
    assert info.value.reason == reasons["asyncio" if transport == "asyncio" else "httpx"]
    assert isinstance(info.value, APITimeoutError) is (failure is Wire.STALL)
    assert len(scripted.get_requests()) == 1  # the request arrived whole


async def test_a_truncated_body_is_a_protocol_error(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_response(url=GET_URL, json=[patient_json("p1")], cut_after=5)
    with pytest.raises(APIConnectionError) as info:
        await lh.with_options(max_retries=0).patients.get("p1")
    assert info.value.reason == "RemoteProtocolError"


async def test_a_refusal_is_a_real_refused_connection_and_ends_at_the_backoff(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_refusal()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", scripted.port), timeout=5).close()
    scripted.add_response(url=GET_URL, json=[patient_json("p1")])
    assert await lh.patients.get("p1") is not None  # refused once, then answered
    assert scripted.sleeps == [0.5]
    socket.create_connection(("127.0.0.1", scripted.port), timeout=5).close()  # listening


@pytest.mark.parametrize("transport", ["asyncio"])
async def test_a_script_that_does_not_match_fails_the_test(connect: Connect) -> None:
    with ScriptedServer() as server:
        server.add_response(url="/practitioners/specialties", json=[])
        async with connect(base_url=server.base_url) as lh:
            with pytest.raises(UnexpectedResponseError) as info:
                await lh.patients.get("p1")  # nothing scripted for it: a 418, never retried
        assert info.value.status_code == 418
        with pytest.raises(AssertionError, match="no scripted answer matched") as unexpected:
            server.check()
    assert "never asked for: ['* /practitioners/specialties']" in str(unexpected.value)


def test_the_server_serves_a_client_on_trio(scripted: ScriptedServer) -> None:
    # Its own thread and loop: a client on any backend (trio: httpx's pools, the default there).
    scripted.add_response(url=GET_URL, status_code=503, json={"errorCode": "X"})
    scripted.add_refusal()
    scripted.add_response(url=GET_URL, json=[patient_json("p1")])

    async def main() -> str | None:
        async with LegitHealth(
            "t",
            base_url=scripted.base_url,
            sleep=scripted.sleeps,
            retry_policy=RetryPolicy(random=lambda: 0.0),
        ) as lh:
            patient = await lh.patients.get("p1")
            assert isinstance(_chosen(lh), ShardedTransport)
        return None if patient is None else patient.external_id

    assert trio.run(main) == "p1"
    assert scripted.sleeps == [0.5, 1.0]  # after the 503, after the refused connection
    assert len(scripted.get_requests()) == 2


@pytest.mark.parametrize("transport", ["httpx", "http_client"])  # what runs on trio
@pytest.mark.parametrize("failure", ["refused", *Wire], ids=str)
def test_each_failure_on_the_wire_is_retried_on_trio(
    scripted: ScriptedServer, transport: str, failure: str | Wire
) -> None:
    if isinstance(failure, Wire):
        scripted.add_failure(failure, url=GET_URL)
    else:
        scripted.add_refusal()
    scripted.add_response(url=GET_URL, json=[patient_json("p1")])

    async def main() -> str | None:
        async with (
            on_transport(transport) as chosen,
            LegitHealth(
                "t",
                base_url=scripted.base_url,
                sleep=scripted.sleeps,
                retry_policy=RetryPolicy(random=lambda: 0.0),
                timeout=STALL_TIMEOUT,
                **chosen,
            ) as lh,
        ):
            patient = await lh.patients.get("p1")
        return None if patient is None else patient.external_id

    assert trio.run(main) == "p1"
    assert scripted.sleeps == [0.5]
