"""The CLI in a hostile environment: it never destroys input and fails clearly.

A full disk, a read-only, corrupt or truncated journal: one clear line, a distinct exit code, no
traceback, and the same command resumes once the cause is fixed. Each test here failed on the
main of 2026-11-27 (issue 10, "The CLI never destroys input and fails clearly").
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from _toolkit import CreateGate, sync_command, write_patients

from legithealth_async import cli
from legithealth_async.cli import SyncOptions, main, run_sync
from legithealth_async.sandbox import Sandbox, SandboxServer
from legithealth_async.sync import Journal, sync_patients
from legithealth_async.sync import journal as journal_module
from legithealth_async.sync.journal import JournalReadOnlyError

TRACEBACK_WORDS = ("Traceback", "sqlite3.", "cannot rollback", "OperationalError")


def _sync(path: Path, journal: Path, sandbox: Sandbox, **kwargs: Any) -> int:
    options = SyncOptions(file=path, journal=journal, progress="none", **kwargs)
    return anyio.run(lambda: run_sync(options, sandbox=sandbox))


def _one_clear_line(err: str, *words: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: the journal cannot be used: "), err
    assert all(word in lines[0] for word in words), err
    assert not any(word in err for word in TRACEBACK_WORDS), err


def _patients_once(sandbox: Sandbox, count: int) -> None:
    stored = sandbox.patients()
    assert len(stored) == count
    assert all(sandbox.create_effects(ext) == 1 for ext in stored)


# ----------------------------------------------------------------------- input is sacred


@pytest.mark.parametrize(
    "argv",
    [
        ["--report", "{input}"],
        ["--journal", "{input}"],
        ["--report", "{link}"],  # another name for the same inode
        ["--journal", "{out}/j.sqlite", "--report", "{out}/j.sqlite"],
        ["--journal", "{out}/j.sqlite", "--report", "{out}/j.sqlite-wal"],
    ],
)
def test_a_report_or_journal_path_that_is_the_input_is_refused(
    tmp_path: Path, capsys: Any, argv: list[str]
) -> None:
    path = tmp_path / "in.jsonl"
    write_patients(path, 5, seed=1)
    before = path.read_bytes()
    os.link(path, tmp_path / "link.jsonl")
    names = {"input": str(path), "link": str(tmp_path / "link.jsonl"), "out": str(tmp_path)}
    args = [a.format(**names) for a in argv]
    code = main(["sync", str(path), "--sandbox", "--progress", "none", *args])
    assert code == cli.EXIT_USAGE
    assert "would overwrite" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert not (tmp_path / "j.sqlite").exists()


def test_the_report_is_replaced_atomically_and_private(tmp_path: Path, monkeypatch: Any) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"externalId": "a", "email": "bad"}\n{"externalId": "b", "email": "x"}\n')
    report = tmp_path / "report.jsonl"
    report.write_text("the previous report\n")
    seen_during_the_run: list[str] = []
    write = cli._Report.write

    def spy(self: Any, outcome: Any) -> None:
        seen_during_the_run.append(report.read_text())
        write(self, outcome)

    monkeypatch.setattr(cli._Report, "write", spy)
    code = main(["sync", str(path), "--sandbox", "--report", str(report), "--progress", "none"])
    assert code == cli.EXIT_FAILED
    assert seen_during_the_run == ["the previous report\n"] * 2  # never half a report
    assert [json.loads(line)["line"] for line in report.read_text().splitlines()] == [1, 2]
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "report.jsonl"]


def test_journal_files_are_created_private_and_never_widened(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    write_patients(path, 5, seed=1)
    journal = tmp_path / "new.sqlite"
    assert _sync(path, journal, Sandbox(seed=1)) == cli.EXIT_OK
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{journal}{suffix}").exists():
            assert stat.S_IMODE(Path(f"{journal}{suffix}").stat().st_mode) == 0o600, suffix
    kept = tmp_path / "kept.sqlite"
    Journal(kept).close()
    kept.chmod(0o640)
    assert _sync(path, kept, Sandbox(seed=1)) == cli.EXIT_OK
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640


# ------------------------------------------------------------------------- a full disk


@pytest.fixture
def small_database(monkeypatch: Any) -> Callable[[], None]:
    """Every new SQLite connection limited to a few pages: SQLite's own SQLITE_FULL
    ("database or disk is full") at a realistic point, a write transaction. Call the result
    to free the space."""
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real(*args, **kwargs)
        conn.execute("PRAGMA max_page_count=12")
        return conn

    monkeypatch.setattr(journal_module.sqlite3, "connect", connect)
    return lambda: monkeypatch.setattr(journal_module.sqlite3, "connect", real)


def test_a_full_disk_is_one_clear_line_and_resumes(
    tmp_path: Path, capsys: Any, small_database: Callable[[], None]
) -> None:
    path = tmp_path / "in.jsonl"
    write_patients(path, 600, seed=3)
    journal = tmp_path / "j.sqlite"
    sandbox = Sandbox(seed=3)
    assert _sync(path, journal, sandbox) == cli.EXIT_DISK_FULL
    _one_clear_line(capsys.readouterr().err, "full")
    with Journal(journal, read_only=True) as j:
        assert j.integrity_check()
        kept = sum(j.counts().values())
    assert 0 < kept < 600

    small_database()  # space freed: the same command resumes
    assert _sync(path, journal, sandbox) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert f"({kept} skipped by the journal)" in out
    _patients_once(sandbox, 600)


@contextlib.contextmanager
def _tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip("mounting a tmpfs needs root (test_a_full_disk_... covers the class)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_a_really_full_tmpfs_is_one_clear_line_and_resumes(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "in.jsonl"
    write_patients(path, 1200, seed=4)
    sandbox = Sandbox(seed=4)
    with _tmpfs(tmp_path / "disk", "128k") as disk:
        journal = disk / "j.sqlite"
        assert _sync(path, journal, sandbox) == cli.EXIT_DISK_FULL
        _one_clear_line(capsys.readouterr().err, "full")
        rescued = tmp_path / "j.sqlite"
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{journal}{suffix}").exists():
                shutil.copyfile(f"{journal}{suffix}", f"{rescued}{suffix}")
    assert _sync(path, rescued, sandbox) == cli.EXIT_OK  # moved to a disk with room
    _patients_once(sandbox, 1200)


# ----------------------------------------------------- read-only, corrupt, truncated


@contextlib.contextmanager
def _read_only(directory: Path) -> Iterator[None]:
    """``directory`` read-only: a read-only bind mount as root (root ignores modes), else modes."""
    if os.geteuid() == 0:
        mounted = subprocess.run(
            ["mount", "--bind", "-o", "ro", str(directory), str(directory)],
            capture_output=True,
            check=False,
        )
        if mounted.returncode != 0:
            pytest.skip("a read-only bind mount needs root")
        subprocess.run(["mount", "-o", "remount,ro,bind", str(directory)], check=False)
        try:
            yield
        finally:
            subprocess.run(["umount", "-l", str(directory)], check=False)
        return
    modes = {p: p.stat().st_mode for p in [directory, *directory.iterdir()]}
    for p in modes:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        yield
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def test_a_read_only_journal_is_one_clear_line_and_resumes(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "in.jsonl"
    write_patients(path, 40, seed=5)
    store = tmp_path / "store"
    store.mkdir()
    journal = store / "j.sqlite"
    sandbox = Sandbox(seed=5)
    assert _sync(path, journal, sandbox, dry_run=False) == cli.EXIT_OK
    write_patients(path, 60, seed=5)  # 20 more records
    capsys.readouterr()
    with _read_only(store):
        assert _sync(path, journal, sandbox) == cli.EXIT_JOURNAL_READONLY
        _one_clear_line(capsys.readouterr().err, "read-only")
    assert _sync(path, journal, sandbox) == cli.EXIT_OK
    assert "(40 skipped by the journal)" in capsys.readouterr().out
    _patients_once(sandbox, 60)


def _truncate(journal: Path) -> None:
    size = journal.stat().st_size
    with journal.open("r+b") as f:
        f.truncate(size // 2)


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b"this is not a journal at all\n" * 200),
        _truncate,
    ],
    ids=["not-a-journal", "truncated"],
)
def test_a_corrupt_or_truncated_journal_is_one_clear_line_and_resumes(
    tmp_path: Path, capsys: Any, damage: Callable[[Path], None]
) -> None:
    path = tmp_path / "in.jsonl"
    write_patients(path, 300, seed=6)
    journal = tmp_path / "j.sqlite"
    sandbox = Sandbox(seed=6)
    assert _sync(path, journal, sandbox) == cli.EXIT_OK
    backup = tmp_path / "backup.sqlite"
    shutil.copyfile(journal, backup)  # closed cleanly: the WAL is checkpointed into the file
    damage(journal)
    capsys.readouterr()
    assert _sync(path, journal, sandbox) == cli.EXIT_JOURNAL_CORRUPT
    _one_clear_line(capsys.readouterr().err, "corrupt" if damage is _truncate else "journal")
    assert main(["journal", "stats", str(journal)]) == cli.EXIT_JOURNAL_CORRUPT
    _one_clear_line(capsys.readouterr().err)

    shutil.copyfile(backup, journal)  # restored: the same command resumes
    assert _sync(path, journal, sandbox) == cli.EXIT_OK
    assert "(300 skipped by the journal)" in capsys.readouterr().out


# ------------------------------------------------------------------------------- SIGTERM


@pytest.mark.loopback
def test_sigterm_stops_admitting_commits_the_journal_and_says_so(
    tmp_path: Path, capsys: Any
) -> None:
    path = tmp_path / "in.jsonl"
    write_patients(path, 400, seed=7)
    journal = tmp_path / "j.sqlite"
    sandbox = Sandbox(seed=7)
    gate = CreateGate(sandbox)
    gate.arm(250)
    with SandboxServer(sandbox) as server:
        args = sync_command(path, journal, server.base_url, "--progress", "none")
        env = {**os.environ, "LEGITHEALTH_API_TOKEN": server.token}
        process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        try:
            assert gate.reached.wait(60), "the sync never reached the gate"
            # Users read a live journal: stats opens it read-only while the sync holds it.
            assert main(["journal", "stats", str(journal)]) == cli.EXIT_OK
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=60)
        finally:
            gate.open()
            if process.poll() is None:
                process.kill()
        assert process.returncode == cli.EXIT_STOPPED, (out, err)
        assert "interrupted (SIGTERM)" in err and "journal" in err
        assert "Traceback" not in err
        assert "created" in capsys.readouterr().out  # the stats taken during the run
        with Journal(journal, read_only=True) as j:
            assert j.integrity_check()
            committed = sum(j.counts().values())
        # Everything done before the signal was committed (outcomes come at most one window
        # behind the creates; commits are not left pending).
        assert 100 <= committed <= 250
        resumed = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
        assert resumed.returncode == cli.EXIT_OK, (resumed.stdout, resumed.stderr)
    _patients_once(sandbox, 400)


# ------------------------------------------------------------------- the library's side


async def test_a_cancelled_sync_closes_its_input(tmp_path: Path) -> None:
    from legithealth_async.sync import aiter_records
    from tests.sync.conftest import client_for

    path = tmp_path / "in.jsonl"
    write_patients(path, 2000, seed=8)
    closed: list[bool] = []

    async def source() -> Any:
        try:
            async with contextlib.aclosing(aiter_records(path)) as records:
                async for item in records:
                    yield item
        finally:
            closed.append(True)

    sandbox = Sandbox(seed=8)
    async with client_for(sandbox) as lh:
        with anyio.CancelScope() as scope:
            async with sync_patients(lh, source()) as outcomes:
                async for _ in outcomes:
                    scope.cancel()
    assert closed == [True]  # closed by the sync itself (no garbage collection involved)
    assert not _is_open(path)


def _is_open(path: Path) -> bool:
    fds = Path("/proc/self/fd")
    return any(
        os.path.realpath(fd) == str(path.resolve()) for fd in fds.iterdir() if fd.is_symlink()
    )


def test_the_journal_never_holds_userinfo(tmp_path: Path, capsys: Any) -> None:
    journal = tmp_path / "j.sqlite"
    Journal(journal, base_url="https://user:s3cret@api.example.org/v1").close()
    with sqlite3.connect(journal) as conn:
        stored = conn.execute("SELECT value FROM meta WHERE key = 'base_url'").fetchone()[0]
    assert stored == "https://api.example.org/v1"
    # A journal written before this rule: stats still shows no password.
    old = tmp_path / "old.sqlite"
    Journal(old).close()
    with contextlib.closing(sqlite3.connect(old)) as conn, conn:
        conn.execute("INSERT INTO meta VALUES ('base_url', 'https://user:s3cret@h.example/v1')")
    assert main(["journal", "stats", str(old)]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "s3cret" not in out and "https://h.example/v1" in out
    # It is the same Legit.Health: opening with or without the userinfo is no mismatch.
    Journal(old, base_url="https://h.example/v1").close()


def test_read_only_open_reads_a_live_journal_and_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    from legithealth_async.sync import JournalEntry

    with Journal(path) as writer:
        writer.write([JournalEntry(external_id="a", outcome="created")])
        with Journal(path, read_only=True) as reader:
            assert reader.counts() == {"created": 1}
            writer.write([JournalEntry(external_id="b", outcome="created")])
            assert reader.counts() == {"created": 2}  # sees each commit
            with pytest.raises(JournalReadOnlyError):
                reader.write([JournalEntry(external_id="c", outcome="created")])
    with pytest.raises(FileNotFoundError):
        Journal(tmp_path / "missing.sqlite", read_only=True)
    assert not (tmp_path / "missing.sqlite").exists()


def test_the_terminal_never_gets_a_control_character(capsys: Any) -> None:
    from legithealth_async.sync import FailureReason, Outcome, SyncOutcome, SyncSummary

    hostile = SyncOutcome(
        external_id="p1",
        line=3,
        outcome=Outcome.FAILED,
        reason=FailureReason(error="ServerError\x1b[2J", message="code \x1b]0;owned\x07 \x9b1m"),
    )
    summary = SyncSummary()
    summary.add(hostile)
    cli._summary_table(summary, "sync", [hostile], 1)
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "line 3: ServerError\\x1b[2J: code \\x1b]0;owned\\x07 \\x9b1m" in out


def test_a_busy_journal_is_its_own_class(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    path = tmp_path / "in.jsonl"
    write_patients(path, 5, seed=9)
    journal = tmp_path / "j.sqlite"
    Journal(journal).close()
    monkeypatch.setattr(journal_module.C, "SYNC_JOURNAL_BUSY_TIMEOUT_MS", 50)
    with contextlib.closing(sqlite3.connect(journal, isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")  # another process holds the journal
        assert _sync(path, journal, Sandbox(seed=9)) == cli.EXIT_JOURNAL_BUSY
        _one_clear_line(capsys.readouterr().err, "another process")
        other.execute("ROLLBACK")
    assert _sync(path, journal, Sandbox(seed=9)) == cli.EXIT_OK
