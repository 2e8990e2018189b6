"""The fault soak: 5,000 patients over real loopback HTTP through 503s, lost answers, 429s and
latency. No duplicate, no loss, every condition and episode as the records say.

Run it alone with ``pytest -m soak -s tests/reliability`` to see the figures.
"""

from __future__ import annotations

import time
from collections import Counter

import anyio
import pytest

from legithealth_async import LegitHealth, RetryPolicy
from legithealth_async.sandbox import FaultPlan, Sandbox, SandboxServer
from legithealth_async.sync import Journal, sync_patients

from .conftest import check_created_as_recorded, faults_by_kind, make_records, outcome_counts

COUNT = 5000
#: Records in progress at once: many, because a record waiting out a Retry-After holds no
#: connection (the client sleeps outside its in-flight limit).
CONCURRENCY = 256
#: HTTP requests in flight. Over real HTTP, httpcore's pool scans every connection for every
#: request it places (is_idle / has_expired), so its CPU cost per request grows with the pool:
#: measured here ~2 ms a request at 32 connections, ~10 ms at 64 (with 100 ms latency). 32 is
#: the fastest on this 2-core machine.
MAX_IN_FLIGHT = 32
#: What every operation the sync uses suffers: 10% 503, 2% 429 (both say Retry-After: 1),
#: 100 ± 50 ms of latency.
BASE_FAULTS = {
    "latency_ms": 100.0,
    "jitter_ms": 50.0,
    "error_rate": 0.10,
    "error_status": 503,
    "rate_limit_rate": 0.02,
    "retry_after": "1",
}


@pytest.mark.soak
@pytest.mark.filterwarnings("ignore:sync concurrency:RuntimeWarning")  # above max_in_flight
@pytest.mark.loopback
async def test_5000_patients_on_loopback_through_faults(tmp_path) -> None:
    sandbox = Sandbox(seed=20260501)
    sandbox.faults.set("*", FaultPlan(**BASE_FAULTS))  # getPatients (lookups), patchPatient
    # createPatient: the same, and 5% of connections dropped after the create was applied.
    sandbox.faults.set("createPatient", FaultPlan(**BASE_FAULTS, drop_after_rate=0.05))
    records = make_records(COUNT, seed=17)
    journal_path = tmp_path / "journal.sqlite"

    slept: list[float] = []

    async def real_sleep(seconds: float) -> None:  # really sleeps; only keeps the durations
        slept.append(seconds)
        await anyio.sleep(seconds)

    outcomes = []
    with SandboxServer(sandbox) as server:
        started = time.perf_counter()
        async with LegitHealth(
            server.token,
            base_url=server.base_url,
            max_in_flight=MAX_IN_FLIGHT,
            # Backoff under a second, so every 1 s sleep below is a Retry-After honoured.
            retry_policy=RetryPolicy(initial=0.05, maximum=0.5, max_retries=10),
            sleep=real_sleep,
        ) as lh:
            async with sync_patients(
                lh, records, journal=journal_path, concurrency=CONCURRENCY
            ) as stream:
                async for outcome in stream:
                    outcomes.append(outcome)
        wall = time.perf_counter() - started

    fired = sandbox.faults.fired
    kinds = faults_by_kind(fired)
    stored = sandbox.patients()
    by_id = {o.external_id: o for o in outcomes}
    duplicates = sum(1 for r in records if sandbox.create_effects(r.external_id) > 1)
    lost = sum(1 for r in records if r.external_id not in stored or r.external_id not in by_id)
    retry_after_sleeps = sum(1 for s in slept if s == 1.0)
    print(
        f"\nfault soak: {COUNT} records, concurrency {CONCURRENCY}, max_in_flight {MAX_IN_FLIGHT}, "
        f"wall {wall:.1f}s; "
        f"outcomes {outcome_counts(outcomes)}; faults injected {kinds} "
        f"(total {sum(kinds.values())}; by operation "
        f"{dict(sorted(Counter({f'{op}:{k}': n for (op, k), n in fired.items()}).items()))}); "
        f"Retry-After sleeps of 1 s: {retry_after_sleeps}; "
        f"duplicates {duplicates}; lost {lost}; patients stored {len(stored)}"
    )

    # Every fault kind of the plan really happened, in roughly the planned proportions.
    assert kinds.get("error", 0) > 300
    assert kinds.get("rate_limit", 0) > 50
    assert fired[("createPatient", "drop_after")] > 150
    assert fired[("getPatients", "error")] > 0
    # Each 429 and 503 was waited out for its Retry-After (1 s, real time).
    assert retry_after_sleeps == kinds["rate_limit"] + kinds["error"]

    # Exactly 5,000 patients, none duplicated, none lost; every outcome right.
    assert len(outcomes) == COUNT
    assert sorted(o.line for o in outcomes) == [r.line for r in records]  # each one once
    assert outcome_counts(outcomes) == {"created": COUNT}
    assert all(o.patient_id == stored[o.external_id]["id"] for o in outcomes)
    assert len(stored) == COUNT and set(stored) == {r.external_id for r in records}
    assert duplicates == 0 and lost == 0
    checked = check_created_as_recorded(sandbox, records)
    assert checked["patients"] == COUNT
    assert checked["conditions"] == sum(len(r.conditions) for r in records) > COUNT

    with Journal(journal_path) as journal:
        assert journal.integrity_check()
        assert journal.counts() == {"created": COUNT}
        for record in records:
            entry = journal.get(record.external_id)
            assert entry is not None and entry.patient_id == stored[record.external_id]["id"]
            wanted = {f"{c.pathology_code}@{c.body_site_code}" for c in record.conditions}
            assert set(entry.condition_ids) == wanted
