"""Loopback: the plugin's fixtures, SandboxServer, and the command line."""

from __future__ import annotations

import functools
import re
import socket
import subprocess
import sys
import threading
from typing import Any

import anyio
import httpx
import pytest
from _toolkit import wait_until

from legithealth_async.sandbox import Sandbox, SandboxServer, main
from legithealth_async.sandbox.server import SandboxServer as ServerClass

from .conftest import patient_body


async def test_plugin_in_process_fixture(legithealth_sandbox: Sandbox) -> None:
    async with legithealth_sandbox.client() as api:
        r = await api.post("/patients", json=patient_body())
    assert r.status_code == 201
    assert legithealth_sandbox.base_url == "http://sandbox/integration/v1"
    assert legithealth_sandbox.patient("p-1") is not None


async def test_plugin_server_fixture(
    legithealth_sandbox_server: SandboxServer, legithealth_sandbox: Sandbox
) -> None:
    server = legithealth_sandbox_server
    assert server.sandbox is legithealth_sandbox
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/integration/v1", server.base_url)
    headers = {"X-API-TOKEN": server.token}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as api:
        r = await api.post("/patients", json=patient_body())
    assert r.status_code == 201
    assert legithealth_sandbox.create_effects("p-1") == 1


def test_fixture_names_are_exported_by_the_plugin(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("legithealth_sandbox")
    assert plugin is not None
    assert plugin.__name__ == "legithealth_async_pytest"


async def test_server_stops_cleanly_and_frees_its_port() -> None:
    threads_before = set(threading.enumerate())
    sandbox = Sandbox(token="t")
    with SandboxServer(sandbox) as server:
        url = server.base_url
        async with httpx.AsyncClient(headers={"X-API-TOKEN": "t"}) as api:
            assert (await api.get(f"{url}/practitioners/specialties")).status_code == 200
    assert set(threading.enumerate()) == threads_before
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as api:
            await api.get(f"{url}/practitioners/specialties")
    assert ServerClass is SandboxServer


async def test_server_stops_while_a_request_is_stalled() -> None:
    threads_before = set(threading.enumerate())
    sandbox = Sandbox(token="t")
    sandbox.faults.set("getPractitionerSpecialties", stall_rate=1.0)
    with SandboxServer(sandbox) as server:
        async with httpx.AsyncClient(headers={"X-API-TOKEN": "t"}) as api:
            async with api.stream("GET", f"{server.base_url}/practitioners/specialties") as r:
                assert r.status_code == 200
                server.stop()  # returns although the answer never finished
    assert set(threading.enumerate()) == threads_before


def test_cli_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--fault", "createPatient:explode=1"]) == 2
    assert "unknown fault setting" in capsys.readouterr().err
    assert main(["--fault", "noSuchOperation:error_rate=1"]) == 2
    assert main(["--port", "not-a-port"]) == 2
    assert main(["--start", "2026-01-01T00:00:00"]) == 2
    assert main(["--help"]) == 0
    assert "--fault" in capsys.readouterr().out


def test_cli_prints_url_and_token_then_serves() -> None:
    command = [
        sys.executable,
        "-m",
        "legithealth_async.sandbox",
        "--port",
        "0",
        "--token",
        "cli-token",
        "--seed",
        "5",
        "--start",
        "2026-01-01T00:00:00Z",
        "--fault",
        "getPractitionerSpecialties:error_rate=1,status=504",
        "--latency-ms",
        "1",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url_line, token_line = process.stdout.readline(), process.stdout.readline()
        match = re.fullmatch(
            r"Legit\.Health sandbox: (http://127\.0\.0\.1:\d+/integration/v1)\n", url_line
        )
        assert match, url_line
        assert token_line == "X-API-TOKEN: cli-token\n"
        base_url = match.group(1)
        with httpx.Client(base_url=base_url, headers={"X-API-TOKEN": "cli-token"}) as api:
            assert api.get("/practitioners/specialties").status_code == 504
            r = api.post("/patients", json=patient_body())
            assert r.status_code == 201
            with httpx.Client(base_url=base_url) as anonymous:
                assert anonymous.post("/patients", json=patient_body("p-2")).status_code == 401
    finally:
        process.terminate()
        assert process.wait(timeout=10) in (0, -15)


async def test_keep_alive_requests_are_not_delayed_by_nagle(
    legithealth_sandbox_server: SandboxServer,
) -> None:
    """Each answer is two writes (head, body): with Nagle's algorithm on, every keep-alive request
    waits ~40 ms for a delayed ACK. The server's end of each connection has TCP_NODELAY set
    (asyncio sets it only on sockets made with proto IPPROTO_TCP)."""
    server = legithealth_sandbox_server
    assert server._server is not None
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"X-API-TOKEN": server.token}
    ) as api:
        for _ in range(2):  # the second on the kept-alive connection
            assert (await api.get("/practitioners/specialties")).status_code == 200
        [connection] = server._server.server_state.connections
        sock = connection.transport.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


async def test_idle_waits_for_the_connections_and_for_requests_their_client_left() -> None:
    """A request whose client went away still counts: ``idle`` means nothing can change any
    more (what a test waits for after killing a client)."""
    sandbox = Sandbox(token="t")
    entered, go = threading.Event(), threading.Event()

    async def hold(body: dict[str, Any]) -> None:
        entered.set()
        await anyio.to_thread.run_sync(go.wait, 30)

    sandbox.before_create_patient = hold
    with SandboxServer(sandbox) as server:
        assert server.idle
        async with httpx.AsyncClient(base_url=server.base_url, headers={"X-API-TOKEN": "t"}) as api:
            async with anyio.create_task_group() as group:
                group.start_soon(functools.partial(api.post, "/patients", json=patient_body()))
                assert await anyio.to_thread.run_sync(entered.wait, 30)
                assert not server.idle  # a connection, and a request held
                group.cancel_scope.cancel()  # the client gives up and closes its connection
        assert server._server is not None
        state = server._server.server_state
        await anyio.to_thread.run_sync(wait_until, lambda: not state.connections, "closed")
        assert not server.idle  # no connection, but the request is still being handled
        assert sandbox.patient("p-1") is None
        go.set()
        await anyio.to_thread.run_sync(wait_until, lambda: server.idle, "idle")
        assert sandbox.patient("p-1") is not None  # idle: the held create took effect
    assert server.idle  # stopped
