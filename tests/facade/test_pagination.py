"""get_many / auth tokens over any number of ids; login links; cancellation mid-retry; on every
transport (a scripted server on loopback: ``tests/_scripted.py``)."""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import parse_qsl, urlsplit

import anyio
import httpx
import pytest
from _scripted import Connect, ScriptedServer, Wire
from _toolkit import BlockingSleep, cancel_when
from anyio import wait_all_tasks_blocked

from legithealth_async import LegitHealth, login_link
from legithealth_async.pagination import chunk_ids

from .conftest import error_json, patient_json


def _serve_known(scripted: ScriptedServer, asked: list[list[str]]) -> None:
    """Answer getPatients like the server: unknown ids (``u…``) absent, order shuffled."""

    def answer(request: httpx.Request) -> httpx.Response:
        ids = [v for k, v in parse_qsl(urlsplit(str(request.url)).query) if k == "externalIds[]"]
        asked.append(ids)
        if len(ids) > 100:
            return httpx.Response(400, json=error_json("VALIDATION_ERROR"))
        return httpx.Response(200, json=[patient_json(i) for i in reversed(ids) if i[0] != "u"])

    scripted.add_callback(answer, url=re.compile(r".*/patients\?.*"), is_reusable=True)


@pytest.mark.parametrize("n", [1, 100, 101, 10_000])
async def test_get_many_in_order_with_duplicates_and_unknowns(
    lh: LegitHealth, scripted: ScriptedServer, n: int
) -> None:
    ids = [f"p{i}" if i % 7 else f"u{i}" for i in range(n)]
    asked_for = ids + ids[: n // 3]  # duplicates
    asked: list[list[str]] = []
    _serve_known(scripted, asked)
    result = await lh.patients.get_many(asked_for)
    assert [p.external_id for p in result.found] == [i for i in ids if i[0] == "p"]
    assert result.missing == [i for i in ids if i[0] == "u"]
    assert all(1 <= len(chunk) <= 100 for chunk in asked)
    assert sorted(i for chunk in asked for i in chunk) == sorted(ids)  # each id asked once
    assert len(asked) == -(-n // 100)


async def test_get_many_of_nothing_sends_nothing(lh: LegitHealth, scripted: ScriptedServer) -> None:
    result = await lh.patients.get_many([])
    assert result.found == [] and result.missing == []
    assert scripted.get_requests() == []


def test_chunks_keep_the_url_short_for_long_ids() -> None:
    ids = [("ñ/" * 100) + str(i) for i in range(300)]
    chunks = chunk_ids(ids)
    assert [i for c in chunks for i in c] == ids
    for chunk in chunks:
        query = httpx.QueryParams({"externalIds[]": chunk})
        assert len(str(query)) <= 6000


async def test_get_many_runs_chunks_concurrently_within_the_limit(
    connect: Connect, scripted: ScriptedServer
) -> None:
    in_flight = 0
    peak = 0
    full = asyncio.Event()

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight == 4:
            full.set()
        await full.wait()  # the first four are held until four are in flight at once
        # (the callback runs on the server's own loop: the event is that loop's)
        in_flight -= 1
        return httpx.Response(200, json=[])

    scripted.add_callback(answer, is_reusable=True)
    async with connect(max_in_flight=4) as lh:
        with anyio.fail_after(60):  # fewer than four at once would hang: fail instead
            result = await lh.patients.get_many([f"p{i}" for i in range(2000)])
    assert len(result.missing) == 2000
    assert len(scripted.get_requests()) == 20
    assert peak == 4


async def test_one_failed_chunk_raises_its_typed_error_not_a_group(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if "p150" in str(request.url):
            return httpx.Response(401, json=error_json("UNAUTHORIZED"))
        return httpx.Response(200, json=[])

    scripted.add_callback(answer, is_reusable=True)
    from legithealth_async import AuthenticationError

    with pytest.raises(AuthenticationError):
        await lh.patients.get_many([f"p{i}" for i in range(300)])


async def test_auth_tokens_chunked_in_order_with_missing(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    bodies: list[dict[str, object]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        ids = body["externalIds"]
        return httpx.Response(
            200,
            json=[
                {"externalId": i, "token": f"t&={i}#", "refresh_token": f"r {i}"}
                for i in ids
                if i[0] != "u"
            ],
        )

    scripted.add_callback(answer, url="/patients/auth-tokens", is_reusable=True)
    ids = [f"p{i}" if i % 5 else f"u{i}" for i in range(250)]
    tokens = await lh.patients.auth_tokens(ids)
    assert [t.external_id for t in tokens.found] == [i for i in ids if i[0] == "p"]
    assert tokens.missing == [i for i in ids if i[0] == "u"]
    # The chunks go concurrently: they reach a real server in any order.
    assert sorted(len(b["externalIds"]) for b in bodies) == [50, 100, 100]  # type: ignore[arg-type]
    links = await lh.patients.login_links(["p1"])
    query = parse_qsl(urlsplit(links["p1"]).query)
    assert query == [("token", "t&=p1#"), ("refresh_token", "r p1")]


def test_login_link_cannot_be_injected() -> None:
    link = login_link("a&refresh_token=evil#frag", "b=c&d")
    assert link.startswith("https://app.legit.health/u/home?token=")
    assert "#" not in link
    parts = urlsplit(link)
    assert parse_qsl(parts.query) == [
        ("token", "a&refresh_token=evil#frag"),
        ("refresh_token", "b=c&d"),
    ]


async def test_cancellation_mid_retry_leaves_nothing_pending(
    connect: Connect, scripted: ScriptedServer
) -> None:
    scripted.add_response(status_code=503, json=error_json("X"))
    backoff = BlockingSleep()
    async with connect(sleep=backoff) as lh:
        before = {t for t in asyncio.all_tasks()}
        assert await cancel_when(backoff.entered, lambda: lh.patients.get("p1"))
        await wait_all_tasks_blocked()  # a leftover retry would run now
        assert backoff.active == 0 and len(backoff) == 1
        assert len(scripted.get_requests()) == 1
        assert {t for t in asyncio.all_tasks()} <= before
        assert lh.in_flight == 0
        # The client still works after a cancelled call.
        scripted.add_response(json=[])
        assert await lh.patients.get("p2") is None


async def test_cancellation_during_a_slow_response_releases_the_slot(
    connect: Connect, scripted: ScriptedServer
) -> None:
    scripted.add_failure(Wire.STALL)  # never answers
    answering = scripted.arrival(1)
    async with connect(max_in_flight=1) as lh:
        assert await cancel_when(answering, lambda: lh.patients.get("p1"))
        assert lh.in_flight == 0
        scripted.add_response(json=[])
        assert await lh.patients.get("p1") is None
