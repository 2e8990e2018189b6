"""Readers: every row becomes a record or a reported failure with its line number."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from legithealth_async.sandbox import Sandbox
from legithealth_async.sync import (
    BadRecord,
    Outcome,
    PatientRecord,
    aiter_records,
    condition_from_text,
    condition_to_text,
    iter_records,
)

from .conftest import run

JSONL_CORPUS = b"\n".join(
    [
        # 1: good, full fidelity
        b'{"externalId": "j1", "firstName": "Ada", "lastName": "Lovelace", '
        b'"email": "ada@example.org", "phone": "+34600111222", "birthDate": "1985-12-10", '
        b'"gender": "female", "language": "es", "conditions": [{"pathologyCode": "EA90", '
        b'"bodySiteCode": "armLeft"}, {"pathologyCode": "ED80", "bodySiteCode": "headFront", '
        b'"isTracked": true, "frequency": {"every": 2, "unit": "week"}}]}',
        b'{"externalId": "j2", "email": "j2@example.org"',  # 2: malformed JSON
        b'{"firstName": "NoId", "email": "x@example.org"}',  # 3: missing externalId
        b'{"externalId": "j4", "email": "not-an-email"}',  # 4: bad email
        b'{"externalId": "j5", "phone": "555123"}',  # 5: bad phone
        b'{"externalId": "j6", "email": "j6@example.org", "conditions": '
        b'[{"pathologyCode": "XX9", "bodySiteCode": "armLeft"}]}',  # 6: not an ICD-11 code
        b'{"externalId": "j7", "email": "j7@example.org", "conditions": '
        b'[{"pathologyCode": "EA90", "bodySiteCode": "elbow"}]}',  # 7: the server refuses it
        b'{"externalId": "j8", "firstName": "Jos\xe9", "email": "j8@example.org"}',  # 8: bad UTF-8
        b"",  # 9: blank, not a row
        b'{"externalId": "j1", "email": "again@example.org"}',  # 10: duplicate of line 1
        b'["j11"]',  # 11: not an object
        b'{"externalId": "j12", "email": "j12@example.org", "birthDate": "12/10/1985"}',  # 12
        b'{"externalId": "j13", "email": "j13@example.org", "conditions": [{"pathologyCode":'
        b' "EA90", "bodySiteCode": "armLeft", "isTracked": false, "frequency": '
        b'{"every": 1, "unit": "week"}}]}',  # 13: frequency on an untracked condition
        b'{"externalId": "j14", "phone": "+34600111333", "conditions": []}',  # 14: good
    ]
)

#: line -> (error, a word of the message)
JSONL_EXPECTED = {
    2: ("MalformedRow", "JSON"),
    3: ("ValidationError", "externalId"),
    4: ("ValidationError", "email"),
    5: ("ValidationError", "phone"),
    6: ("ValidationError", "pathology_code"),
    7: ("UnprocessableEntityError", "422"),  # sent: the server decides
    8: ("InvalidEncoding", "UTF-8"),
    10: ("DuplicateRecord", "line 1"),
    11: ("MalformedRow", "object"),
    12: ("ValidationError", "birthDate"),
    13: ("ValidationError", "frequency"),
}

CSV_CORPUS = "\n".join(
    [
        "externalId,firstName,lastName,email,phone,birthDate,gender,language,conditions",
        "c1,Ada,Lovelace,ada@example.org,+34600111222,1985-12-10,female,es,"
        "EA90@armLeft;ED80@headFront:tracked:2w",  # 2: good
        'c2,"Grace ""Amazing"" Hopper",,grace@example.org,,,,,',  # 3: good, quoted
        ",NoId,,x@example.org,,,,,",  # 4: missing externalId
        "c5,Bad,,not-an-email,,,,,",  # 5: bad email
        "c6,Bad,,c6@example.org,,,,,XX9@armLeft",  # 6: not an ICD-11 code
        "c7,Bad,,c7@example.org,,,,,EA90@elbow",  # 7: the server refuses it
        "c8,Too,Few,c8@example.org",  # 8: wrong number of columns
        "c1,Dup,,dup@example.org,,,,,",  # 9: duplicate of line 2
        "c10,Bad,,c10@example.org,,,,,EA90@armLeft:tracked:2x",  # 10: bad frequency
        'c11,"unterminated,,c11@example.org,,,,,',  # 11: malformed quoting (to the end)
    ]
).encode("utf-8")
CSV_INVALID_UTF8 = (
    b"externalId,firstName,email\n"
    b"u1,Ada,u1@example.org\n"
    b"u2,Jos\xe9,u2@example.org\n"
    b"u3,Bad,+34\n"
    b"\n"
    b'u5,"Multi\nline",u5@example.org\n'
    b"u6,Ok,u6@example.org\n"
)

CSV_EXPECTED = {
    4: ("ValidationError", "externalId"),
    5: ("ValidationError", "email"),
    6: ("ValidationError", "pathology_code"),
    7: ("UnprocessableEntityError", "422"),  # sent: the server decides
    8: ("MalformedRow", "columns"),
    9: ("DuplicateRecord", "line 2"),
    10: ("ValidationError", "frequency"),
    11: ("MalformedRow", "CSV"),
}


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


async def _failures(path: Path) -> tuple[dict[int, tuple[str, str]], list, Sandbox]:
    from .conftest import client_for

    sandbox = Sandbox(seed=1)
    async with client_for(sandbox) as lh:
        outcomes = await run(lh, aiter_records(path))
    failures = {
        o.line: (o.reason.error, o.reason.message) for o in outcomes if o.reason is not None
    }
    return failures, outcomes, sandbox


def _check(failures: dict[int, tuple[str, str]], expected: dict[int, tuple[str, str]]) -> None:
    assert set(failures) == set(expected), failures
    for line, (error, word) in expected.items():
        got_error, message = failures[line]
        assert got_error == error, (line, failures[line])
        assert word in message, (line, failures[line])


async def test_jsonl_bad_rows_are_reported_with_line_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, "patients.jsonl", JSONL_CORPUS)
    failures, outcomes, sandbox = await _failures(path)
    _check(failures, JSONL_EXPECTED)
    assert len(outcomes) == 13  # every row but the blank line
    assert set(sandbox.patients()) == {"j1", "j14"}
    # Messages name fields, never values.
    for _, message in failures.values():
        assert "not-an-email" not in message and "555123" not in message


async def test_csv_bad_rows_are_reported_with_line_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, "patients.csv", CSV_CORPUS)
    failures, outcomes, sandbox = await _failures(path)
    _check(failures, CSV_EXPECTED)
    assert len(outcomes) == 10
    assert set(sandbox.patients()) == {"c1", "c2"}
    assert sandbox.patient("c2")["firstName"] == 'Grace "Amazing" Hopper'
    conditions = {
        (c["pathologyCode"], c["bodySiteCode"]): c for c in sandbox.patient("c1")["conditions"]
    }
    assert conditions[("ED80", "headFront")]["frequency"] == {"every": 2, "unit": "week"}


async def test_csv_invalid_utf8_and_multiline_rows(tmp_path: Path) -> None:
    path = _write(tmp_path, "patients.csv", CSV_INVALID_UTF8)
    items = list(iter_records(path))
    summary = [
        (i.line, i.error if isinstance(i, BadRecord) else "ok", i.external_id) for i in items
    ]
    assert summary == [
        (2, "ok", "u1"),
        (3, "InvalidEncoding", None),
        (4, "ValidationError", "u3"),
        # a quoted field may span lines (the row starts on line 6), but a name holding a
        # newline is refused like any control character, as it is from JSONL
        (6, "ValidationError", "u5"),
        (8, "ok", "u6"),
    ]


def test_jsonl_full_fidelity(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.jsonl", JSONL_CORPUS.split(b"\n")[0] + b"\n")
    [record] = list(iter_records(path))
    assert isinstance(record, PatientRecord)
    assert record.line == 1
    assert record.birth_date == dt.date(1985, 12, 10)
    assert record.gender == "female" and record.language == "es"
    assert [condition_to_text(c) for c in record.conditions] == [
        "EA90@armLeft",
        "ED80@headFront:tracked:2w",
    ]
    assert "Ada" not in repr(record) and "example.org" not in repr(record)
    assert "female" not in repr(record) and "'es'" not in repr(record)
    assert "EA90" in repr(record)  # codes are shown


def test_same_content_same_hash_in_either_format(tmp_path: Path) -> None:
    jsonl = _write(tmp_path, "p.jsonl", JSONL_CORPUS.split(b"\n")[0] + b"\n")
    csv = _write(tmp_path, "p.csv", CSV_CORPUS.split(b"\n")[0] + b"\n" + CSV_CORPUS.split(b"\n")[1])
    [a] = list(iter_records(jsonl))
    [b] = list(iter_records(csv))
    assert isinstance(a, PatientRecord) and isinstance(b, PatientRecord)
    b_as_a = dataclasses.replace(b, external_id="j1")
    assert a.content_hash() == b_as_a.content_hash()


@pytest.mark.parametrize(
    "text",
    [
        "EA90@armLeft",
        "ED80@headFront:tracked",
        "ED80@headFront:tracked:2w",
        "2C30@scalp:tracked:10d",
    ],
)
def test_condition_text_round_trip(text: str) -> None:
    assert condition_to_text(condition_from_text(text)) == text


@pytest.mark.parametrize("text", ["EA90", "@armLeft", "EA90@armLeft:maybe", "EA90@armLeft:2w"])
def test_condition_text_errors(text: str) -> None:
    from legithealth_async import ValidationError

    with pytest.raises(ValidationError):
        condition_from_text(text)


@pytest.mark.parametrize(
    "header", [b"firstName,email\n", b"externalId,shoeSize\n", b"externalId,externalId\n"]
)
def test_bad_csv_header_is_a_file_error(tmp_path: Path, header: bytes) -> None:
    path = _write(tmp_path, "p.csv", header + b"x,y\n")
    with pytest.raises(ValueError, match="header"):
        list(iter_records(path))


def test_unknown_extension_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format"):
        list(iter_records(_write(tmp_path, "p.txt", b"")))


async def test_outcomes_failures_all_have_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "patients.jsonl", JSONL_CORPUS)
    _, outcomes, _ = await _failures(path)
    assert all(o.line is not None for o in outcomes)
    assert [o.outcome for o in outcomes].count(Outcome.CREATED) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("EA90", "conditions: a condition is PATHOLOGY@BODYSITE"),
        ("EA90@armLeft:maybe", "conditions: the status after ':' is 'tracked' or 'untracked'"),
        ("EA90@armLeft:2w", "conditions: the status after ':' is 'tracked' or 'untracked'"),
        ("EA90@armLeft:untracked:2w", "conditions.frequency: only a ':tracked' condition has one"),
        ("EA90@armLeft:tracked:2x", "conditions.frequency: is <n><d|w|m>"),
        ("EA90@armLeft:tracked:w", "conditions.frequency: is <n><d|w|m>"),
        ("EA90@armLeft:tracked:0w", "conditions.frequency.every: must be from 1 to 9999"),
        ("EA90@armLeft:tracked:2w:x", "conditions: too many ':' parts"),
    ],
)
def test_each_condition_error_has_its_own_message(text: str, message: str) -> None:
    """Issue 14: ``:tracked:0w`` is not reported as "a frequency follows ':tracked' only"."""
    from legithealth_async import ValidationError

    with pytest.raises(ValidationError) as caught:
        condition_from_text(text)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"externalId": ""}', "externalId: empty"),
        (b'{"externalId": "   "}', "externalId: empty"),
        (b'{"email": "x@example.org"}', "externalId: missing"),
        (b'{"externalId": 7}', "externalId: must be a string"),
    ],
)
def test_jsonl_external_id_empty_is_not_missing(tmp_path: Path, line: bytes, message: str) -> None:
    [item] = list(iter_records(_write(tmp_path, "p.jsonl", line + b"\n")))
    assert isinstance(item, BadRecord) and item.message == message


@pytest.mark.parametrize(
    ("line", "refused"),
    [
        # Brackets inside strings are text, not nesting (escaped quotes included).
        (b'{"externalId": "P1", "email": "a@b.org", "firstName": "' + b"[{" * 40 + b'"}', False),
        (b'{"externalId": "P1", "email": "a@b.org", "lastName": "\\"' + b"[" * 80 + b'"}', False),
        # Nesting past the bound (the object itself is level 1) is refused, whatever the
        # interpreter's recursion limit.
        (b'{"externalId": "P1", "x": ' + b"[" * 32 + b"]" * 32 + b"}", True),
        (b'{"externalId": "P1", "x": ' + b"[" * 31 + b"]" * 31 + b"}", False),
    ],
)
def test_jsonl_nesting_bound_counts_structure_not_text(
    tmp_path: Path, line: bytes, refused: bool
) -> None:
    [item] = list(iter_records(_write(tmp_path, "p.jsonl", line + b"\n")))
    too_deep = isinstance(item, BadRecord) and item.message == "the line is nested too deeply"
    assert too_deep is refused
