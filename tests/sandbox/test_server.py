"""Loopback: the plugin's fixtures, SandboxServer, and the command line."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import threading

import httpx
import pytest

from legithealth_async.sandbox import Sandbox, SandboxServer, main
from legithealth_async.sandbox.server import SandboxServer as ServerClass
from legithealth_async.sandbox.server import _bind

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


async def test_keep_alive_requests_are_not_delayed_by_nagle() -> None:
    """Each answer is two writes (head, body): without TCP_NODELAY each costs ~40 ms.

    asyncio sets TCP_NODELAY on accepted sockets only when the listening socket's proto is
    IPPROTO_TCP: checked on a socket accepted from the sandbox's own listening socket.
    """
    sock = _bind("127.0.0.1", 0)
    nodelay: list[int] = []

    async def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = writer.get_extra_info("socket")
        nodelay.append(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(accepted, sock=sock)
    try:
        _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        while not nodelay:
            await asyncio.sleep(0.01)
        writer.close()
    finally:
        server.close()
    assert nodelay == [1]
