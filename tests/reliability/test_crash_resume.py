"""The CLI sync SIGKILLed at several random points and resumed with its journal each time.

The end state must be that of one uninterrupted run: every record's patient once, nothing lost,
the journal intact after every kill and complete at the end. Each kill happens while the
sandbox server holds its creates at a chosen number of patients, and the journal is read with
``Journal(read_only=True)`` as users would during a sync: no poll races the writer (a 2 ms
poll of the live SQLite file once ended a run with "Bus error").
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
from pathlib import Path

import anyio
import pytest
from _toolkit import CreateGate, sync_command, wait_until, write_patients

from legithealth_async import LegitHealth, RetryPolicy
from legithealth_async.sandbox import FaultPlan, Sandbox, SandboxServer
from legithealth_async.sync import Journal, sync_patients

from .conftest import check_created_as_recorded, make_records, state

COUNT = 1500
SEED = 23
KILL_SEED = 20260502


def _journal_rows(path: Path) -> int:
    """Rows the journal holds, read the way users do while a sync runs: read-only."""
    if not path.exists():
        return 0
    with Journal(path, read_only=True) as journal:
        return sum(journal.counts().values())


def _check_journal_after_kill(path: Path, sandbox: Sandbox) -> int:
    """The journal of a killed run: intact, and each row's patient made exactly once."""
    with Journal(path, read_only=True) as journal:
        assert journal.integrity_check()
        rows = [(e.external_id, e.outcome, e.patient_id) for e in journal.entries()]
        assert sum(journal.counts().values()) == len(rows)
    for external_id, outcome, patient_id in rows:
        # unchanged: created by a killed run before its journal entry, found by the next one
        assert outcome in ("created", "unchanged")
        held = sandbox.patient(external_id)
        assert held is not None and held["id"] == patient_id
        assert sandbox.create_effects(external_id) == 1
    return len(rows)


@pytest.mark.loopback
def test_cli_sync_killed_three_times_at_random_points_then_resumed(tmp_path: Path) -> None:
    sandbox = Sandbox(seed=SEED)
    # A little latency so the kills land mid-run, and lost answers after the create took effect:
    # a kill can fall between an effect and its journal entry, or inside a reconciliation.
    sandbox.faults.set("*", FaultPlan(latency_ms=4, jitter_ms=3))
    sandbox.faults.set("createPatient", FaultPlan(latency_ms=4, jitter_ms=3, drop_after_rate=0.05))
    patients = tmp_path / "patients.jsonl"
    write_patients(patients, COUNT, SEED)
    records = make_records(COUNT, SEED)
    journal = tmp_path / "journal.sqlite"

    rng = random.Random(KILL_SEED)
    second = rng.randint(150, 650)
    third = rng.randint(second + 150, COUNT - 250)
    # Kill points, as patients the server holds while it holds the creates that follow: 0, the
    # very first create held (no outcome exists yet: nothing to commit); then two random points
    # further on. The creates held when the process dies take effect after it (its in-flight
    # requests), with no journal entry: the next run finds them.
    kill_at = [0, second, third]

    gate = CreateGate(sandbox)
    with SandboxServer(sandbox) as server:
        args = sync_command(
            patients, journal, server.base_url, "--concurrency", "16", "--progress", "none"
        )
        env = {**os.environ, "LEGITHEALTH_API_TOKEN": server.token}
        rows_at_kill = []
        try:
            for at in kill_at:
                gate.arm(at)
                process = subprocess.Popen(
                    args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
                )
                assert gate.reached.wait(120), f"the sync never reached {at} patients"
                live = _journal_rows(journal)  # read-only, while the writer is alive
                process.send_signal(signal.SIGKILL)
                process.communicate(timeout=30)
                assert process.returncode == -signal.SIGKILL
                gate.open()  # requests the dead process left in flight finish: wait for them
                wait_until(lambda: server.idle, "the killed sync's requests ended")
                rows_at_kill.append(_check_journal_after_kill(journal, sandbox))
                assert live <= rows_at_kill[-1]  # a kill never loses a commit
        finally:
            gate.open()
        assert rows_at_kill[0] == 0, "the first kill came after the first commit"
        assert 0 < len(sandbox.patients()) < COUNT
        assert rows_at_kill[0] < rows_at_kill[1] < rows_at_kill[2] < COUNT

        final = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
        assert final.returncode == 0, (final.stdout, final.stderr)
        skipped = int(final.stdout.split(" skipped by the journal")[0].rsplit("(", 1)[1])
        assert skipped == rows_at_kill[2]  # what the journal held was not looked up again
    print(
        f"\ncrash/resume: {COUNT} records, SIGKILL at journal rows {rows_at_kill} "
        f"(creates held at {kill_at} patients), faults {dict(sandbox.faults.fired)}"
    )

    # No duplicate, no loss, every condition and episode as the records say.
    assert len(sandbox.patients()) == COUNT
    check_created_as_recorded(sandbox, records)
    with Journal(journal) as j:
        assert j.integrity_check()
        counts = j.counts()
        assert set(counts) <= {"created", "unchanged"} and sum(counts.values()) == COUNT
        for record in records:
            entry = j.get(record.external_id)
            assert entry is not None
            assert entry.patient_id == sandbox.patient(record.external_id)["id"]  # type: ignore[index]

    # The same end state as one uninterrupted run.
    reference = Sandbox(seed=SEED)

    async def uninterrupted() -> None:
        async def no_sleep(_: float) -> None:
            return None

        async with LegitHealth(
            reference.token,
            base_url=reference.base_url,
            transport=reference.transport(),
            retry_policy=RetryPolicy(initial=0.01, maximum=0.05),
            sleep=no_sleep,
        ) as lh:
            async with sync_patients(lh, records) as stream:
                async for outcome in stream:
                    assert outcome.outcome.value == "created"

    anyio.run(uninterrupted)
    assert state(sandbox) == state(reference)
