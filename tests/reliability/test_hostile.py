"""Hostile servers and hostile input: typed errors only, ids that survive any character."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from _scripted import TRANSPORTS, on_transport
from _toolkit import no_sleep
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legithealth_async import (
    APITimeoutError,
    Encounter,
    EpisodeOfCare,
    LegitHealth,
    LegitHealthError,
    Lookup,
    Patient,
    Practitioner,
    RetryPolicy,
    Specialty,
    ValidationError,
)
from legithealth_async.sandbox import Sandbox, SandboxServer

BASE = "https://api.test/integration/v1"

HOSTILE_IDS = [
    "a/b",
    "../../etc/passwd",
    "..",
    "q?x=1",
    "frag#ment",
    "a&externalIds[]=b",
    "100%",
    "%2F",
    "with space",
    "new\nline",
    "tab\there",
    "ñandú-Ωμέγα-患者",
    "emoji-🩺",
    "+plus+",
    "semi;colon",
    "back\\slash",
]


@pytest.fixture(params=["in-process", *TRANSPORTS])
async def lh_sb(request: pytest.FixtureRequest, legithealth_sandbox: Sandbox) -> Any:
    """The sandbox in process, or served on loopback to a client on each transport."""
    policy = RetryPolicy(initial=0.001, maximum=0.01)
    if request.param == "in-process":
        async with LegitHealth(
            legithealth_sandbox.token,
            base_url=legithealth_sandbox.base_url,
            transport=legithealth_sandbox.transport(),
            retry_policy=policy,
        ) as lh:
            yield lh, legithealth_sandbox
    else:
        with SandboxServer(legithealth_sandbox) as server:
            async with (
                on_transport(request.param) as chosen,
                LegitHealth(
                    server.token, base_url=server.base_url, retry_policy=policy, **chosen
                ) as lh,
            ):
                yield lh, legithealth_sandbox


async def test_hostile_external_ids_round_trip_exactly(lh_sb: Any) -> None:
    lh, sb = lh_sb
    for ext_id in HOSTILE_IDS:
        created = await lh.patients.create(external_id=ext_id, email="x@example.org")
        assert created.external_id == ext_id
    # Path: patch addresses each by its id, and only that one changes.
    for i, ext_id in enumerate(HOSTILE_IDS):
        patched = await lh.patients.patch(ext_id, first_name=f"n{i}")
        assert patched.external_id == ext_id
    # Query: all of them in one lookup, each found under its own id, in the order asked.
    result = await lh.patients.get_many([*HOSTILE_IDS, "a", "b", "etc"])
    assert [p.external_id for p in result.found] == HOSTILE_IDS
    assert [p.first_name for p in result.found] == [f"n{i}" for i in range(len(HOSTILE_IDS))]
    assert result.missing == ["a", "b", "etc"]
    assert sorted(sb.patients()) == sorted(HOSTILE_IDS)
    tokens = await lh.patients.auth_tokens(HOSTILE_IDS)
    assert [t.external_id for t in tokens.found] == HOSTILE_IDS


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"external_id": "x" * 256}, "external_id"),
        ({"external_id": "ok", "first_name": "n" * 10_000}, "first_name"),
        ({"external_id": "ok", "last_name": "n" * 256}, "last_name"),
        ({"external_id": "ok", "email": ("e" * 250) + "@x.org"}, "email"),
        ({"external_id": "ok", "phone": "+1" + "2" * 20}, "phone"),
    ],
)
async def test_oversized_fields_are_refused_before_sending(
    legithealth_sandbox: Sandbox, kwargs: dict[str, Any], field: str
) -> None:
    async with LegitHealth(
        legithealth_sandbox.token,
        base_url=legithealth_sandbox.base_url,
        transport=legithealth_sandbox.transport(),
    ) as lh:
        with pytest.raises(ValidationError) as info:
            await lh.patients.create(**{"email": "a@b.org", **kwargs})
    assert info.value.field == field
    assert legithealth_sandbox.requests == []


async def test_a_stalled_body_fires_the_read_timeout(legithealth_sandbox: Sandbox) -> None:
    legithealth_sandbox.faults.set("getPatients", stall_rate=1.0, stall_seconds=30)
    with SandboxServer(legithealth_sandbox) as server:
        async with LegitHealth(
            server.token,
            base_url=server.base_url,
            timeout=httpx.Timeout(2.0, read=0.3),
            max_retries=1,
            sleep=no_sleep,
        ) as lh:
            with pytest.raises(APITimeoutError) as info:
                await lh.patients.get("anyone")
    # The read timeout fired (not the 30 s stall ending, not the attempt deadline), on each of
    # the two attempts.
    assert info.value.reason == "ReadTimeout"
    stalls = [r for r in legithealth_sandbox.requests if r.operation_id == "getPatients"]
    assert len(stalls) == 2 and all(r.fault == "stall" for r in stalls)


async def test_a_stalled_body_in_process_fires_the_read_timeout(
    legithealth_sandbox: Sandbox,
) -> None:
    legithealth_sandbox.faults.set("getPatients", stall_rate=1.0, stall_seconds=30)
    async with LegitHealth(
        legithealth_sandbox.token,
        base_url=legithealth_sandbox.base_url,
        transport=legithealth_sandbox.transport(),
        timeout=httpx.Timeout(2.0, read=0.2),
        max_retries=0,
    ) as lh:
        with pytest.raises(APITimeoutError):
            await lh.patients.get("anyone")


# ------------------------------------------------------------------- parsing fuzz (hypothesis)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=20,
)

# Realistic shapes with random holes and wrong types: closer to what a broken server sends.
FIELDS = {
    "id": st.text(max_size=5) | st.integers() | st.none(),
    "externalId": st.text(max_size=5) | st.none() | st.integers(),
    "conditions": st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "id": st.text(max_size=3) | st.integers(),
                "pathologyCode": st.text(max_size=4),
                "bodySiteCode": st.text(max_size=4),
                "isTracked": st.booleans() | st.text(max_size=2),
                "frequency": st.none()
                | json_values
                | st.fixed_dictionaries(
                    {"every": st.integers() | st.text(max_size=2), "unit": st.text(max_size=5)}
                ),
            },
        ),
        max_size=2,
    )
    | json_values,
    "birthDate": st.none() | st.text(max_size=10) | st.dates().map(str) | st.integers(),
    "startedAt": st.datetimes().map(lambda d: d.isoformat()) | st.text(max_size=6) | st.none(),
    "finishedAt": st.none() | st.text(max_size=6) | st.integers(),
    "conditionId": st.text(max_size=3) | st.integers(),
    "status": st.text(max_size=8) | st.none(),
    "planned_for": st.datetimes().map(lambda d: d.isoformat()) | st.text(max_size=6),
    "episodeOfCareId": st.text(max_size=3) | st.none(),
    "email": st.text(max_size=5) | st.none(),
    "token": st.text(max_size=5) | st.integers(),
    "refresh_token": st.text(max_size=5) | st.none(),
    "code": st.text(max_size=3) | st.integers(),
    "name": st.text(max_size=3) | st.none(),
}
shaped = st.fixed_dictionaries({}, optional=FIELDS)
bodies = json_values | shaped | st.lists(shaped, max_size=3)

CALLS: list[tuple[int, Callable[[LegitHealth], Awaitable[object]]]] = [
    (201, lambda lh: lh.patients.create(external_id="p", email="a@b.org")),
    (200, lambda lh: lh.patients.get("p")),
    (200, lambda lh: lh.patients.patch("p", first_name="x")),
    (200, lambda lh: lh.patients.auth_tokens(["p"])),
    (200, lambda lh: lh.episodes_of_care.list_for_condition("c")),
    (201, lambda lh: lh.episodes_of_care.create("c")),
    (200, lambda lh: lh.episodes_of_care.patch("e", external_id="x")),
    (201, lambda lh: lh.encounters.create("e", planned_for=dt.datetime.now(dt.UTC))),
    (201, lambda lh: lh.practitioners.create(external_id="d", email="a@b.org")),
    (200, lambda lh: lh.practitioners.specialties()),
    (200, lambda lh: lh.practitioners.auth_tokens(["d"])),
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies, status=st.sampled_from([200, 201, 400, 404, 409, 422, 500, 599]))
@pytest.mark.parametrize("call", range(len(CALLS)), ids=lambda i: f"op{i}")
async def test_any_json_answer_is_a_model_or_a_typed_error(
    call: int, body: Any, status: int
) -> None:
    success, invoke = CALLS[call]
    content = json.dumps(body).encode()

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status if status != 200 else success, content=content)

    async with LegitHealth(
        "t", base_url=BASE, transport=httpx.MockTransport(answer), max_retries=0
    ) as lh:
        try:
            result = await invoke(lh)
        except LegitHealthError:
            return
    # No error: the answer really was a valid one, parsed into the public models.
    if result is None:  # patients.get: a valid list without the asked id
        assert CALLS[call][1] is CALLS[1][1]
        return
    assert isinstance(result, list | Lookup | Patient | EpisodeOfCare | Encounter | Practitioner)
    if isinstance(result, list):
        assert all(isinstance(item, EpisodeOfCare | Specialty) for item in result)
