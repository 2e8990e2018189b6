"""``legithealth sync --token-file``: the token off the process list, never shown when refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from legithealth_async.cli import main
from legithealth_async.demo import write_patients
from legithealth_async.sandbox import SandboxServer

SECRET = "tok-FILE-SECRET-4d1"


def _patients(tmp_path: Path, n: int = 3) -> Path:
    path = tmp_path / "p.jsonl"
    write_patients(path, n)
    return path


@pytest.mark.loopback
@pytest.mark.parametrize("ending", ["", "\n", "\r\n"])
def test_the_token_file_is_read_less_one_line_ending(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    legithealth_sandbox_server: SandboxServer,
    ending: str,
) -> None:
    server = legithealth_sandbox_server
    monkeypatch.setenv("LEGITHEALTH_API_TOKEN", "wrong-token")  # the file takes precedence
    token_file = tmp_path / "token"
    token_file.write_bytes(f"{server.token}{ending}".encode())
    patients = _patients(tmp_path)
    argv = ["sync", str(patients), "--no-journal", "--progress", "none", "--base-url"]
    code = main([*argv, server.base_url, "--token-file", str(token_file)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert len(server.sandbox.patients()) == 3
    assert server.token not in out + err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty"),
        (b"\n", "is empty"),
        (b"\r\n", "is empty"),
        (SECRET.encode() + b"\xff\n", "is not UTF-8 text"),
        (SECRET.encode() * 1000, "bytes, not a token"),
        ("a directory", "is a directory"),
        ("missing", "No such file"),
    ],
)
def test_a_bad_token_file_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes | str,
    problem: str,
) -> None:
    token_file = tmp_path / "token"
    if content == "a directory":
        token_file.mkdir()
    elif isinstance(content, bytes):
        token_file.write_bytes(content)
    patients = _patients(tmp_path)
    assert main(["sync", str(patients), "--token-file", str(token_file)]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [err.strip()]  # one line, no traceback, no usage
    assert err.startswith(f"error: --token-file {token_file}: ") and problem in err
    assert SECRET not in out + err
    assert not (tmp_path / "p.jsonl.journal.sqlite").exists()  # refused before anything opened


def test_a_token_file_the_client_refuses_is_never_echoed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(f"{SECRET} \n")  # a trailing space: refused by the client
    assert main(["sync", str(_patients(tmp_path)), "--token-file", str(token_file)]) == 2
    out, err = capsys.readouterr()
    assert "whitespace" in err and SECRET not in out + err


def test_token_and_token_file_are_exclusive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(SECRET)
    argv = ["sync", str(_patients(tmp_path)), "--token", "t", "--token-file", str(token_file)]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert "not allowed with argument" in err and SECRET not in out + err


def test_help_warns_that_token_is_visible_and_names_the_alternatives(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sync", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "visible to other users of this machine" in text
    assert "--token-file PATH" in text
    assert "LEGITHEALTH_API_TOKEN (preferred)" in text
