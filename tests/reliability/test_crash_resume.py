"""The CLI sync SIGKILLed at several random points and resumed with its journal each time.

The end state must be that of one uninterrupted run: every record's patient once, nothing lost,
the journal intact after every kill and complete at the end.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from legithealth_async import LegitHealth, RetryPolicy
from legithealth_async.demo import write_patients
from legithealth_async.sandbox import FaultPlan, Sandbox, SandboxServer
from legithealth_async.sync import Journal, sync_patients

from .conftest import check_created_as_recorded, make_records, state

COUNT = 1500
SEED = 23
KILL_SEED = 20260502


def _readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)


def _journal_rows(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with _readonly(path) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM patients").fetchone()[0])
    except sqlite3.Error:
        return 0


def _check_journal_after_kill(path: Path, tmp: Path, sandbox: Sandbox) -> int:
    """The journal of a killed run: intact, and each row's patient made exactly once."""
    with _readonly(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT external_id, outcome, patient_id FROM patients").fetchall()
    # Journal.integrity_check() on a copy (the journal itself is left as the kill left it).
    copy = tmp / f"copy-{time.monotonic_ns()}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            shutil.copyfile(f"{path}{suffix}", f"{copy}{suffix}")
    with Journal(copy) as journal:
        assert journal.integrity_check()
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
    first_ids = [r.external_id for r in records[:16]]
    journal = tmp_path / "journal.sqlite"

    rng = random.Random(KILL_SEED)
    second = rng.randint(150, 650)
    third = rng.randint(second + 150, COUNT - 250)

    def created_any() -> bool:
        return any(sandbox.create_effects(e) for e in first_ids)

    # 1: very early, after the first creates took effect but before the first journal commit.
    kill_points: list[tuple[str, Callable[[], bool]]] = [
        ("before the first commit", created_any),
        (f"at {second} journal rows", lambda: _journal_rows(journal) >= second),
        (f"at {third} journal rows", lambda: _journal_rows(journal) >= third),
    ]

    with SandboxServer(sandbox) as server:
        args = [
            sys.executable,
            "-m",
            "legithealth_async.cli",
            "sync",
            str(patients),
            "--journal",
            str(journal),
            "--concurrency",
            "16",
            "--base-url",
            server.base_url,
            "--progress",
            "none",
        ]
        env = {**os.environ, "LEGITHEALTH_API_TOKEN": server.token}
        rows_at_kill = []
        for label, ready in kill_points:
            process = subprocess.Popen(
                args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
            )
            deadline = time.monotonic() + 60
            while not ready():
                assert process.poll() is None, f"the sync ended before the kill {label}"
                assert time.monotonic() < deadline, f"no progress towards the kill {label}"
                time.sleep(0.002)
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=10)
            assert process.returncode == -signal.SIGKILL
            time.sleep(0.1)  # requests the dead process left in flight finish on the server
            rows_at_kill.append(_check_journal_after_kill(journal, tmp_path, sandbox))
        assert rows_at_kill[0] == 0, "the first kill came after the first commit"
        assert 0 < len(sandbox.patients()) < COUNT
        assert rows_at_kill[0] < rows_at_kill[1] < rows_at_kill[2] < COUNT

        final = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
        assert final.returncode == 0, (final.stdout, final.stderr)
        skipped = int(final.stdout.split(" skipped by the journal")[0].rsplit("(", 1)[1])
        assert skipped == rows_at_kill[2]  # what the journal held was not looked up again
    print(
        f"\ncrash/resume: {COUNT} records, SIGKILL at journal rows {rows_at_kill} "
        f"(thresholds: first create, {second}, {third}), "
        f"faults {dict(sandbox.faults.fired)}"
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
