"""The ``legithealth`` command line: sync in a subprocess (killed and resumed), report, export."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import warnings
from pathlib import Path

import pytest
from _toolkit import CreateGate, make_records, state, sync_command, wait_until, write_patients

from legithealth_async.cli import main
from legithealth_async.sandbox import FaultPlan, Sandbox
from legithealth_async.sync import EXPORT_COLUMNS, Journal, sync_patients

from .conftest import client_for
from .test_records import JSONL_CORPUS, JSONL_EXPECTED

COUNT = 2000
SEED = 11


def _cli(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.loopback
def test_sync_killed_with_sigkill_and_resumed(tmp_path: Path, legithealth_sandbox_server) -> None:
    server = legithealth_sandbox_server
    sandbox: Sandbox = server.sandbox
    # Creates whose answer is lost after the effect: the kill can fall between an effect and
    # its journal entry, or in the middle of a reconciliation.
    sandbox.faults.set("createPatient", FaultPlan(drop_after_rate=0.05))
    patients = tmp_path / "patients.jsonl"
    write_patients(patients, COUNT, SEED)
    journal = tmp_path / "journal.sqlite"
    args = sync_command(
        patients, journal, server.base_url, "--concurrency", "16", "--progress", "plain"
    )
    env = {"LEGITHEALTH_API_TOKEN": server.token}

    # Killed while the server holds its creates at 700 patients: no poll races the writer.
    gate = CreateGate(sandbox)
    gate.arm(700)
    first = _cli(args, env=env)
    try:
        assert gate.reached.wait(60), "the sync made no progress"
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    finally:
        gate.open()
    assert first.returncode == -signal.SIGKILL
    # What the dead process left in flight (held creates included) ends before the reads.
    wait_until(lambda: server.idle, "the killed sync's requests ended")
    with Journal(journal, read_only=True) as j:
        done_before = sum(j.counts().values())
    assert 300 <= done_before < COUNT
    created_before = len(sandbox.patients())

    second = _cli(args, env=env)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, (out, err)
    assert "created" in out and "unchanged" in out
    assert "journal:" in out
    skipped = int(out.split(" skipped by the journal")[0].rsplit("(", 1)[1])
    assert skipped >= done_before  # finished records were not looked up again

    # No duplicate, no loss: each patient created exactly once.
    records = make_records(COUNT, SEED)
    assert len(sandbox.patients()) == COUNT
    assert all(sandbox.create_effects(r.external_id) == 1 for r in records)
    assert created_before >= done_before - 0  # what the journal holds took effect
    # The journal is intact and complete; finished records were not redone (no create sent).
    with Journal(journal) as j:
        assert j.integrity_check()
        counts = j.counts()
        assert sum(counts.values()) == COUNT and "failed" not in counts
        for record in records[:100]:
            entry = j.get(record.external_id)
            assert entry is not None
            assert entry.patient_id == sandbox.patient(record.external_id)["id"]

    # The same end state as one uninterrupted run.
    reference = Sandbox(seed=0)

    async def uninterrupted() -> None:
        async with client_for(reference) as lh:
            async with sync_patients(lh, records) as stream:
                async for _ in stream:
                    pass

    import anyio

    anyio.run(uninterrupted)
    assert state(sandbox) == state(reference)


def test_report_lists_every_failure_without_pii(tmp_path: Path, capsys) -> None:
    path = tmp_path / "patients.jsonl"
    path.write_bytes(JSONL_CORPUS)
    report = tmp_path / "out" / "report.jsonl"
    code = main(["sync", str(path), "--sandbox", "--report", str(report), "--progress", "none"])
    assert code == 1
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert {r["line"] for r in rows} == set(JSONL_EXPECTED)
    for row in rows:
        assert set(row) == {"line", "externalId", "outcome", "error", "message"}
        assert row["outcome"] == "failed"
        assert (row["error"], JSONL_EXPECTED[row["line"]][1] in row["message"]) == (
            JSONL_EXPECTED[row["line"]][0],
            True,
        )
    by_line = {r["line"]: r for r in rows}
    assert by_line[4]["externalId"] == "j4" and by_line[3]["externalId"] is None
    captured = capsys.readouterr()
    text = report.read_text() + captured.out + captured.err
    for secret in ("not-an-email", "555123", "Jos", "NoId", "again@example.org", "12/10/1985"):
        assert secret not in text
    # The terminal shows lines and reasons, not external ids.
    assert "line 4: ValidationError" in captured.out
    assert "j4" not in captured.out + captured.err


def test_summary_and_exit_code_zero_on_a_clean_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "p.jsonl"
    write_patients(path, 50, seed=2)
    journal = tmp_path / "j.sqlite"
    code = main(["sync", str(path), "--sandbox", "--journal", str(journal), "--progress", "plain"])
    captured = capsys.readouterr()
    assert code == 0
    assert "created" in captured.out and "50" in captured.out
    assert "patients.jsonl" not in captured.err or "records" in captured.err
    assert "records (created 50" in captured.err  # the plain progress line at the end
    # The embedded sandbox starts empty: an existing journal is refused.
    assert main(["sync", str(path), "--sandbox", "--journal", str(journal)]) == 2


def test_the_sandbox_client_runs_the_whole_concurrency(tmp_path: Path, capsys) -> None:
    # Before: "sync concurrency 100 is above the client's max_in_flight 64" on every run.
    path = tmp_path / "p.jsonl"
    write_patients(path, 120, seed=3)
    argv = ["sync", str(path), "--sandbox", "--no-journal", "--concurrency", "100"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main([*argv, "--progress", "none"]) == 0
    assert "created" in capsys.readouterr().out


def test_journal_export_csv_and_jsonl(tmp_path: Path, capsys) -> None:
    path = tmp_path / "p.jsonl"
    write_patients(path, 30, seed=3)
    journal = tmp_path / "j.sqlite"
    assert (
        main(["sync", str(path), "--sandbox", "--journal", str(journal), "--progress", "none"]) == 0
    )
    capsys.readouterr()

    assert main(["journal", "export", str(journal), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 30
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert all(r["patientId"] and r["outcome"] == "created" for r in rows)
    assert rows == sorted(rows, key=lambda r: r["externalId"])

    out = tmp_path / "map.jsonl"
    assert main(["journal", "export", str(journal), "--output", str(out)]) == 0
    entries = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["externalId"] for e in entries] == [r["externalId"] for r in rows]
    assert all(isinstance(e["conditionIds"], dict) for e in entries)

    assert main(["journal", "stats", str(journal)]) == 0
    assert "created" in capsys.readouterr().out
    assert main(["journal", "export", str(tmp_path / "missing.sqlite")]) == 2


def test_usage_errors(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("LEGITHEALTH_API_TOKEN", raising=False)
    path = tmp_path / "p.jsonl"
    write_patients(path, 3)
    assert main(["sync", str(tmp_path / "nope.jsonl"), "--sandbox"]) == 2
    assert main(["sync", str(path), "--no-journal"]) == 2  # no token
    assert "LEGITHEALTH_API_TOKEN" in capsys.readouterr().err
    bad = tmp_path / "p.csv"
    bad.write_text("name,email\nx,y\n")
    assert main(["sync", str(bad), "--sandbox"]) == 2
    assert main(["sync", str(path), "--sandbox-faults"]) == 2
    assert main(["sync", str(path), "--token", "t", "--base-url", "http://example.org"]) == 2


def test_sandbox_subcommand_delegates(capsys) -> None:
    assert main(["sandbox", "--help"]) == 0
    assert "usage: legithealth sandbox" in capsys.readouterr().out


def test_dry_run_and_sandbox_faults(tmp_path: Path, capsys) -> None:
    path = tmp_path / "p.jsonl"
    write_patients(path, 40, seed=4)
    assert main(["sync", str(path), "--sandbox", "--dry-run", "--progress", "none"]) == 0
    assert "dry run" in capsys.readouterr().out
    code = main(["sync", str(path), "--sandbox", "--sandbox-faults", "--progress", "none"])
    assert code == 0


def test_episodes_flag_completes_the_id_map(tmp_path: Path, capsys) -> None:
    path = tmp_path / "p.jsonl"
    write_patients(path, 20, seed=4)
    journal = tmp_path / "j.sqlite"
    argv = ["sync", str(path), "--sandbox", "--journal", str(journal), "--episodes"]
    assert main([*argv, "--progress", "none"]) == 0
    capsys.readouterr()
    out = tmp_path / "map.jsonl"
    assert main(["journal", "export", str(journal), "--output", str(out)]) == 0
    entries = [json.loads(line) for line in out.read_text().splitlines()]
    with_conditions = [e for e in entries if e["conditionIds"]]
    assert with_conditions  # the synthetic file has patients with conditions
    for entry in with_conditions:
        # Every condition learned has its (single, active) episode learned too.
        assert set(entry["episodeIds"]) == set(entry["conditionIds"].values())
        assert all(len(ids) == 1 for ids in entry["episodeIds"].values())


def test_rows_refused_while_reading_are_journaled_and_stats_agree(tmp_path: Path, capsys) -> None:
    """Issue 10: rows rejected by the reader were in the report but not the journal."""
    path = tmp_path / "patients.jsonl"
    path.write_bytes(JSONL_CORPUS)
    journal = tmp_path / "j.sqlite"
    report = tmp_path / "report.jsonl"
    argv = ["sync", str(path), "--sandbox", "--journal", str(journal), "--report", str(report)]
    assert main([*argv, "--progress", "none"]) == 1
    reported = [json.loads(line) for line in report.read_text().splitlines()]
    capsys.readouterr()
    with Journal(journal, read_only=True) as j:
        failed = {e.external_id: e for e in j.entries(outcome="failed")}
        last = j.last_run()
    # Every failure with a usable id is an entry, with its reason; the duplicate of j1 is not
    # (the first j1's entry stands), nor the rows without an id (lines 2, 3, 8, 11).
    with_id = {r["externalId"]: r for r in reported if r["externalId"] and r["line"] != 10}
    assert set(failed) == set(with_id) == {"j4", "j5", "j6", "j7", "j12", "j13"}
    for ext, entry in failed.items():
        assert (entry.error, entry.message, entry.line) == (
            with_id[ext]["error"],
            with_id[ext]["message"],
            with_id[ext]["line"],
        )
    assert last is not None and last["rows"] == 13
    assert last["outcomes"] == {"created": 2, "failed": 11}
    assert main(["journal", "stats", str(journal)]) == 0
    out = capsys.readouterr().out
    assert "13 rows read: created 2  updated 0  unchanged 0  failed 11" in out
    assert "failed            6" in out  # the entries


def test_episodes_on_a_journal_that_holds_the_records_fetches_what_it_lacks(
    tmp_path: Path,
) -> None:
    """Issue 14: ``--episodes`` after a run without it skipped every record, learning nothing."""
    import anyio

    from legithealth_async.cli import SyncOptions, run_sync

    path = tmp_path / "p.jsonl"
    write_patients(path, 20, seed=4)
    journal = tmp_path / "j.sqlite"
    sandbox = Sandbox(seed=4)

    def sync(**kwargs: bool) -> int:
        options = SyncOptions(file=path, journal=journal, progress="none", **kwargs)
        return anyio.run(lambda: run_sync(options, sandbox=sandbox))

    def entries() -> list:
        with Journal(journal, read_only=True) as j:
            return [e for e in j.entries() if e.condition_ids]

    assert sync() == 0
    assert entries() and all(not e.episode_ids for e in entries())
    assert sync(episodes=True) == 0
    for entry in entries():
        assert set(entry.episode_ids) == set(entry.condition_ids.values())
    assert all(sandbox.create_effects(ext) == 1 for ext in sandbox.patients())


def test_help_documents_every_exit_code(capsys) -> None:
    from legithealth_async import cli

    assert main(["sync", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for code in range(8):
        assert f"; {code} " in text or f"codes: {code} " in text, code
    codes = [getattr(cli, n) for n in dir(cli) if n.startswith("EXIT_") and n != "EXIT_CODES_HELP"]
    assert sorted(codes) == list(range(8))  # each class its own code
