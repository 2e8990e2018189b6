"""A server's request id is shown (errors, logs, the CLI's terminal) only when it looks like an
id (issue 19 §4): a request id header carrying a name, a birth date, a phone or a national id
number never reaches a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from legithealth_async import cli as cli_module
from legithealth_async._privacy import shown_request_id
from legithealth_async.cli import main
from legithealth_async.sandbox import Sandbox

PHI_IDS = ["ana.garcia", "1980-02-03", "600123456", "12345678Z", "Garcia_Lopez"]
IDS = ["req-42", "3f6c1a2e-77b4-4c1e-9d0a-1b2c3d4e5f60", "r-1", "9f86d081884c7d65", "req-qz-1"]


@pytest.mark.parametrize("value", PHI_IDS)
def test_what_does_not_look_like_an_id_is_not_shown(value: str) -> None:
    assert shown_request_id(value) is None


@pytest.mark.parametrize("value", IDS)
def test_ids_are_shown(value: str) -> None:
    assert shown_request_id(value) == value


class _PhiRequestIds(httpx.AsyncBaseTransport):
    """The sandbox, except that every create is refused with a 422 whose request id is PHI."""

    legithealth_in_process = True

    def __init__(self, inner: httpx.AsyncBaseTransport, request_id: str) -> None:
        self.inner = inner
        self.request_id = request_id

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            body = {"errorCode": "UNPROCESSABLE_ENTITY", "message": "refused"}
            return httpx.Response(422, json=body, headers={"x-request-id": self.request_id})
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize("request_id", PHI_IDS)
def test_the_cli_never_prints_a_request_id_that_is_not_an_id(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    request_id: str,
) -> None:
    path = tmp_path / "patients.jsonl"
    path.write_text(json.dumps({"externalId": "p-1", "email": "a@example.org"}) + "\n")
    sandbox = Sandbox(seed=1)
    inner = sandbox.transport
    sandbox.transport = lambda: _PhiRequestIds(inner(), request_id)  # type: ignore[method-assign]
    monkeypatch.setattr(cli_module, "_make_sandbox", lambda faults: sandbox)
    code = main(["sync", str(path), "--sandbox", "--progress", "plain"])
    captured = capsys.readouterr()
    assert code == 1
    assert "UnprocessableEntityError" in captured.out + captured.err  # the failure is shown...
    assert request_id not in captured.out + captured.err  # ...without the request id
