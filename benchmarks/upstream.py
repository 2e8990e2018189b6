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
- ``GET /__stats``: ``{"cpu_s": process CPU, "requests": n, "served_s": the latencies served}``
  at once (no latency).

``--tail`` (the heavy-tail section, ``tail.py``) draws each answer's latency from a lognormal
(median ``latency``, p99 ~20x it, capped at 5 s), holds ``--hold-rate`` of the answers until the
client gives up (its attempt deadline), and answers ``--error-rate`` of the requests 503 with
``Retry-After: 1``. ``served_s`` adds up the time each answer kept its request waiting (a held
one: until the client closed the connection), the numerator of the tail-aware bound.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import sys
import time
import urllib.parse
from typing import Any

from ._common import patient_json, record_json

_HEADERS = b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
_REASONS = {200: b"OK", 201: b"Created", 404: b"Not Found", 503: b"Service Unavailable"}
#: The lognormal's sigma for a p99 of 20x the median (z(0.99) = 2.326).
_SIGMA = math.log(20) / 2.326
_CAP_S = 5.0
_HOLD_S = 600.0
_UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
    b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
)


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
        self._pending: dict[int, tuple[float, asyncio.TimerHandle]] = {}
        self._next = 0

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
                self._write(-1, answer)
            else:
                latency, answer = self._server.shape(answer)
                loop = asyncio.get_running_loop()
                key = self._next = self._next + 1
                handle = loop.call_later(latency, self._write, key, answer)
                self._pending[key] = (loop.time(), handle)

    def _write(self, key: int, answer: bytes) -> None:
        pending = self._pending.pop(key, None)
        if pending is not None:
            self._server.served_s += asyncio.get_running_loop().time() - pending[0]
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        now = asyncio.get_running_loop().time()
        for started, handle in self._pending.values():  # held answers: waited until now
            self._server.served_s += now - started
            handle.cancel()
        self._pending.clear()


class Upstream:
    """The canned answers (see the module doc)."""

    def __init__(
        self, latency: float, *, tail: bool = False, hold_rate: float = 0.0, error_rate: float = 0.0
    ) -> None:
        self.latency = latency
        self.requests = 0
        self.served_s = 0.0
        self._known = _Known()
        self._tail = tail
        self._hold_rate = hold_rate
        self._error_rate = error_rate
        self._random = random.Random(24)

    def shape(self, answer: bytes) -> tuple[float, bytes]:
        """This answer's latency, and the answer (or a 503) with the ``--tail`` options."""
        if not self._tail:
            return self.latency, answer
        draw = self._random.random()
        if draw < self._hold_rate:
            return _HOLD_S, answer
        latency = min(self._random.lognormvariate(math.log(self.latency), _SIGMA), _CAP_S)
        if draw < self._hold_rate + self._error_rate:
            return latency, _UNAVAILABLE
        return latency, answer

    @staticmethod
    def _response(status: int, body: bytes) -> bytes:
        line = b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status])
        return line + _HEADERS % len(body) + body

    def answer(self, method: str, target: str, body: bytes) -> bytes:
        path, _, query = target.partition("?")
        if path == "/__stats":
            stats = {
                "cpu_s": time.process_time(),
                "requests": self.requests,
                "served_s": self.served_s,
            }
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


async def _main(latency_ms: float, **shape: Any) -> None:
    upstream = Upstream(latency_ms / 1000, **shape)
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
    shape: dict[str, Any] = {"tail": "--tail" in sys.argv}
    for flag in ("--hold-rate", "--error-rate"):
        if flag in sys.argv:
            shape[flag[2:].replace("-", "_")] = float(sys.argv[sys.argv.index(flag) + 1])
    asyncio.run(_main(latency, **shape))
