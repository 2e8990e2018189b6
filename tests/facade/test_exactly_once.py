"""The exactly-once rules of a create, as a table against a stub sender (no HTTP).

Each row: what the create's attempts answer, what the lookups find, and what must come out (a
value or an error) after which calls. ``P`` is a value, ``M(...)`` "maybe applied", ``C`` a 409.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from _toolkit import no_sleep

from legithealth_async import RetryPolicy
from legithealth_async._answer import MaybeApplied
from legithealth_async._exactly_once import create_once
from legithealth_async._options import RequestOptions
from legithealth_async._send import Attempts
from legithealth_async.errors import (
    AmbiguousOutcomeError,
    APITimeoutError,
    ConflictError,
    InternalServerError,
    LegitHealthError,
    NotFoundError,
    UnexpectedResponseError,
)

Outcome = str | LegitHealthError | MaybeApplied | None


def timeout() -> MaybeApplied:
    return MaybeApplied(APITimeoutError("op", "ReadTimeout"), retryable=True, delay=None)


def http_503(delay: float | None = None) -> MaybeApplied:
    return MaybeApplied(InternalServerError("op", 503), retryable=True, delay=delay)


def http_500() -> MaybeApplied:
    return MaybeApplied(InternalServerError("op", 500), retryable=False, delay=None)


def unreadable() -> MaybeApplied:
    return MaybeApplied(UnexpectedResponseError("op", 201, "not JSON"), retryable=False, delay=None)


CONFLICT = ConflictError("op", 409)


@dataclass
class Stub:
    attempts: list[Outcome]
    lookups: list[Outcome]
    log: list[str] = field(default_factory=list)

    def _next(self, kind: str, script: list[Outcome]) -> Outcome:
        self.log.append(kind)
        outcome = script.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def attempt(self) -> str:
        value = self._next("create", self.attempts)
        assert isinstance(value, str)
        return value

    async def lookup(self) -> str | None:
        value = self._next("lookup", self.lookups)
        assert value is None or isinstance(value, str)
        return value

    async def conflict(self) -> str:
        value = self._next("conflict-lookup", self.lookups)
        assert isinstance(value, str)
        return value


ROWS: list[tuple[str, list[Outcome], list[Outcome], object, list[str]]] = [
    ("made at once", ["P"], [], "P", ["create"]),
    ("timeout, then found", [timeout()], ["P"], "P", ["create", "lookup"]),
    ("timeout, absent, retried", [timeout(), "P"], [None], "P", ["create", "lookup", "create"]),
    ("5xx, then found", [http_503()], ["P"], "P", ["create", "lookup"]),
    # issue 10: a 5xx whose Retry-After is over the cap still goes through the lookup
    ("5xx over the cap, found", [http_503(delay=3600)], ["P"], "P", ["create", "lookup"]),
    (
        "5xx over the cap, absent: the 5xx",
        [http_503(delay=3600)],
        [None],
        InternalServerError,
        ["create", "lookup"],
    ),
    (
        "500 (not retryable), absent",
        [http_500()],
        [None],
        InternalServerError,
        ["create", "lookup"],
    ),
    ("unreadable 2xx, found", [unreadable()], ["P"], "P", ["create", "lookup"]),
    (
        "unreadable 2xx, absent",
        [unreadable()],
        [None],
        UnexpectedResponseError,
        ["create", "lookup"],
    ),
    (
        "lookup fails: ambiguous",
        [timeout()],
        [NotFoundError("get", 404)],
        AmbiguousOutcomeError,
        ["create", "lookup"],
    ),
    ("409 first: raised", [CONFLICT], [], ConflictError, ["create"]),
    (
        "late landing: 409 after maybe-made is ours",
        [http_503(), CONFLICT],
        [None, "P"],
        "P",
        ["create", "lookup", "create", "conflict-lookup"],
    ),
    (
        "every attempt maybe-made and absent: the last failure",
        [timeout(), timeout(), timeout()],
        [None, None, None],
        APITimeoutError,
        ["create", "lookup", "create", "lookup", "create", "lookup"],
    ),
]


@pytest.mark.parametrize(
    ("attempts", "lookups", "expected", "calls"),
    [row[1:] for row in ROWS],
    ids=[row[0] for row in ROWS],
)
async def test_exactly_once_rules(
    attempts: list[Outcome], lookups: list[Outcome], expected: object, calls: list[str]
) -> None:
    stub = Stub(list(attempts), list(lookups))
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    budget = Attempts(
        RequestOptions(retry=RetryPolicy(max_retries=2, random=lambda: 0.0), sleep=sleep)
    )
    run = create_once(
        "op", stub.attempt, lookup=stub.lookup, on_conflict=stub.conflict, attempts=budget
    )
    if isinstance(expected, type):
        with pytest.raises(expected):
            await run
    else:
        assert await run == expected
    assert stub.log == calls
    assert len(sleeps) == calls.count("create") - 1  # one wait before each retry, none else


@pytest.mark.parametrize("outcome", [timeout(), http_503(), unreadable()])
async def test_without_a_lookup_a_maybe_is_ambiguous_and_never_resent(
    outcome: MaybeApplied,
) -> None:
    stub = Stub([outcome], [])
    with pytest.raises(AmbiguousOutcomeError) as info:
        await create_once(
            "op",
            stub.attempt,
            lookup=None,
            on_conflict=None,
            attempts=Attempts(RequestOptions()),
        )
    assert stub.log == ["create"]
    assert info.value.__cause__ is outcome.error


async def test_the_budget_is_shared_so_nesting_stays_linear() -> None:
    """max_retries=2: three creates at most, whatever the lookups do."""
    stub = Stub([timeout()] * 10, [None] * 10)
    budget = Attempts(RequestOptions(retry=RetryPolicy(max_retries=2), sleep=no_sleep))
    with pytest.raises(APITimeoutError):
        await create_once("op", stub.attempt, lookup=stub.lookup, on_conflict=None, attempts=budget)
    assert stub.log.count("create") == 3
    assert budget.used == 2
