"""The request as it goes on the wire (``_request``): built by the client, not by httpx.

The client encodes queries and JSON bodies itself (so the asyncio transport can be called without
httpx's objects); what it sends must be byte-for-byte what httpx's ``params=``/``json=`` send.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from _scripted import ScriptedServer
from hypothesis import assume, given
from hypothesis import strategies as st

from legithealth_async import LegitHealth
from legithealth_async._request import encode_json, encode_query

from .conftest import BASE, TOKEN, patient_json

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
values = st.one_of(texts, st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))


@given(st.dictionaries(texts, st.one_of(values, st.lists(values, max_size=4)), max_size=4))
def test_a_query_is_encoded_as_httpx_encodes_params(params: dict[str, Any]) -> None:
    assert encode_query(params) == str(httpx.QueryParams(params))


@given(
    st.recursive(
        st.one_of(texts, st.integers(), st.booleans(), st.none()),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
        max_leaves=10,
    )
)
def test_a_json_body_is_encoded_as_httpx_encodes_json(body: Any) -> None:
    assume(body is not None)  # json=None is no body at all (the client sends none either)
    assert encode_json(body) == httpx.Request("POST", BASE, json=body).content


async def test_external_ids_reach_the_server_as_sent(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    ids = ["a b", "a+b", "ä/ö?#&=", "%41", "x" * 40]
    scripted.add_response(json=[patient_json(i) for i in ids])
    found = await lh.patients.get_many(ids)
    assert sorted(p.external_id for p in found.found) == sorted(ids)
    (request,) = scripted.get_requests()
    assert request.url.params.get_list("externalIds[]") == ids


async def test_a_users_http_client_keeps_its_event_hooks(scripted: ScriptedServer) -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.method)

    scripted.add_response(status_code=201, json=patient_json("p1"))
    async with httpx.AsyncClient(event_hooks={"request": [hook]}, trust_env=False) as http:
        lh = LegitHealth(TOKEN, base_url=scripted.base_url, http_client=http)
        await lh.patients.create(external_id="p1", email="ada@example.org")
    assert seen == ["POST"]
    (request,) = scripted.get_requests()
    assert json.loads(request.content)["externalId"] == "p1"


@pytest.mark.parametrize("transport", ["asyncio", "httpx"])
async def test_the_clients_own_transport_sends_the_same_request(
    transport: str, legithealth_sandbox_server: Any
) -> None:
    """Both transports, the direct path: a create and a lookup of what it made round-trip."""
    server = legithealth_sandbox_server
    async with LegitHealth(
        server.token,
        base_url=server.base_url,
        transport=transport,  # type: ignore[arg-type]
    ) as lh:
        made = await lh.patients.create(external_id="ä b+c", email="ada@example.org")
        found = await lh.patients.get("ä b+c")
    assert found is not None and found.id == made.id
