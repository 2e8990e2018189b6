"""Each retry rule of the request path, Retry-After in both forms and over the cap, on every
transport (a scripted server on loopback: ``tests/_scripted.py``)."""

from __future__ import annotations

import datetime as dt
import email.utils

import pytest
from _scripted import STALL_TIMEOUT, Connect, ScriptedServer, Wire

from legithealth_async import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    LegitHealth,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    UnprocessableEntityError,
)

from .conftest import Sleeps, error_json, patient_json

GET_URL = "/patients?externalIds%5B%5D=p1"


def _posts(scripted: ScriptedServer) -> int:
    return sum(1 for r in scripted.get_requests() if r.method == "POST")


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_read_is_retried_on_retryable_status(
    lh: LegitHealth, scripted: ScriptedServer, sleeps: Sleeps, status: int
) -> None:
    scripted.add_response(url=GET_URL, status_code=status, json=error_json("X"))
    scripted.add_response(url=GET_URL, json=[patient_json("p1")])
    patient = await lh.patients.get("p1")
    assert patient is not None and patient.id == "lh-p1"
    assert len(scripted.get_requests()) == 2
    assert sleeps == [0.5]


@pytest.mark.parametrize("failure", ["refused", *Wire], ids=str)
async def test_read_is_retried_on_transport_errors(
    lh: LegitHealth, scripted: ScriptedServer, sleeps: Sleeps, failure: str | Wire
) -> None:
    if failure == "refused":
        scripted.add_refusal()
    else:
        scripted.add_failure(failure, url=GET_URL)
    scripted.add_response(url=GET_URL, json=[patient_json("p1")])
    lh = lh.with_options(timeout=STALL_TIMEOUT)
    assert await lh.patients.get("p1") is not None
    assert sleeps == [0.5]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (422, UnprocessableEntityError),
    ],
)
async def test_client_errors_are_not_retried(
    lh: LegitHealth,
    scripted: ScriptedServer,
    sleeps: Sleeps,
    status: int,
    error: type[APIStatusError],
) -> None:
    scripted.add_response(url=GET_URL, status_code=status, json=error_json("X"))
    with pytest.raises(error) as info:
        await lh.patients.get("p1")
    assert type(info.value) is error
    assert info.value.status_code == status
    assert info.value.error_code == "X"
    assert len(scripted.get_requests()) == 1
    assert sleeps == []


async def test_backoff_is_exponential_capped_and_gives_up(
    lh: LegitHealth, scripted: ScriptedServer, sleeps: Sleeps
) -> None:
    lh = lh.with_options(max_retries=6)
    for _ in range(7):
        scripted.add_response(url=GET_URL, status_code=502, json=error_json("BAD_GATEWAY"))
    with pytest.raises(InternalServerError) as info:
        await lh.patients.get("p1")
    assert info.value.status_code == 502
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert len(scripted.get_requests()) == 7


async def test_jitter_scales_backoff_down_by_at_most_a_quarter(
    connect: Connect, scripted: ScriptedServer, sleeps: Sleeps
) -> None:
    scripted.add_response(url=GET_URL, status_code=503, json=error_json("X"))
    scripted.add_response(url=GET_URL, json=[])
    policy = RetryPolicy(random=lambda: 0.999999)
    async with connect(retry_policy=policy) as lh:
        await lh.patients.get("p1")
    assert sleeps == [pytest.approx(0.375, rel=1e-4)]


