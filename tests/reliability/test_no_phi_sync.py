"""No PHI in the sync path: ``legithealth sync`` at DEBUG over records full of sentinels.

Successes, retries, reconciliations, bad emails, a duplicate id, a malformed birth date and a
server 4xx that quotes everything it was sent: no sentinel may appear in any log record,
stdout/stderr, exception text or repr; the report names the failed records' external ids and
nothing else of theirs.
"""

from __future__ import annotations

import json
import logging
import traceback
from pathlib import Path
from typing import Any

import httpx
import pytest
from _toolkit import no_sleep

from legithealth_async import LegitHealth, LegitHealthError
from legithealth_async import cli as cli_module
from legithealth_async.cli import main
from legithealth_async.sandbox import FaultPlan, Sandbox
from legithealth_async.sync import aiter_records, sync_patients

TOKEN = "QZTOKENSENTINEL0d9f8e7c"
FIRST = "Qzsentinelfirst"
LAST = "Qzsentinellast"
N = 40


def _ext(i: int | str) -> str:
    return f"QZ-EXT-SENTINEL-{i}"


def _email(i: int | str) -> str:
    return f"qz.sentinel.{i}@example.org"


def _phone(i: int) -> str:
    return f"+3469988{i:04d}"


def _birth(i: int) -> str:
    return f"1911-11-{1 + i % 28:02d}"


def _rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(N):
        rows.append(
            {
                "externalId": _ext(i),
                "firstName": f"{FIRST}{i}",
                "lastName": f"{LAST}{i}",
                "email": _email(i),
                "phone": _phone(i),
                "birthDate": _birth(i),
                "gender": "female",
                "language": "es",
                "conditions": [
                    {"pathologyCode": "EA90", "bodySiteCode": "armLeft"},
                    {
                        "pathologyCode": "ED80",
                        "bodySiteCode": "headFront",
                        "isTracked": True,
                        "frequency": {"every": 2, "unit": "week"},
                    },
                ],
            }
        )
    # Failures: a bad email, a duplicate id, a malformed birth date, a server 4xx.
    rows.append({"externalId": _ext("BADMAIL"), "firstName": FIRST, "email": "qz-not-an-email"})
    rows.append({"externalId": _ext(3), "firstName": "Qzduplicatefirst", "email": _email("dup")})
    rows.append({"externalId": _ext("BADDATE"), "email": _email("bd"), "birthDate": "11/11/1911"})
    rows.append(
        {
            "externalId": _ext("4XX"),
            "firstName": f"{FIRST}4xx",
            "lastName": f"{LAST}4xx",
            "email": _email("4xx"),
            "phone": "+34699889999",
            "birthDate": "1911-12-12",
        }
    )
    return rows


FAILED_EXT = {_ext("BADMAIL"), _ext(3), _ext("BADDATE"), _ext("4XX")}


def _sentinels() -> list[str]:
    values = {TOKEN, FIRST, LAST, "qz-not-an-email", "Qzduplicatefirst", "11/11/1911"}
    values |= {"QZ-EXT-SENTINEL", "qz.sentinel", "+3469988", "1911-1"}
    for row in _rows():
        for key in ("externalId", "firstName", "lastName", "email", "phone", "birthDate"):
            if key in row:
                values.add(row[key])
    return sorted(values, key=len, reverse=True)


class EchoingServer(httpx.AsyncBaseTransport):
    """The sandbox, except that one record's create is refused with a 422 whose message quotes
    every value the request carried (as careless servers do)."""

    legithealth_in_process = True  # opens no socket (see legithealth_async._config)

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.content:
            body = json.loads(request.content)
            if body.get("externalId") == _ext("4XX"):
                quoted = ", ".join(f"{k}={v!r}" for k, v in body.items())
                return httpx.Response(
                    422,
                    json={
                        "errorCode": "UNPROCESSABLE_ENTITY",
                        "message": f"cannot accept {quoted}; token {TOKEN}",
                    },
                    headers={"x-request-id": "req-qz-1"},
                )
        return await self.inner.handle_async_request(request)


