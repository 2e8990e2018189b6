"""A fast canned-answer upstream for the loopback benchmarks, run in its own process.

``python -m benchmarks.upstream --latency-ms 50`` prints its port, then answers HTTP/1.1
(keep-alive) on 127.0.0.1 until stdin closes. A raw asyncio protocol, so the server is not the
bottleneck (~0.1 ms of CPU a request). Every answer waits ``latency`` first. The API as
documented, for what the benchmarks send:

- ``GET .../patients?externalIds[]=...``: the patients it knows among the ids. It knows every id
  that starts with ``ext-`` (with exactly the fields of ``_common.record_json``, so a sync of those
  records finds them unchanged) and none other.
- ``POST .../patients``: 201, the patient sent, with ids added.
- ``PATCH .../patients/{id}``: 200, the patient as known.
- ``GET /__stats``: ``{"cpu_s": process CPU, "requests": n}`` at once (no latency).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.parse
from typing import Any

from ._common import patient_json, record_json

_HEADERS = b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
_REASONS = {200: b"OK", 201: b"Created", 404: b"Not Found"}


class _Known:
    """Patient JSON by external id, as the server knows it (built once per id)."""

    def __init__(self) -> None:
        self._cache: dict[str, bytes] = {}

    def get(self, external_id: str) -> bytes | None:
        cached = self._cache.get(external_id)
        if cached is None and external_id.startswith("ext-"):
            try:
                i = int(external_id[4:])
            except ValueError:
                return None
            cached = self._cache[external_id] = json.dumps(_known_patient(i)).encode()
        return cached


def _known_patient(i: int) -> dict[str, Any]:
    record = record_json(i)
    record["id"] = f"pat_{i:08d}"
    record["phone"] = None
    record["conditions"] = [
        {**c, "id": f"cond_{i:08d}_{k}", "frequency": None}
        for k, c in enumerate(record["conditions"])
    ]
    return record


class _Protocol(asyncio.Protocol):
    def __init__(self, server: Upstream) -> None:
        self._server = server
        self._buf = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buf += data
        while True:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self._buf[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self._buf) < end + 4 + length:
                return
            body = self._buf[end + 4 : end + 4 + length]
            self._buf = self._buf[end + 4 + length :]
            method, target, _ = head.split(" ", 2)
            self._server.requests += 1
            answer = self._server.answer(method, target, body)
            if target == "/__stats":
                self._write(answer)
            else:
                asyncio.get_running_loop().call_later(self._server.latency, self._write, answer)

    def _write(self, answer: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


class Upstream:
    """The canned answers (see the module doc)."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.requests = 0
        self._known = _Known()

    @staticmethod
    def _response(status: int, body: bytes) -> bytes:
        line = b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status])
        return line + _HEADERS % len(body) + body

    def answer(self, method: str, target: str, body: bytes) -> bytes:
        path, _, query = target.partition("?")
        if path == "/__stats":
            stats = {"cpu_s": time.process_time(), "requests": self.requests}
            return self._response(200, json.dumps(stats).encode())
        if method == "GET" and path.endswith("/patients"):
            ids = [v for k, v in urllib.parse.parse_qsl(query) if k == "externalIds[]"]
            found = [p for p in map(self._known.get, ids) if p is not None]
            return self._response(200, b"[" + b",".join(found) + b"]")
        if method == "POST" and path.endswith("/patients"):
            sent = json.loads(body)
            made = patient_json(0, conditions=0)
            made.update(sent)
            made["id"] = "pat_" + str(sent.get("externalId"))
            made["conditions"] = [
                {"frequency": None, "isTracked": False, **c, "id": f"cond_{k}"}
                for k, c in enumerate(sent.get("conditions", []))
            ]
            return self._response(201, json.dumps(made).encode())
        if method == "PATCH" and "/patients/" in path:
            external_id = urllib.parse.unquote(path.rsplit("/", 1)[1])
            known = self._known.get(external_id)
            return self._response(200, known) if known else self._response(404, b"{}")
        return self._response(404, b'{"success":false,"message":"no","errorCode":"NOT_FOUND"}')


async def _main(latency_ms: float) -> None:
    upstream = Upstream(latency_ms / 1000)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Protocol(upstream), "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    # Serve until the parent closes our stdin (or dies).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    latency = (
        float(sys.argv[sys.argv.index("--latency-ms") + 1]) if "--latency-ms" in sys.argv else 50.0
    )
    asyncio.run(_main(latency))