async def test_connect_errors_exhaust_retries_into_a_typed_error(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    lh = lh.with_options(max_retries=2)
    scripted.refuse_connections()
    with pytest.raises(APIConnectionError) as info:
        await lh.patients.get("p1")
    assert not isinstance(info.value, APITimeoutError)
    assert info.value.reason == "ConnectError"
    assert scripted.get_requests() == []


async def test_read_timeouts_exhaust_into_timeout_error(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    lh = lh.with_options(max_retries=1, timeout=STALL_TIMEOUT)
    for _ in range(2):
        scripted.add_failure(Wire.STALL, url=GET_URL)
    with pytest.raises(APITimeoutError) as info:
        await lh.patients.get("p1")
    assert info.value.reason == "ReadTimeout"  # the read timeout, before the attempt's deadline
    assert len(scripted.get_requests()) == 2


async def test_retry_after_seconds_is_honoured(
    lh: LegitHealth, scripted: ScriptedServer, sleeps: Sleeps
) -> None:
    scripted.add_response(
        url=GET_URL, status_code=429, headers={"Retry-After": "3"}, json=error_json("RATE")
    )
    scripted.add_response(url=GET_URL, json=[])
    await lh.patients.get("p1")
    assert sleeps == [3.0]


async def test_retry_after_ms_is_honoured(
    lh: LegitHealth, scripted: ScriptedServer, sleeps: Sleeps
) -> None:
    scripted.add_response(
        url=GET_URL, status_code=503, headers={"retry-after-ms": "250"}, json=error_json("X")
    )
    scripted.add_response(url=GET_URL, json=[])
    await lh.patients.get("p1")
    assert sleeps == [0.25]


async def test_retry_after_http_date_is_honoured(
    connect: Connect, scripted: ScriptedServer, sleeps: Sleeps
) -> None:
    now = dt.datetime(2026, 11, 25, 12, 0, 0, tzinfo=dt.UTC)
    when = email.utils.format_datetime(now + dt.timedelta(seconds=7), usegmt=True)
    scripted.add_response(
        url=GET_URL, status_code=429, headers={"Retry-After": when}, json=error_json("RATE")
    )
    scripted.add_response(url=GET_URL, json=[])
    policy = RetryPolicy(random=lambda: 0.0, now=lambda: now)
    async with connect(retry_policy=policy) as lh:
        await lh.patients.get("p1")
    assert sleeps == [7.0]


@pytest.mark.parametrize("value", ["soon", "-5", "nan", ""])
async def test_garbage_or_negative_retry_after_falls_back_to_backoff(
    lh: LegitHealth, scripted: ScriptedServer, sleeps: Sleeps, value: str
) -> None:
    scripted.add_response(
        url=GET_URL, status_code=429, headers={"Retry-After": value}, json=error_json("RATE")
    )
    scripted.add_response(url=GET_URL, json=[])
    await lh.patients.get("p1")
    assert sleeps == [0.5]


async def test_retry_after_over_the_cap_raises_with_the_delay_without_sleeping(
    lh: LegitHealth, scripted: ScriptedServer, sleeps: Sleeps
) -> None:
    scripted.add_response(
        url=GET_URL, status_code=429, headers={"Retry-After": "86400"}, json=error_json("RATE")
    )
    with pytest.raises(RateLimitError) as info:
        await lh.patients.get("p1")
    assert info.value.retry_after == 86400.0
    assert sleeps == []
    assert len(scripted.get_requests()) == 1


async def test_429_exhausted_is_a_rate_limit_error(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    lh = lh.with_options(max_retries=1)
    for _ in range(2):
        scripted.add_response(
            url=GET_URL, status_code=429, headers={"Retry-After": "1"}, json=error_json("RATE")
        )
    with pytest.raises(RateLimitError) as info:
        await lh.patients.get("p1")
    assert info.value.retry_after == 1.0
    assert info.value.error_code == "RATE"


async def test_create_is_retried_on_429_and_connect_error_without_lookups(
    lh: LegitHealth, scripted: ScriptedServer, sleeps: Sleeps
) -> None:
    url = "/patients"
    scripted.add_response(url=url, method="POST", status_code=429, json=error_json("RATE"))
    scripted.add_refusal()  # the retry's connection: nothing sent, so no lookup either
    scripted.add_response(url=url, method="POST", status_code=201, json=patient_json("p1"))
    patient = await lh.patients.create(external_id="p1", email="ada@example.org")
    assert patient.id == "lh-p1"
    assert [r.method for r in scripted.get_requests()] == ["POST", "POST"]
    assert sleeps == [0.5, 1.0]  # after the 429, and after the refused connection


async def test_create_500_is_not_blindly_retried(lh: LegitHealth, scripted: ScriptedServer) -> None:
    """A 500 on a create is ambiguous: the client looks before it leaps."""
    scripted.add_response(
        url="/patients", method="POST", status_code=500, json=error_json("INTERNAL_ERROR")
    )
    scripted.add_response(url=GET_URL, json=[patient_json("p1")])
    patient = await lh.patients.create(external_id="p1", email="ada@example.org")
    assert patient.external_id == "p1"
    assert _posts(scripted) == 1


async def test_max_retries_zero_sends_once(lh: LegitHealth, scripted: ScriptedServer) -> None:
    scripted.add_response(url=GET_URL, status_code=503, json=error_json("X"))
    with pytest.raises(InternalServerError):
        await lh.with_options(max_retries=0).patients.get("p1")
    assert len(scripted.get_requests()) == 1
