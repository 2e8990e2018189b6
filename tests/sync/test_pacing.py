"""The sync finds the server's rate limit: the pacer alone, then a sync against the sandbox's
rate-limit mode in virtual time (trio's MockClock: no real sleep, no wall-clock assertion)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from trio.testing import MockClock

from legithealth_async import LegitHealth
from legithealth_async.sandbox import Sandbox
from legithealth_async.sandbox.ratelimit import RateLimit
from legithealth_async.sync import Outcome, sync_patients
from legithealth_async.sync.pacing import RatePacer

from .conftest import rec


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _pacer(clock: _Clock) -> RatePacer:
    return RatePacer(span=1.0, threshold=0.05, min_throttled=4, clock=clock, sleep=clock.sleep)


async def test_nothing_is_paced_until_the_server_throttles() -> None:
    clock = _Clock()
    pacer = _pacer(clock)
    for _ in range(1000):
        pacer.answered(await pacer.acquire(), throttled=False)
    assert pacer.rate is None and clock.slept == [] and pacer.decreases == 0


async def test_a_429_now_and_then_changes_nothing() -> None:
    clock = _Clock()
    pacer = _pacer(clock)
    for i in range(2000):
        clock.now += 0.001
        pacer.answered(await pacer.acquire(), throttled=i % 50 == 0)  # 2%: faults, not a limit
    assert pacer.rate is None and pacer.decreases == 0


async def test_throttling_sets_the_rate_just_under_what_was_accepted_then_probes_up() -> None:
    clock = _Clock()
    pacer = _pacer(clock)
    # 200 requests a second, all accepted; then 1,000 a second, of which every fifth is.
    for _ in range(100):
        clock.now += 0.005
        pacer.answered(await pacer.acquire(), throttled=False)
    sent = 0
    while pacer.decreases == 0:
        clock.now += 0.001
        pacer.answered(await pacer.acquire(), throttled=sent % 5 != 0)
        sent += 1
    assert sent <= 10  # it reacts after a handful of 429s
    rate = pacer.rate
    assert rate is not None and 150 <= rate <= 200  # 0.9 x ~200 accepted a second
    # Requests are now spaced one slot apart instead of all at once.
    before = clock.now
    tickets = [await pacer.acquire() for _ in range(10)]
    assert clock.now - before == pytest.approx(9 / rate, rel=0.05)
    assert tickets == sorted(tickets)
    # A 429 to a request sent before the decrease says nothing about the new rate.
    pacer.answered(before - 1.0, throttled=True)
    assert pacer.decreases == 1
    # Without 429s the rate grows back to the peak (the rate accepted before: rate / 0.9),
    # stays near it for seconds, then probes above it faster and faster (cubic).
    peak = rate / 0.9
    clock.now += 2.0
    assert rate < pacer.rate < peak  # type: ignore[operator]
    clock.now += 3.85  # K = ∛(0.1 / 0.0005) ≈ 5.85 s after the decrease
    assert pacer.rate == pytest.approx(peak, rel=0.01)
    clock.now += 2.0
    assert pacer.rate == pytest.approx(peak, rel=0.01)  # a plateau, not a ramp
    clock.now += 8.0
    assert pacer.rate > 1.4 * peak  # type: ignore[operator]


def _in_virtual_time(pacing: bool, limit: float, count: int) -> dict[str, Any]:
    """A sync on trio with a MockClock that jumps whenever every task waits: virtual time."""
    clock = MockClock(autojump_threshold=0)
    result: dict[str, Any] = anyio.run(
        _sync_against_a_limit,
        pacing,
        limit,
        count,
        backend="trio",
        backend_options={"clock": clock},
    )
    assert clock.current_time() > 0  # time did pass, in the clock's own world
    return result


async def _sync_against_a_limit(pacing: bool, limit: float, count: int) -> dict[str, Any]:
    sandbox = Sandbox(seed=11)
    sandbox.set_rate_limit(RateLimit(limit, burst=5, clock=anyio.current_time))
    records = [rec(f"p{i}") for i in range(count)]
    client = LegitHealth(sandbox.token, base_url=sandbox.base_url, transport=sandbox.transport())
    async with client as lh:
        started = anyio.current_time()
        session = sync_patients(lh, records, concurrency=16, pacing=pacing)
        async with session as outcomes:
            done = [o async for o in outcomes]
        elapsed = anyio.current_time() - started
    assert sandbox.rate_limit is not None
    return {
        "outcomes": done,
        "rate": sandbox.rate_limit.allowed / elapsed,
        "refused": sandbox.rate_limit.refused,
        "sent": sandbox.rate_limit.allowed + sandbox.rate_limit.refused,
        "decreases": session.options.pacer.decreases if session.options.pacer else 0,
    }


def test_the_sync_converges_on_the_servers_rate_limit() -> None:
    """Within 15% of the limit with under 5% of the requests refused; without the pacer,
    every worker retries on its own and most requests are refused."""
    paced = _in_virtual_time(pacing=True, limit=50, count=800)
    print(
        f"\npaced: {paced['rate']:.1f}/s of 50, refused {paced['refused']}/{paced['sent']}, "
        f"decreases {paced['decreases']}"
    )
    assert {o.outcome for o in paced["outcomes"]} == {Outcome.CREATED}
    assert 0.85 * 50 <= paced["rate"] <= 1.15 * 50
    assert paced["refused"] < 0.05 * paced["sent"]
    unpaced = _in_virtual_time(pacing=False, limit=50, count=100)
    print(f"unpaced: {unpaced['rate']:.1f}/s, refused {unpaced['refused']}/{unpaced['sent']}")
    assert unpaced["refused"] > 0.3 * unpaced["sent"]


async def test_once_paced_a_429_now_and_then_still_changes_nothing() -> None:
    # The fault soak's 2% of 429s must not walk a paced rate down, one cut per fault.
    clock = _Clock()
    pacer = _pacer(clock)
    for i in range(200):  # 200 a second accepted, then every other one refused: paced
        clock.now += 0.005
        pacer.answered(await pacer.acquire(), throttled=i >= 100 and i % 2 == 0)
    assert pacer.rate is not None
    cuts = pacer.decreases
    clock.now += 2.0  # that episode is over
    for i in range(2000):
        clock.now += 0.001
        pacer.answered(await pacer.acquire(), throttled=i % 50 == 49)  # 2%
    assert pacer.decreases == cuts
