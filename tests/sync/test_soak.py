"""2,000 records through a faulty sandbox: no duplicate, no record lost."""

from __future__ import annotations

import dataclasses

import pytest
from _toolkit import make_records, state

from legithealth_async.sandbox import FaultPlan, Sandbox
from legithealth_async.sync import Journal, Outcome, SyncSummary, sync_patients

from .conftest import client_for

COUNT = 2000


@pytest.mark.soak
async def test_2000_records_with_faults_no_duplicates_no_losses(tmp_path) -> None:
    sandbox = Sandbox(seed=3)
    sandbox.faults.set(
        "*",
        FaultPlan(
            error_rate=0.05,
            error_status=503,
            drop_before_rate=0.02,
            drop_after_rate=0.05,
            rate_limit_rate=0.02,
            retry_after=None,
        ),
    )
    records = make_records(COUNT, seed=5)
    journal_path = tmp_path / "journal.sqlite"
    summary = SyncSummary()
    async with client_for(sandbox, max_retries=8) as lh:
        async with sync_patients(lh, records, journal=journal_path, concurrency=32) as stream:
            async for outcome in stream:
                summary.add(outcome)
    assert summary.total == COUNT
    assert summary.counts[Outcome.FAILED] == 0, summary.errors
    assert summary.counts[Outcome.CREATED] == COUNT

    patients = sandbox.patients()
    assert len(patients) == COUNT
    assert all(sandbox.create_effects(r.external_id) == 1 for r in records)
    fired = {kind for (_, kind) in sandbox.faults.fired}
    assert {"drop_after", "error", "drop_before"} <= fired
    assert sandbox.faults.fired[("createPatient", "drop_after")] > 0

    with Journal(journal_path) as journal:
        assert journal.counts() == {"created": COUNT}
        assert journal.integrity_check()
        for record in records[:50]:
            entry = journal.get(record.external_id)
            assert entry is not None
            assert entry.patient_id == patients[record.external_id]["id"]
            assert len(entry.condition_ids) == len(record.conditions)

    # The same end state as a run without faults.
    clean = Sandbox(seed=3)
    async with client_for(clean) as lh:
        async with sync_patients(lh, records) as stream:
            async for _ in stream:
                pass
    assert state(sandbox) == state(clean)


async def test_updates_under_faults_converge(tmp_path) -> None:
    """Patches retried after dropped answers: every record ends as the file says."""
    sandbox = Sandbox(seed=4)
    records = make_records(300, seed=5)
    async with client_for(sandbox) as lh:
        async with sync_patients(lh, records) as stream:
            async for _ in stream:
                pass
        changed = []
        for r in records:
            flipped = tuple(
                type(c)(
                    pathology_code=c.pathology_code,
                    body_site_code=c.body_site_code,
                    is_tracked=not c.is_tracked,
                    frequency=None,
                )
                for c in r.conditions
            )
            changed.append(dataclasses.replace(r, conditions=flipped))
        sandbox.faults.set("*", FaultPlan(drop_after_rate=0.1, error_rate=0.05, retry_after=None))
        async with sync_patients(lh, changed, concurrency=16) as stream:
            outcomes = [o async for o in stream]
    assert not [o for o in outcomes if o.failed]
    sandbox.faults.clear()
    reference = Sandbox(seed=4)
    async with client_for(reference) as lh:
        async with sync_patients(lh, records) as stream:
            async for _ in stream:
                pass
        async with sync_patients(lh, changed) as stream:
            async for _ in stream:
                pass
    assert state(sandbox) == state(reference)
