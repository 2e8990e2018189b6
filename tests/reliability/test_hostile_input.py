"""Hostile sync input: one pathological row fails alone, every row is accounted for.

Each test here failed on the main of 2026-11-27 (issue 10, "Records must never vanish or take
others down with them").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from legithealth_async.cli import main
from legithealth_async.sandbox import Sandbox
from legithealth_async.sync import (
    BadRecord,
    Journal,
    Outcome,
    SyncOutcome,
    aiter_records,
    iter_records,
)
from tests.sync.conftest import client_for, run


def _line(external_id: str, **extra: Any) -> str:
    email = f"{external_id.strip()}@example.org"
    return json.dumps({"externalId": external_id, "email": email, **extra})


async def _sync(path: Path, journal: Journal | None = None) -> tuple[list[SyncOutcome], Sandbox]:
    sandbox = Sandbox(seed=5)
    async with client_for(sandbox) as lh:
        outcomes = await run(lh, aiter_records(path), journal=journal)
    return outcomes, sandbox


def _failures(outcomes: list[SyncOutcome]) -> dict[int | None, str]:
    return {o.line: f"{o.reason.error}: {o.reason.message}" for o in outcomes if o.reason}


@pytest.mark.parametrize("depth", [1_000, 100_000])
async def test_a_deeply_nested_jsonl_line_fails_alone(tmp_path: Path, depth: int) -> None:
    lines = [_line(f"n{i}") for i in range(50)]
    lines[24] = '{"externalId": "n24", "firstName": ' + "[" * depth + "]" * depth + "}"
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(lines) + "\n")
    outcomes, sandbox = await _sync(path)
    assert len(outcomes) == 50
    assert _failures(outcomes) == {25: "MalformedRow: the line is nested too deeply"}
    assert len(sandbox.patients()) == 49  # the lines before and after it synced


@pytest.mark.parametrize("with_journal", [True, False])
@pytest.mark.parametrize("field", ["externalId", "firstName", "lastName"])
async def test_a_lone_surrogate_fails_alone(tmp_path: Path, field: str, with_journal: bool) -> None:
    """Valid JSON, not encodable as UTF-8: refused before the journal lookup and the batch."""
    lines = [_line(f"s{i}") for i in range(30)]
    raw = json.loads(lines[9])
    raw[field] = "x\ud800"  # json.dumps writes it as the escape \\ud800: a valid JSON line
    lines[9] = json.dumps(raw)
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(lines) + "\n")
    journal = Journal(tmp_path / "j.sqlite") if with_journal else None
    try:
        outcomes, sandbox = await _sync(path, journal)
        assert _failures(outcomes) == {
            10: f"ValidationError: {field}: is not valid Unicode (a lone surrogate)"
        }
        assert len(sandbox.patients()) == 29
        if journal is not None:
            assert journal.counts()["created"] == 29
    finally:
        if journal is not None:
            journal.close()


def _csv_with_unmatched_quote(rows: int, bad_row: int) -> str:
    out = ["externalId,firstName,email"]
    for i in range(rows):
        name = '"Unterminated' if i == bad_row else f"Name{i}"
        out.append(f"q{i},{name},q{i}@example.org")
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("closing_quote_later", [False, True])
def test_an_unmatched_csv_quote_costs_only_its_own_row(
    tmp_path: Path, closing_quote_later: bool
) -> None:
    """Issue 24: the runaway field took every good row after it (~3,900 of 5,051) with it."""
    text = _csv_with_unmatched_quote(5051, 1000)
    if closing_quote_later:
        # A quoted cell further down would close the runaway field: still one bad row.
        lines = text.splitlines()
        lines[3000] = 'q2999,"Quoted",q2999@example.org'
        lines[1003] = 'q1002,"Quo""ted",q1002@example.org'  # two quotes: even, in one row
        text = "\n".join(lines) + "\n"
    path = tmp_path / "p.csv"
    path.write_text(text)
    items = list(iter_records(path))
    physical = len(text.splitlines()) - 1  # minus the header
    assert len(items) == physical == 5051
    assert [i.line for i in items] == list(range(2, 5053))  # every line, in order
    [bad] = [i for i in items if isinstance(i, BadRecord)]
    assert bad.line == 1002 and bad.error == "MalformedRow"
    assert bad.message == (
        "the row is not valid CSV: a quote opened on this line is not closed on it or on a row"
    )
    assert [i.external_id for i in items if i.line != 1002] == [
        f"q{n}" for n in range(5051) if n != 1000
    ]


def test_a_quote_closing_lines_later_into_no_row_costs_only_its_line(tmp_path: Path) -> None:
    """A runaway field that a later quote closes (within the span a multi-line field may
    have) into something that is not one row of the header's width is its start line only;
    a real multi-line field is still one row."""
    path = tmp_path / "p.csv"
    path.write_text(
        "externalId,firstName,email\n"
        'a1,"Ada,a1@example.org\n'  # 2: opened, never closed on a row
        "a2,Bob,a2@example.org\n"
        'a3,"Cy",a3@example.org\n'
        'a4,"Dee\nDee",a4@example.org\n'  # 5-6: one row (its name then refused, as JSONL)
        "a5,Eve,a5@example.org\n"
    )
    items = list(iter_records(path))
    assert [(i.line, getattr(i, "error", "ok"), i.external_id) for i in items] == [
        (2, "MalformedRow", None),
        (3, "ok", "a2"),
        (4, "ok", "a3"),
        (5, "ValidationError", "a4"),
        (7, "ok", "a5"),
    ]


def test_the_cli_never_ends_success_with_rows_unaccounted_for(tmp_path: Path, capsys) -> None:
    path = tmp_path / "p.csv"
    path.write_text(_csv_with_unmatched_quote(300, 100))
    report = tmp_path / "report.jsonl"
    code = main(["sync", str(path), "--sandbox", "--report", str(report), "--progress", "none"])
    out = capsys.readouterr().out
    assert code == 1
    assert "300 rows read, 300 outcomes" in out
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert [r["line"] for r in rows] == [102]  # the one bad row; the 299 others synced


# -------------------------------------------------------------- the two readers agree


def _both(tmp_path: Path, ids: list[str], cells: list[str]) -> tuple[list[Any], list[Any]]:
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text("\n".join(_line(i) for i in ids) + "\n")
    csv_path = tmp_path / "p.csv"
    csv_path.write_text("externalId,email\n" + "".join(f"{c},x@example.org\n" for c in cells))
    return list(iter_records(jsonl)), list(iter_records(csv_path))


def _shape(items: list[Any]) -> list[tuple[str, str | None]]:
    return [
        (i.error, i.message) if isinstance(i, BadRecord) else ("ok", i.external_id) for i in items
    ]


def test_readers_strip_surrounding_whitespace_alike(tmp_path: Path) -> None:
    from_jsonl, from_csv = _both(
        tmp_path, [" P1", "P1\t", "P1\n", "P1"], [" P1", '"P1\t"', '"P1\n"', "P1"]
    )
    assert _shape(from_jsonl) == _shape(from_csv) == [("ok", "P1")] * 4


async def test_whitespace_variants_make_one_patient(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(_line(i) for i in [" P1", "P1\t", "P1\n", "P1"]) + "\n")
    outcomes, sandbox = await _sync(path)
    assert set(sandbox.patients()) == {"P1"}
    assert [o.outcome for o in outcomes] == [Outcome.CREATED] + [Outcome.FAILED] * 3
    assert {o.reason.error for o in outcomes if o.reason} == {"DuplicateRecord"}


def test_readers_refuse_control_characters_and_nul_alike(tmp_path: Path) -> None:
    # JSONL: as an escape and as a raw byte; CSV: as a raw byte (quoted or not).
    ids = ["a\x00b", "a\x1bb", "a\x7fb"]
    from_jsonl, from_csv = _both(tmp_path, ids, ids)
    raw = tmp_path / "raw.jsonl"
    raw.write_bytes(b'{"externalId": "a\x00b"}\n')
    expected = [("ValidationError", "externalId: contains a control character")] * 3
    assert _shape(from_jsonl) == _shape(from_csv) == expected
    assert _shape(list(iter_records(raw))) == expected[:1]


@pytest.mark.parametrize(
    ("every", "cell"),
    [(10_000, "10000w"), (10**400, "1" + "0" * 400 + "w")],
    ids=["10000", "400-digits"],
)
def test_readers_share_frequency_bounds(tmp_path: Path, every: int, cell: str) -> None:
    condition = {
        "pathologyCode": "ED80",
        "bodySiteCode": "headFront",
        "isTracked": True,
        "frequency": {"every": every, "unit": "week"},
    }
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text(json.dumps({"externalId": "f1", "conditions": [condition]}) + "\n")
    csv_path = tmp_path / "p.csv"
    csv_path.write_text(f"externalId,conditions\nf1,ED80@headFront:tracked:{cell}\n")
    expected = [("ValidationError", "conditions[0].frequency.every: must be from 1 to 9999")]
    assert _shape(list(iter_records(jsonl))) == _shape(list(iter_records(csv_path))) == expected
