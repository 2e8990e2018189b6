"""One measured client run against the loopback upstream, in its own process (prints JSON).

``python -m benchmarks.loopclient KIND URL CONCURRENCY N [TRANSPORT]``. Run by ``loopback.py``
with this tree's Python or with the baseline venv's (the package as it was before issue 13), so
it uses only what both versions offer. The process's CPU time over the measured window is the
client's alone: the upstream is another process (its CPU is read from ``/__stats``).

KIND: ``raw-aiohttp`` (GETs on a bare aiohttp session: the machine's limit line), ``get`` (the
facade's ``patients.get``), ``sync-new`` / ``sync-unchanged`` (``sync_patients`` of N records
the upstream does not / does know), ``naive`` (``asyncio.gather`` of N ``patients.create``),
``create`` / ``get100`` (N facade calls, CONCURRENCY at a time: one create, or one get of 100
known ids), and ``gen-create`` / ``gen-get100`` (the same calls through the bare generated
client on its own ``httpx.AsyncClient``: the per-call baseline).
TRANSPORT (for the facade): ``default`` (what the client makes for itself), a name the client
takes (``asyncio``, ``httpx``), ``httpx-aiohttp`` (that package's transport, as ``transport=``)
or ``httpx-onepool`` (one ``httpx.AsyncClient`` pool of CONCURRENCY connections, as a user's
``http_client``; ``httpx-onepool-unchecked``: the same with the route check of
``_transports/route.py`` made a no-op, to price it).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.request
from typing import Any

from ._common import record_json

TOKEN = "bench-token"


def _stats(root: str) -> dict[str, float]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    with opener.open(root + "/__stats", timeout=10) as answer:
        return json.loads(answer.read())  # type: ignore[no-any-return]


class Window:
    """The measured part of a run: wall time, this process's CPU, the upstream's CPU."""

    def __init__(self, base: str) -> None:
        self._root = base.split("/integration")[0]

    def start(self) -> None:
        self._server = _stats(self._root)
        self._cpu = time.process_time()
        self._wall = time.perf_counter()

    def stop(self, items: int, requests: int) -> dict[str, float]:
        wall = time.perf_counter() - self._wall
        cpu = time.process_time() - self._cpu
        server = _stats(self._root)
        return {
            "wall": wall,
            "items": items,
            "requests": requests,
            "client_cpu": cpu,
            "server_cpu": server["cpu_s"] - self._server["cpu_s"],
            "served": server["requests"] - self._server["requests"] - 1,
        }


def _client(base: str, concurrency: int, transport: str) -> tuple[Any, Any]:
    import httpx

    from legithealth_async import LegitHealth

    extra: dict[str, Any] = {}
    own = None
    if transport == "httpx-aiohttp":
        from httpx_aiohttp import AiohttpTransport

        extra["transport"] = AiohttpTransport(
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        )
    elif transport.startswith("httpx-onepool"):
        if transport == "httpx-onepool-unchecked":  # the route check's cost: it does nothing
            from legithealth_async._transports import route

            route.RouteCheck.extensions = lambda self, timeouts: {"timeout": timeouts}  # type: ignore[method-assign]
            route.RouteCheck.answered = lambda self, extensions: None  # type: ignore[method-assign]
        own = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        )
        extra["http_client"] = own
    elif transport != "default":
        extra["transport"] = transport
    return LegitHealth(TOKEN, base_url=base, max_in_flight=concurrency, **extra), own


def _records(n: int, known: bool) -> list[Any]:
    from legithealth_async.sync import parse_record

    out = []
    for i in range(n):
        data = record_json(i)
        if not known:
            data["externalId"] = f"new-{time.monotonic_ns()}-{i}"
        out.append(parse_record(data, line=i + 1))
    return out


async def _raw(base: str, concurrency: int, n: int) -> dict[str, float]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> None:
            url = f"{base}/patients?externalIds%5B%5D=bench-{i}"
            async with session.get(url, headers={"X-API-TOKEN": TOKEN}) as r:
                json.loads(await r.read())

        await _gated(concurrency, concurrency, one)  # open the connections
        window = Window(base)
        window.start()
        await _gated(concurrency, n, one)
        return window.stop(n, n)


async def _facade(
    kind: str, base: str, concurrency: int, n: int, transport: str
) -> dict[str, float]:
    from legithealth_async.sync import sync_patients

    lh, own = _client(base, concurrency, transport)
    needs_records = kind == "naive" or kind.startswith("sync-")
    records = _records(n, known=kind == "sync-unchanged") if needs_records else []
    async with lh:

        def get(i: int) -> Any:
            return lh.patients.get(f"bench-{i}")

        await _gated(concurrency, concurrency, get)  # open the connections
        window = Window(base)
        window.start()
        if kind == "get":
            await _gated(concurrency, n, get)
            requests = n
        elif kind in ("create", "get100"):
            await _gated(concurrency, n, _facade_call(lh, kind))
            requests = n
        elif kind == "naive":
            await asyncio.gather(
                *(
                    lh.patients.create(
                        external_id=r.external_id, email=r.email, first_name=r.first_name
                    )
                    for r in records
                )
            )
            requests = n
        else:
            outcomes = await _count(sync_patients(lh, records, concurrency=concurrency))
            expected = "unchanged" if kind == "sync-unchanged" else "created"
            if outcomes != {expected: n}:
                raise SystemExit(f"{kind}: outcomes {outcomes}, expected all {expected}")
            requests = -(-n // 100) + (0 if kind == "sync-unchanged" else n)
        result = window.stop(n, requests)
    if own is not None:
        await own.aclose()
    return result


LIST_IDS = [f"ext-{i:08d}" for i in range(100)]


def _facade_call(lh: Any, kind: str) -> Any:
    from benchmarks.percall import create_kwargs

    if kind == "create":
        return lambda i: lh.patients.create(**create_kwargs(i))
    return lambda i: lh.patients.get_many(LIST_IDS)


async def _gated(concurrency: int, n: int, call: Any) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await call(i)

    await asyncio.gather(*(one(i) for i in range(n)))


async def _generated(kind: str, base: str, concurrency: int, n: int) -> dict[str, float]:
    """The bare generated call on its own ``httpx.AsyncClient`` (a pool of CONCURRENCY)."""
    import httpx

    from benchmarks.percall import _gen_body
    from legithealth_async._generated import AuthenticatedClient
    from legithealth_async._generated.api.patients import create_patient, get_patients

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    client = AuthenticatedClient(
        base_url=base,
        token=TOKEN,
        prefix="",
        auth_header_name="X-API-TOKEN",
        httpx_args={"limits": limits},
    )

    async def call(i: int) -> None:
        if kind == "gen-create":
            r = await create_patient.asyncio_detailed(client=client, body=_gen_body(i))
        else:
            r = await get_patients.asyncio_detailed(client=client, external_ids=LIST_IDS)
        if r.parsed is None or r.status_code >= 300:
            raise SystemExit(f"{kind}: HTTP {r.status_code}")

    async with client:
        await _gated(concurrency, concurrency, call)  # open the connections
        window = Window(base)
        window.start()
        await _gated(concurrency, n, call)
        return window.stop(n, n)


async def _count(session: Any) -> dict[str, int]:
    """Outcomes by kind: an ``async with`` block now, an async iterator in the baseline."""
    outcomes: dict[str, int] = {}

    async def count(stream: Any) -> None:
        async for outcome in stream:
            key = outcome.outcome.value
            outcomes[key] = outcomes.get(key, 0) + 1

    if hasattr(session, "__aenter__"):
        async with session as stream:
            await count(stream)
    else:
        await count(session)
    return outcomes


def main(argv: list[str]) -> int:
    kind, base, concurrency, n = argv[0], argv[1], int(argv[2]), int(argv[3])
    transport = argv[4] if len(argv) > 4 else "default"
    if kind == "raw-aiohttp":
        result = asyncio.run(_raw(base, concurrency, n))
    elif kind.startswith("gen-"):
        result = asyncio.run(_generated(kind, base, concurrency, n))
    else:
        result = asyncio.run(_facade(kind, base, concurrency, n, transport))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
