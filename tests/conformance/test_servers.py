"""The conformance run's own rules: a missing server is loud in CI, a clear skip elsewhere."""

from __future__ import annotations

import pytest

from .servers import require


def test_a_missing_server_is_a_skip_outside_ci_and_a_failure_in_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-server is not installed"):
        require("no-such-server")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="`make conformance` installs it"):
        require("no-such-server")
    assert require("sh").endswith("/sh")
