"""Every python block of README.md runs as written, so the README cannot drift from the code.

A block runs as a program (``__name__ == "__main__"``), top to bottom in README order, against one
sandbox served on loopback, with ``LEGITHEALTH_BASE_URL`` and ``LEGITHEALTH_API_TOKEN`` set as the
quick start says. A block preceded by ``<!-- readme: pytest -->`` is a test file: it runs under
pytest in a fresh process, and every test in it must pass. ``<!-- readme: skip (why) -->`` marks a
block that is not meant to run; the README has none today, and any other marker fails.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from legithealth_async.sandbox import Sandbox, SandboxServer

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(
    r"^(?:<!-- readme: (?P<mark>[a-z]+)[^\n]*-->\n)?```(?P<lang>\w*)\n(?P<code>.*?)^```$",
    re.S | re.M,
)
KINDS = ("run", "pytest", "skip")


@dataclass(frozen=True)
class Block:
    line: int  # the line of README.md where the code starts
    kind: str
    code: str


def python_blocks(text: str) -> list[Block]:
    """The README's python blocks, each with its kind (``run`` unless marked)."""
    out = []
    for match in _BLOCK.finditer(text):
        if match["lang"] != "python":
            continue
        line = text.count("\n", 0, match.start("code")) + 1
        out.append(Block(line, match["mark"] or "run", match["code"]))
    return out


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def _ids(kind: str) -> list[Block]:
    return [b for b in BLOCKS if b.kind == kind]


def test_every_block_is_run_or_explicitly_skipped() -> None:
    counts = Counter(b.kind for b in BLOCKS)
    assert set(counts) <= set(KINDS), f"unknown readme markers: {set(counts) - set(KINDS)}"
    assert counts["skip"] == 0, "a skipped block: say why in its marker, then update this count"
    assert counts["run"] >= 4 and counts["pytest"] == 1
    assert sum(counts.values()) == len(re.findall(r"^```python$", README.read_text(), re.M))


def test_the_quick_start_names_the_sandbox_base_url() -> None:
    text = README.read_text(encoding="utf-8")
    [exported] = re.findall(r"^export LEGITHEALTH_BASE_URL=(\S+)", text, re.M)
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/integration/v1", exported)
    assert Sandbox().base_url.endswith("/integration/v1")
    assert "legithealth sandbox --port 8000" in text


@pytest.fixture(scope="module")
def served() -> Iterator[SandboxServer]:
    """One sandbox for the whole README, as a reader following it top to bottom would have."""
    with SandboxServer(Sandbox()) as server:
        yield server


@pytest.mark.parametrize("block", _ids("run"), ids=lambda b: f"README.md:{b.line}")
def test_block_runs_as_written(
    block: Block,
    served: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("LEGITHEALTH_BASE_URL", served.base_url)
    monkeypatch.setenv("LEGITHEALTH_API_TOKEN", served.token)
    monkeypatch.chdir(tmp_path)  # a block may write files (a journal)
    code = compile("\n" * (block.line - 1) + block.code, str(README), "exec")
    exec(code, {"__name__": "__main__"})


@pytest.mark.parametrize("block", _ids("pytest"), ids=lambda b: f"README.md:{b.line}")
def test_test_block_passes_under_pytest(block: Block, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_from_readme=block.code)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    names = re.findall(r"^(?:async )?def (test_\w+)", block.code, re.M)
    assert names
    outcomes = result.parseoutcomes()
    assert not {"failed", "errors", "error", "skipped", "xfailed"} & set(outcomes), outcomes
    for name in names:  # each test passed (once per anyio backend installed: asyncio, trio)
        result.stdout.fnmatch_lines([f"*::{name}*PASSED*"])
