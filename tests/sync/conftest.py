"""Fixtures for the sync tests: a sandbox, a fast-retrying client on it, record helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from _toolkit import Recorder, no_sleep

from legithealth_async import LegitHealth, RetryPolicy
from legithealth_async.models import ConditionInput, Frequency
from legithealth_async.sandbox import Sandbox
from legithealth_async.sync import PatientRecord, SyncOutcome, sync_patients

FAST = RetryPolicy(initial=0.01, maximum=0.05)


def client_for(sandbox: Sandbox, **kwargs: Any) -> LegitHealth:
    """A client on the sandbox's in-process transport that never sleeps between retries."""
    return LegitHealth(
        api_token=sandbox.token,
        base_url=sandbox.base_url,
        transport=kwargs.pop("transport", None) or sandbox.transport(),
        retry_policy=FAST,
        sleep=no_sleep,
        **kwargs,
    )


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(seed=7)


@pytest.fixture
def recorder(sandbox: Sandbox) -> Recorder:
    return Recorder(sandbox.transport())


@pytest.fixture
async def lh(sandbox: Sandbox, recorder: Recorder) -> AsyncIterator[LegitHealth]:
    async with client_for(sandbox, transport=recorder) as client:
        yield client


def cond(
    pathology: str = "EA90",
    site: str = "armLeft",
    *,
    tracked: bool = False,
    every: int | None = None,
    unit: str = "week",
) -> ConditionInput:
    return ConditionInput(
        pathology_code=pathology,
        body_site_code=site,
        is_tracked=tracked,
        frequency=Frequency(every=every, unit=unit) if every is not None else None,
    )


def rec(external_id: str = "p1", **kwargs: Any) -> PatientRecord:
    kwargs.setdefault("email", f"{external_id}@example.org")
    kwargs.setdefault("conditions", ())
    return PatientRecord(external_id=external_id, **kwargs)


async def run(client: LegitHealth, records: Any, **kwargs: Any) -> list[SyncOutcome]:
    """The outcomes of one sync, in input order (the tests compare them with their records by
    position, as a caller zipping outcomes with inputs would: ``ordered=True``)."""
    kwargs.setdefault("ordered", True)
    async with sync_patients(client, records, **kwargs) as outcomes:
        return [o async for o in outcomes]
