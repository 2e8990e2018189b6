"""LEGITHEALTH_LOG turns the library's log lines on; `legithealth sync --otel` exports its run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from legithealth_async.cli import main

_LOGS = """
import asyncio, legithealth_async
from legithealth_async import LegitHealth
from legithealth_async.sandbox import Sandbox

async def run():
    sb = Sandbox()
    async with LegitHealth(sb.token, base_url=sb.base_url, transport=sb.transport()) as lh:
        await lh.patients.get("a449-secret")

asyncio.run(run())
"""


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LEGITHEALTH_", "OTEL_"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_legithealth_log_debug_writes_the_attempt_lines_to_stderr() -> None:
    done = _python(_LOGS, LEGITHEALTH_LOG="debug")
    assert done.returncode == 0, done.stderr
    assert "DEBUG legithealth_async: getPatients GET /patients -> 200" in done.stderr
    assert "a449-secret" not in done.stderr


@pytest.mark.parametrize("value", [None, "info"])
def test_no_switch_or_info_writes_no_debug_line(value: str | None) -> None:
    done = _python(_LOGS, **({} if value is None else {"LEGITHEALTH_LOG": value}))
    assert done.returncode == 0, done.stderr
    assert "DEBUG" not in done.stderr
    if value is None:
        assert done.stderr == ""  # nothing at all without the switch
    else:
        assert "INFO legithealth_async.sandbox: GET /patients -> 200" in done.stderr


def test_an_unknown_level_is_a_warning_naming_the_choices() -> None:
    done = _python("import legithealth_async", LEGITHEALTH_LOG="verbose")
    assert done.returncode == 0
    assert "LEGITHEALTH_LOG takes 'info' or 'debug'" in done.stderr


def test_cli_otel_exports_the_runs_spans_and_metrics_to_the_console(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    rows = [{"externalId": f"x{n}", "email": f"p{n}@example.org"} for n in range(20)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    code = (
        "import sys; from legithealth_async.cli import main; "
        f"sys.exit(main(['sync', {str(path)!r}, '--sandbox', '--otel', '--progress', 'none']))"
    )
    done = _python(code, OTEL_TRACES_EXPORTER="console", OTEL_METRICS_EXPORTER="console")
    assert done.returncode == 0, done.stderr
    assert '"name": "legithealth.sync"' in done.stderr
    assert '"legithealth.sync.records.created": 20' in done.stderr
    assert '"name": "legithealth.sync.records"' in done.stderr
    assert "created" in done.stdout  # the summary still goes to stdout, alone


def test_cli_otel_without_the_sdk_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)  # import fails
    path = tmp_path / "p.jsonl"
    path.write_text('{"externalId": "x1"}\n')
    assert main(["sync", str(path), "--sandbox", "--otel"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "error: --otel needs the OpenTelemetry SDK: pip install 'legithealth-async[otel-export]'"
    )


def test_cli_otel_refuses_an_unknown_exporter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    path = tmp_path / "p.jsonl"
    path.write_text('{"externalId": "x1"}\n')
    assert main(["sync", str(path), "--sandbox", "--otel"]) == 2
    assert "OTEL_TRACES_EXPORTER must be otlp, console or none" in capsys.readouterr().err


def test_the_docs_example_runs_and_prints_spans_and_metrics() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "observing.md").read_text()
    [code] = re.findall(r"^```python\n(.*?)^```$", page, re.S | re.M)
    done = _python(code)
    assert done.returncode == 0, done.stderr
    assert '"name": "createPatient"' in done.stdout and '"name": "legithealth.sync"' in done.stdout
    assert '"legithealth.sync.records.created": 20' in done.stdout
    assert '"name": "legithealth.sync.records"' in done.stdout
