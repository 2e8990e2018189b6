"""The reference speaks in public words: no docstring it renders sends a reader to a private
module (before: ``LegitHealth``'s said "see ``_transport.py``", later ``_transports/choice.py``),
and the client's docstring says the default timeouts it uses (before: ``timeout=None``, the
values written nowhere)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import griffe
import httpx
import pytest

from legithealth_async import LegitHealth
from legithealth_async import _constants as C

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "legithealth_async"
#: The generated client is private too, but ``call_generated`` takes its endpoint modules until
#: they have a public import path.
ALLOWED = {"_generated"}
PRIVATE = sorted(
    p.stem for p in PACKAGE.iterdir() if p.stem.startswith("_") and not p.stem.startswith("__")
)
_NAMED = re.compile(
    r"(?<![\w.])(?:legithealth_async\.)?(" + "|".join(map(re.escape, PRIVATE)) + r")(?:\.py|/)?"
    r"(?!\w)"
)


def _rendered(obj: griffe.Object | griffe.Alias) -> Iterator[tuple[str, str]]:
    """(path, docstring) of ``obj`` and of every public member the reference renders."""
    if obj.is_alias:
        return
    if obj.docstring is not None:
        yield obj.path, obj.docstring.value
    for name, member in obj.members.items():
        if not name.startswith("_") and not member.is_alias:
            yield from _rendered(member)


def _documented() -> Iterator[tuple[str, str]]:
    loader = griffe.GriffeLoader(search_paths=[str(ROOT / "src")])
    for package in ("legithealth_async", "legithealth_async_pytest"):
        loader.load(package)
    loader.resolve_aliases(implicit=False, external=False)
    for page in sorted((ROOT / "docs" / "reference").glob("*.md")):
        for path in re.findall(r"^::: ([\w.]+)", page.read_text(encoding="utf-8"), re.M):
            yield from _rendered(loader.modules_collection.get_member(path))


def test_no_rendered_docstring_names_a_private_module() -> None:
    assert "_transports" in PRIVATE and "_send" in PRIVATE  # the check looks for real names
    found = [
        (path, match[0])
        for path, text in _documented()
        for match in _NAMED.finditer(text)
        if match[1] not in ALLOWED
    ]
    assert found == []


def test_the_client_docstring_says_the_default_timeouts() -> None:
    timeout: httpx.Timeout = C.DEFAULT_TIMEOUT
    doc = LegitHealth.__doc__ or ""
    expected = (
        f"connect {timeout.connect:g} s, read {timeout.read:g} s, write {timeout.write:g} s, "
        f"pool {timeout.pool:g} s"
    )
    assert expected in " ".join(doc.split())


def _example(marker: str) -> str:
    """The fenced block after ``marker`` on the bulk sync page."""
    page = (ROOT / "docs" / "reference" / "sync.md").read_text(encoding="utf-8")
    block = page.split(marker, 1)[1].split("```", 2)[1]
    return block.split("\n", 1)[1]


def test_the_documented_jsonl_and_csv_examples_read_as_the_same_records(tmp_path: Path) -> None:
    from legithealth_async.sync import PatientRecord, iter_records

    jsonl, csv = tmp_path / "p.jsonl", tmp_path / "p.csv"
    jsonl.write_text(_example("<!-- jsonl-example -->"), encoding="utf-8")
    csv.write_text(_example("<!-- csv-example -->"), encoding="utf-8")
    from_jsonl, from_csv = list(iter_records(jsonl)), list(iter_records(csv))
    assert len(from_jsonl) == 2 and all(isinstance(r, PatientRecord) for r in from_jsonl)
    strip = [{**vars_of(r), "line": None} for r in from_jsonl]
    assert strip == [{**vars_of(r), "line": None} for r in from_csv]


def vars_of(record: object) -> dict[str, object]:
    import dataclasses

    assert dataclasses.is_dataclass(record)
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def test_every_python_sample_of_the_reference_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """Each ``python`` block of docs/reference/ runs unchanged, as a program."""
    blocks = [
        (page.name, block)
        for page in sorted((ROOT / "docs" / "reference").glob("*.md"))
        for block in re.findall(
            r"^```python\n(.*?)^```$", page.read_text(encoding="utf-8"), re.S | re.M
        )
    ]
    assert blocks  # the errors page has one
    for name, code in blocks:
        namespace = {"__name__": "__main__"}
        exec(compile(code, f"docs/reference/{name}", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("connected: ") and printed[1] == "connected already"
    assert printed[2] == "fix the record: email: is not a valid email address"