def _sandbox() -> Sandbox:
    sandbox = Sandbox(token=TOKEN, seed=3)
    sandbox.faults.set("*", FaultPlan(error_rate=0.1, retry_after=None))
    sandbox.faults.set("createPatient", FaultPlan(error_rate=0.1, drop_after_rate=0.1))
    inner = sandbox.transport
    sandbox.transport = lambda: EchoingServer(inner())  # type: ignore[method-assign]
    return sandbox


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    parts = []
    for record in caplog.records:
        parts.append(formatter.format(record))
        parts.append(repr(record.args))
    return "\n".join(parts)


def _leaks(text: str, allowed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    for value in allowed:
        text = text.replace(value, "")
    return [s for s in _sentinels() if s in text]


def test_cli_sync_at_debug_leaks_no_phi(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "patients.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in _rows()) + "\n", encoding="utf-8")
    report = tmp_path / "report.jsonl"
    sandbox = _sandbox()
    monkeypatch.setattr(cli_module, "_make_sandbox", lambda faults: sandbox)
    caplog.set_level(logging.DEBUG)  # the root logger: ours, httpx, httpcore, the sandbox's

    code = main(
        [
            "sync",
            str(path),
            "--sandbox",
            "--report",
            str(report),
            "--journal",
            str(tmp_path / "journal.sqlite"),
            "--progress",
            "plain",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1, captured
    # It really ran: every good record made, each failure reported, faults injected and logged.
    assert len(sandbox.patients()) == N
    assert sum(sandbox.faults.fired.values()) > 0
    assert any(r.name == "legithealth_async" and r.levelno == logging.DEBUG for r in caplog.records)
    assert any("-> 422" in r.getMessage() for r in caplog.records)

    rows = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert {r["externalId"] for r in rows} == FAILED_EXT
    errors = {(r["externalId"], r["error"]) for r in rows}
    assert errors == {
        (_ext("BADMAIL"), "ValidationError"),
        (_ext(3), "DuplicateRecord"),
        (_ext("BADDATE"), "ValidationError"),
        (_ext("4XX"), "UnprocessableEntityError"),
    }

    assert _leaks(_log_text(caplog)) == []
    assert _leaks(captured.out + captured.err) == []
    # The report names the failed records' external ids, and nothing else of anyone.
    assert _leaks(report.read_text(encoding="utf-8"), allowed=FAILED_EXT) == []


async def test_outcomes_records_and_errors_of_the_sync_carry_no_phi(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "patients.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in _rows()) + "\n", encoding="utf-8")
    sandbox = _sandbox()
    caplog.set_level(logging.DEBUG)
    records = []
    async with LegitHealth(
        TOKEN, base_url=sandbox.base_url, transport=sandbox.transport(), sleep=no_sleep
    ) as lh:

        async def remember() -> Any:
            async for item in aiter_records(path):
                records.append(item)
                yield item

        async with sync_patients(lh, remember(), journal=tmp_path / "j.db") as stream:
            outcomes = [o async for o in stream]
        # The 4xx itself, raised: its text, repr and traceback.
        with pytest.raises(LegitHealthError) as info:
            await lh.patients.create(
                external_id=_ext("4XX"),
                email=_email("4xx"),
                phone="+34699889999",
                first_name=f"{FIRST}4xx",
            )
        repr_lh = repr(lh)
    assert {o.external_id for o in outcomes if o.failed} == FAILED_EXT
    error = info.value
    texts = [
        str(error),
        repr(error),
        "".join(traceback.format_exception(error)),
        repr(getattr(error, "message", None)),
        repr_lh,
        *(repr(o) for o in outcomes),
        *(repr(o.reason) for o in outcomes),
        *(repr(r) for r in records),
        _log_text(caplog),
    ]
    for text in texts:
        assert _leaks(text) == [], text[:300]
    # error.message is the server's text, redacted of what was sent.
    assert "cannot accept" in (error.message or "")
