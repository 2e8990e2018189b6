"""``legithealth sandbox`` prints ready-to-paste ``export`` lines (before: the URL and the token,
to be copied into two variables by hand)."""

from __future__ import annotations

import subprocess
import sys

import httpx


def test_the_printed_exports_point_a_shell_at_the_sandbox() -> None:
    command = [sys.executable, "-m", "legithealth_async.sandbox", "--port", "0", "--token", "tok 1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(6)]
        assert lines[3] == "Point the client and `legithealth sync` at it (paste into a shell):\n"
        exports = "".join(lines[4:])
        assert exports.startswith("export LEGITHEALTH_BASE_URL=http://127.0.0.1:")
        assert exports.endswith("/integration/v1\nexport LEGITHEALTH_API_TOKEN='tok 1'\n")
        # Pasted into a shell, they set what the client reads.
        shell = subprocess.run(
            [
                "sh",
                "-c",
                exports + 'printf "%s\\n%s" "$LEGITHEALTH_BASE_URL" "$LEGITHEALTH_API_TOKEN"',
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        base_url, token = shell.stdout.split("\n")
        assert token == "tok 1"
        with httpx.Client(base_url=base_url, headers={"X-API-TOKEN": token}) as api:
            assert api.get("/practitioners/specialties").status_code == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) in (0, -15)
