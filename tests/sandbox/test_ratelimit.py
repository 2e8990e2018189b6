"""The rate-limit mode: N requests a second per token, 429 + Retry-After beyond, no effect."""

from __future__ import annotations

import httpx
import pytest

from legithealth_async.sandbox import Sandbox
from legithealth_async.sandbox.cli import main
from legithealth_async.sandbox.ratelimit import RateLimit, parse_rate_limit

from .conftest import error_body, patient_body


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_beyond_the_limit_429_with_retry_after_and_no_effect(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    clock = _Clock()
    sandbox.set_rate_limit(RateLimit(10, burst=2, clock=clock))
    first = await api.post("/patients", json=patient_body("p-1"))
    second = await api.post("/patients", json=patient_body("p-2"))
    refused = await api.post("/patients", json=patient_body("p-3"))
    assert (first.status_code, second.status_code, refused.status_code) == (201, 201, 429)
    assert error_body(refused)["errorCode"] == "RATE_LIMITED"
    assert refused.headers["retry-after"] == "1"  # whole seconds, rounded up
    assert refused.headers["retry-after-ms"] == "100"  # the exact wait: 1 / 10 s
    assert sandbox.patient("p-3") is None and sandbox.create_effects("p-3") == 0
    clock.now += 0.1  # one request's worth refilled
    again = await api.post("/patients", json=patient_body("p-3"))
    assert again.status_code == 201
    assert sandbox.rate_limit is not None
    assert (sandbox.rate_limit.allowed, sandbox.rate_limit.refused) == (3, 1)


async def test_unauthenticated_requests_do_not_count(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.set_rate_limit(RateLimit(10, burst=1, clock=_Clock()))
    for _ in range(3):
        r = await api.get(
            "/patients", params={"externalIds[]": ["a"]}, headers={"X-API-TOKEN": "x"}
        )
        assert r.status_code == 401
    ok = await api.get("/patients", params={"externalIds[]": ["a"]})
    assert ok.status_code == 200
    sandbox.set_rate_limit(None)
    assert sandbox.rate_limit is None


def test_the_bucket_refills_at_the_rate_up_to_the_burst() -> None:
    clock = _Clock()
    limit = RateLimit(100, clock=clock)  # burst: a tenth of a second's worth
    assert limit.burst == 10
    assert [limit.take("t") for _ in range(10)] == [None] * 10
    assert limit.take("t") == pytest.approx(0.01)
    clock.now += 10.0  # a long pause refills to the burst, not beyond
    assert sum(limit.take("t") is None for _ in range(20)) == 10


@pytest.mark.parametrize("text", ["0", "-5", "abc", "10/0", "nan"])
def test_bad_rate_limits_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="a rate limit is N or N/BURST"):
        parse_rate_limit(text)


def test_the_cli_refuses_a_bad_rate_limit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "0", "--rate-limit", "fast"]) == 2
    assert "--rate-limit" in capsys.readouterr().err
    assert parse_rate_limit("200/50") == RateLimit(200, 50)
