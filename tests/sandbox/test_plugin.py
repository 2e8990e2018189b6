"""The pytest11 plugin costs nothing until used, and without the extra it says what to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# Run before anything else in a child process: make the sandbox extra's modules unimportable.
_WITHOUT_EXTRA = "import sys; sys.modules.update(dict.fromkeys(['starlette', 'uvicorn'])); "
_EXTRA_LINE = (
    "the Legit.Health sandbox needs the 'sandbox' extra (starlette is not installed): "
    "pip install 'legithealth-async[sandbox]'"
)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_importing_the_plugin_imports_neither_the_client_nor_the_sandbox() -> None:
    done = _python(
        "import sys, legithealth_async_pytest\n"
        "heavy = ('legithealth_async', 'legithealth_generated', 'httpx', 'starlette', 'anyio')\n"
        "print(sorted({m.partition('.')[0] for m in sys.modules} & set(heavy)))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_sandbox_cli_without_the_extra_says_what_to_install_in_one_line() -> None:
    done = _python(
        _WITHOUT_EXTRA + "from legithealth_async.cli import main; "
        "raise SystemExit(main(['sandbox', '--port', '0']))"
    )
    assert done.returncode == 2
    assert done.stderr == f"error: {_EXTRA_LINE}\n"
    assert done.stdout == ""


def test_sandbox_import_without_the_extra_raises_a_typed_error() -> None:
    done = _python(
        _WITHOUT_EXTRA + "from legithealth_async.sandbox import MissingExtraError\n"
        "try:\n"
        "    from legithealth_async.sandbox import Sandbox\n"
        "except MissingExtraError as exc:\n"
        "    assert isinstance(exc, ModuleNotFoundError) and exc.name == 'starlette'\n"
        "    print(exc)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{_EXTRA_LINE}\n"


def test_fixture_without_the_extra_fails_the_test_in_one_line(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(_WITHOUT_EXTRA.replace("; ", "\n"))
    pytester.makepyfile(
        textwrap.dedent(
            """
            def test_uses_the_sandbox(legithealth_sandbox):
                pass
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    lines = result.stdout.lines
    error = lines.index(next(line for line in lines if "ERROR at setup" in line))
    assert lines[error + 1] == _EXTRA_LINE  # the whole report of the error: that one line
    assert lines[error + 2].startswith("=====")
