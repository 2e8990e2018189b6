"""The command line's papercuts, each pinned as a user sees it: ``--version``; a closed pipe is
a normal end (before: "error: Broken pipe", exit 2); the "no token" message names the command
line's ways (before: the library's ``pass api_token=...``)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _toolkit import write_patients

from legithealth_async import __version__
from legithealth_async.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"legithealth {__version__}\n"


def test_no_token_names_the_command_lines_ways(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEGITHEALTH_API_TOKEN", raising=False)
    path = tmp_path / "p.jsonl"
    write_patients(path, 3)
    assert main(["sync", str(path), "--no-journal"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: no API token: set $LEGITHEALTH_API_TOKEN, or give --token-file PATH "
        "(a file holding the token)\n"
    )


@pytest.fixture
def journal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "p.jsonl"
    write_patients(path, 20)
    journal = tmp_path / "j.sqlite"
    argv = ["sync", str(path), "--sandbox", "--journal", str(journal), "--progress", "none"]
    assert main(argv) == 0
    capsys.readouterr()
    return journal


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_ends_an_export_quietly(
    journal: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["journal", "export", str(journal)]) == 0
    assert capsys.readouterr().err == ""


def test_export_into_a_pipe_its_reader_closed(journal: Path) -> None:
    """``legithealth journal export J | head -0``: exit 0, nothing on stderr."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first write
    try:
        result = subprocess.run(
            [sys.executable, "-m", "legithealth_async.cli", "journal", "export", str(journal)],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (0, "")
