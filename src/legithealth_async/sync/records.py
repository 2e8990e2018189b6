"""Patient records as the HRM exports them, and the JSONL / CSV readers that yield them.

A reader never drops a row: each row becomes either a :class:`PatientRecord` or a
:class:`BadRecord` (with its line number and a reason that names the field, never the value).

JSONL (full fidelity), one object a line::

    {"externalId": "a449666c710c", "firstName": "Ada", "lastName": "Lovelace",
     "email": "ada@example.org", "phone": "+34600111222", "birthDate": "1985-12-10",
     "gender": "female", "language": "es",
     "conditions": [{"pathologyCode": "EA90", "bodySiteCode": "armLeft"},
                    {"pathologyCode": "ED80", "bodySiteCode": "headFront", "isTracked": true,
                     "frequency": {"every": 2, "unit": "week"}}]}

CSV: a header row, then one patient a row. Columns (only ``externalId`` is required; an empty
cell means "not given"): ``externalId, firstName, lastName, email, phone, birthDate (YYYY-MM-DD),
gender, language, conditions``. ``conditions`` holds the conditions separated by ``;``, each
``PATHOLOGY@BODYSITE`` optionally followed by ``:tracked`` (with an optional ``:<n><d|w|m>``
frequency: every n days, weeks or months) or ``:untracked``::

    externalId,firstName,email,conditions
    a449666c710c,Ada,ada@example.org,EA90@armLeft;ED80@headFront:tracked:2w

A condition without ``isTracked`` (JSONL) or without ``:tracked`` (CSV) is an untracked one: the
HRM is the source of truth, so syncing it pauses a condition tracked on Legit.Health.

Both readers apply the same rules to the same data: every text value is stripped of surrounding
whitespace (so ``" P1"``, ``"P1\t"`` and ``"P1"`` are one external id; a value left empty is
"not given"); a value that still holds a control character (NUL included) or a lone surrogate
is refused with a reason; a frequency's ``every`` is 1 to 9999 in both. A JSONL line nested too
deeply to parse fails alone. A CSV quote left open (swallowing the line breaks and rows after
it) costs the one row it starts in, refused with the reason: the reader resynchronises at the
next line, which is read as a row (a quoted field may span at most 8 lines, closing into one
row of the header's width).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread

from .. import _constants as C
from .. import _validation as check
from ..errors import ValidationError
from ..models import ConditionInput, Frequency

__all__ = [
    "CSV_COLUMNS",
    "BadRecord",
    "PatientRecord",
    "RecordSource",
    "aiter_records",
    "condition_from_text",
    "condition_to_text",
    "iter_records",
    "parse_record",
    "usable_external_id",
]

#: The CSV columns, in the documented order (only ``externalId`` is required).
CSV_COLUMNS = (
    "externalId",
    "firstName",
    "lastName",
    "email",
    "phone",
    "birthDate",
    "gender",
    "language",
    "conditions",
)
_UNITS = {"d": "day", "w": "week", "m": "month"}
_UNIT_LETTERS = {v: k for k, v in _UNITS.items()}
_FREQ_RE = re.compile(r"^([0-9]+)([a-z])$")
#: Characters no field may hold: C0/C1 controls, DEL, and lone surrogates (not encodable).
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_CONDITION_FORMAT = "PATHOLOGY@BODYSITE[:tracked[:<n><d|w|m>]] or PATHOLOGY@BODYSITE:untracked"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: JSONL carries the same fields as the CSV columns.
_JSON_FIELDS = frozenset(CSV_COLUMNS)
_CONDITION_FIELDS = {"pathologyCode", "bodySiteCode", "isTracked", "frequency"}


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientRecord:
    """One patient as the HRM knows it: what Legit.Health should hold after the sync.

    ``None`` fields are "not given": never sent, never compared. ``conditions`` lists the
    conditions the patient must have (others on Legit.Health are left alone); an untracked
    condition has ``is_tracked=False``. ``line`` is where the record came from, when known.
    Personal fields (gender and language too, as in the generated models) are hidden from
    ``repr``.
    """

    external_id: str = field(repr=False)
    first_name: str | None = field(default=None, repr=False)
    last_name: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    birth_date: dt.date | None = field(default=None, repr=False)
    gender: str | None = field(default=None, repr=False)
    language: str | None = field(default=None, repr=False)
    conditions: tuple[ConditionInput, ...] = ()
    line: int | None = None
    #: Set on the record :meth:`validated` returns (never by ``__init__`` or ``replace``).
    _checked: bool = field(default=False, init=False, repr=False, compare=False)

    def validated(self) -> PatientRecord:
        """This record with every field checked and conditions normalised.

        Raises :class:`~legithealth_async.errors.ValidationError` (naming the field, not the
        value). Normalised: ``is_tracked`` is a bool, units are plain strings. A record this
        method returned is returned as it is (the readers validate; the sync does not again).
        """
        if self._checked:
            return self
        check.external_id(self.external_id, "externalId")
        if self.external_id != self.external_id.strip():
            raise ValidationError("externalId", "has surrounding whitespace")
        for where, value in (
            ("externalId", self.external_id),
            ("firstName", self.first_name),
            ("lastName", self.last_name),
            ("email", self.email),
            ("phone", self.phone),
        ):
            _check_text(value, where)
        check.name(self.first_name, "firstName")
        check.name(self.last_name, "lastName")
        check.email(self.email)
        check.phone(self.phone)
        check.birth_date(self.birth_date)
        check.gender(self.gender)
        check.language(self.language)
        conditions = tuple(
            ConditionInput(
                pathology_code=str(c.pathology_code),
                body_site_code=str(c.body_site_code),
                is_tracked=bool(c.is_tracked),
                frequency=(
                    None
                    if c.frequency is None
                    else Frequency(every=c.frequency.every, unit=_unit_str(c.frequency.unit))
                ),
            )
            for c in (check.conditions(list(self.conditions)) or [])
        )
        checked = PatientRecord(
            external_id=self.external_id,
            first_name=self.first_name,
            last_name=self.last_name,
            email=self.email,
            phone=self.phone,
            birth_date=self.birth_date,
            gender=self.gender,
            language=self.language,
            conditions=conditions,
            line=self.line,
        )
        object.__setattr__(checked, "_checked", True)  # frozen: set once, here
        return checked

    def canonical(self) -> dict[str, Any]:
        """The record as a JSON-ready dict in a canonical form (conditions sorted, no line)."""
        out: dict[str, Any] = {"externalId": self.external_id}
        for key, value in (
            ("firstName", self.first_name),
            ("lastName", self.last_name),
            ("email", self.email),
            ("phone", self.phone),
            ("birthDate", self.birth_date.isoformat() if self.birth_date else None),
            ("gender", None if self.gender is None else str(self.gender)),
            ("language", self.language),
        ):
            if value is not None:
                out[key] = value
        conditions = []
        for c in self.conditions:
            item: dict[str, Any] = {
                "pathologyCode": str(c.pathology_code),
                "bodySiteCode": str(c.body_site_code),
                "isTracked": bool(c.is_tracked),
            }
            if c.frequency is not None:
                item["frequency"] = {
                    "every": c.frequency.every,
                    "unit": _unit_str(c.frequency.unit),
                }
            conditions.append(item)
        conditions.sort(key=lambda i: (i["pathologyCode"], i["bodySiteCode"]))
        if conditions:
            out["conditions"] = conditions
        return out

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON: equal hashes mean nothing to send changed."""
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class BadRecord:
    """A row that could not be made into a record: reported as a failure, never dropped.

    ``external_id`` is set when the row had a readable one. ``error`` is the kind of problem
    (``ValidationError``, ``MalformedRow``, ``InvalidEncoding``, ``DuplicateRecord``) and
    ``message`` says which field and what is wrong, never the value.
    """

    line: int | None
    external_id: str | None = field(default=None, repr=False)
    error: str
    message: str


RecordSource = PatientRecord | BadRecord
"""What a reader yields for each row."""


def _check_text(value: object, where: str) -> None:
    """Refuse a lone surrogate (not encodable as UTF-8) or a control character (NUL included)."""
    if not isinstance(value, str):
        return
    if _SURROGATE_RE.search(value):
        raise ValidationError(where, "is not valid Unicode (a lone surrogate)")
    if _CONTROL_RE.search(value):
        raise ValidationError(where, "contains a control character")


def usable_external_id(value: object) -> str | None:
    """``value`` when it is an external id that can be reported and journaled, else None."""
    if not isinstance(value, str) or value != value.strip():
        return None
    try:
        check.external_id(value)
        _check_text(value, "externalId")
    except ValidationError:
        return None
    return value


def _unit_str(unit: object) -> str:
    value = getattr(unit, "value", unit)
    return str(value)


# ----------------------------------------------------------------------------- conditions


def condition_from_text(text: str, where: str = "conditions") -> ConditionInput:
    """``EA90@armLeft``, ``ED80@headFront:tracked:2w`` or ``EA90@armLeft:untracked``.

    Each way a condition can be wrong has its own message (naming the part, never the value).
    """
    parts = [p.strip() for p in text.strip().split(":")]
    pathology, sep, body_site = parts[0].partition("@")
    if not sep or not pathology or not body_site:
        raise ValidationError(where, f"a condition is {_CONDITION_FORMAT}")
    if len(parts) > 3:
        raise ValidationError(where, f"too many ':' parts: a condition is {_CONDITION_FORMAT}")
    tracked = False
    if len(parts) > 1:
        if parts[1] == "tracked":
            tracked = True
        elif parts[1] != "untracked":
            raise ValidationError(where, "the status after ':' is 'tracked' or 'untracked'")
    frequency = None
    if len(parts) > 2:
        if not tracked:
            raise ValidationError(f"{where}.frequency", "only a ':tracked' condition has one")
        match = _FREQ_RE.match(parts[2])
        if match is None or match.group(2) not in _UNITS:
            raise ValidationError(
                f"{where}.frequency", "is <n><d|w|m> (every n days, weeks or months), e.g. '2w'"
            )
        frequency = _frequency(int(match.group(1)), _UNITS[match.group(2)], where)
    return ConditionInput(
        pathology_code=pathology, body_site_code=body_site, is_tracked=tracked, frequency=frequency
    )


def _frequency(every: object, unit: object, where: str) -> Frequency:
    """A frequency with ``every`` within the bounds both readers share."""
    if isinstance(every, bool) or not isinstance(every, int) or not isinstance(unit, str):
        raise ValidationError(f"{where}.frequency", "every is an integer, unit a string")
    if not 1 <= every <= C.SYNC_MAX_FREQUENCY_EVERY:
        raise ValidationError(
            f"{where}.frequency.every", f"must be from 1 to {C.SYNC_MAX_FREQUENCY_EVERY}"
        )
    return Frequency(every=every, unit=unit.strip())


def condition_to_text(condition: ConditionInput) -> str:
    """The CSV form of a condition (the inverse of :func:`condition_from_text`)."""
    text = f"{condition.pathology_code}@{condition.body_site_code}"
    if condition.is_tracked:
        text += ":tracked"
        if condition.frequency is not None:
            unit = _UNIT_LETTERS.get(_unit_str(condition.frequency.unit), "?")
            text += f":{condition.frequency.every}{unit}"
    return text


def _conditions_from_cell(cell: str) -> tuple[ConditionInput, ...]:
    items = [item for item in cell.split(";") if item.strip()]
    return tuple(condition_from_text(item, f"conditions[{i}]") for i, item in enumerate(items))


def _condition_from_json(value: object, where: str) -> ConditionInput:
    if not isinstance(value, dict):
        raise ValidationError(where, "must be an object")
    unknown = set(value) - _CONDITION_FIELDS
    if unknown:
        raise ValidationError(f"{where}.{sorted(unknown)[0]}", "unknown field")
    pathology = _code(value, "pathologyCode", where)
    body_site = _code(value, "bodySiteCode", where)
    tracked = value.get("isTracked", False)
    if not isinstance(tracked, bool):
        raise ValidationError(f"{where}.isTracked", "must be true or false")
    frequency = None
    raw_freq = value.get("frequency")
    if raw_freq is not None:
        if not isinstance(raw_freq, dict) or set(raw_freq) != {"every", "unit"}:
            raise ValidationError(f"{where}.frequency", "must be {every, unit}")
        frequency = _frequency(raw_freq["every"], raw_freq["unit"], where)
    return ConditionInput(
        pathology_code=pathology, body_site_code=body_site, is_tracked=tracked, frequency=frequency
    )


def _code(value: dict[str, Any], key: str, where: str) -> str:
    code = value.get(key)
    if not isinstance(code, str) or not code.strip():
        raise ValidationError(f"{where}.{key}", "required (a string)")
    _check_text(code, f"{where}.{key}")
    return code.strip()


# --------------------------------------------------------------------------------- records


def _opt_str(data: dict[str, Any], key: str) -> str | None:
    """A text field, stripped of surrounding whitespace; empty means not given."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(key, "must be a string")
    return value.strip() or None


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    if not _DATE_RE.match(value):
        raise ValidationError("birthDate", "must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError("birthDate", "must be a date YYYY-MM-DD") from None


def parse_record(data: dict[str, Any], line: int | None = None) -> PatientRecord:
    """A validated :class:`PatientRecord` from a JSONL object (or a CSV row's cells).

    ``conditions`` is a list of JSON objects or, from CSV, one string in the column format.
    Raises :class:`~legithealth_async.errors.ValidationError`.
    """
    unknown = set(data) - _JSON_FIELDS
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    external_id = data.get("externalId")
    if external_id is None:
        raise ValidationError("externalId", "missing")
    if not isinstance(external_id, str):
        raise ValidationError("externalId", "must be a string")
    external_id = external_id.strip()
    if not external_id:
        raise ValidationError("externalId", "empty")
    raw_conditions = data.get("conditions")
    conditions: tuple[ConditionInput, ...]
    if raw_conditions is None:
        conditions = ()
    elif isinstance(raw_conditions, str):
        conditions = _conditions_from_cell(raw_conditions)
    elif isinstance(raw_conditions, list):
        conditions = tuple(
            _condition_from_json(c, f"conditions[{i}]") for i, c in enumerate(raw_conditions)
        )
    else:
        raise ValidationError("conditions", "must be a list")
    record = PatientRecord(
        external_id=external_id,
        first_name=_opt_str(data, "firstName"),
        last_name=_opt_str(data, "lastName"),
        email=_opt_str(data, "email"),
        phone=_opt_str(data, "phone"),
        birth_date=_date(_opt_str(data, "birthDate")),
        gender=_opt_str(data, "gender"),
        language=_opt_str(data, "language"),
        conditions=conditions,
        line=line,
    )
    return record.validated()


def _bad(line: int, error: str, message: str, external_id: object = None) -> BadRecord:
    ext = usable_external_id(external_id.strip() if isinstance(external_id, str) else None)
    return BadRecord(line=line, external_id=ext, error=error, message=message)


def _from_data(data: dict[str, Any], line: int) -> RecordSource:
    try:
        return parse_record(data, line)
    except ValidationError as exc:
        return _bad(line, "ValidationError", str(exc), data.get("externalId"))


def _nested_deeper_than(text: str, limit: int) -> bool:
    """Whether the JSON text nests arrays/objects more than ``limit`` deep (strings skipped)."""
    if text.count("[") + text.count("{") <= limit:
        return False  # the common case, without a character-by-character scan
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            escaped, in_string = (False, True) if escaped else (ch == "\\", ch != '"')
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _iter_jsonl(stream: io.BufferedReader) -> Iterator[RecordSource]:
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield _bad(number, "InvalidEncoding", "the line is not valid UTF-8")
            continue
        if not text.strip():
            continue  # blank lines (e.g. a trailing newline) are not rows
        if _nested_deeper_than(text, C.SYNC_MAX_JSON_DEPTH):
            # Checked, not left to RecursionError: that depends on the interpreter's limit.
            yield _bad(number, "MalformedRow", "the line is nested too deeply")
            continue
        try:
            # strict=False: a raw control character in a string is judged like CSV's, by field
            data = json.loads(text, strict=False)
        except ValueError:
            yield _bad(number, "MalformedRow", "the line is not valid JSON")
            continue
        except RecursionError:
            yield _bad(number, "MalformedRow", "the line is nested too deeply")
            continue
        if not isinstance(data, dict):
            yield _bad(number, "MalformedRow", "the line is not a JSON object")
            continue
        yield _from_data(data, number)


def _has_surrogates(values: list[str]) -> bool:
    return any("\udc80" <= ch <= "\udcff" for value in values for ch in value)


class _CsvLines:
    """The physical lines of a CSV text, read into rows one start line at a time.

    A row is the one line at its start, or (a quoted field holding line breaks) the fewest lines
    from it, at most ``SYNC_CSV_MAX_ROW_LINES``, that close every quote and make one row of the
    header's width. A start line that is neither (an unclosed quote swallowing the rows after
    it, or one that closes lines later into something that is not a row) is refused alone, and
    reading resumes at the line after it: one bad quote is one bad row.
    """

    def __init__(self, text: Iterator[str]) -> None:
        self._text = text
        self._ahead: list[str] = []
        self.next_line = 1  # the number of the next line to read

    def _peek(self, count: int) -> list[str]:
        while len(self._ahead) < count:
            line = next(self._text, None)
            if line is None:
                break
            self._ahead.append(line)
        return self._ahead[:count]

    def take(self, width: int | None) -> tuple[int, list[str] | None, str | None] | None:
        """The next row's first line, then its cells or the reason it is refused; None at the
        end. ``width`` is the header's (None: reading the header)."""
        first = self._peek(1)
        if not first:
            return None
        start = self.next_line
        cells = _one_row(first)
        if cells is not None:
            return self._taken(start, 1, cells, None)
        quotes = first[0].count('"')
        if quotes % 2 == 0:  # every quote closed, yet not a row: a quote out of place
            return self._taken(start, 1, None, "a quote is not closed where expected")
        for span in range(2, C.SYNC_CSV_MAX_ROW_LINES + 1):
            lines = self._peek(span)
            if len(lines) < span:
                break
            quotes += lines[-1].count('"')
            if quotes % 2 == 0:
                cells = _one_row(lines)
                if cells is not None and (width is None or len(cells) == width):
                    return self._taken(start, span, cells, None)
                break
        return self._taken(
            start, 1, None, "a quote opened on this line is not closed on it or on a row"
        )

    def _taken(
        self, start: int, span: int, cells: list[str] | None, why: str | None
    ) -> tuple[int, list[str] | None, str | None]:
        del self._ahead[:span]
        self.next_line += span
        return start, cells, why


def _one_row(lines: list[str]) -> list[str] | None:
    """The cells of ``lines`` when they make exactly one CSV row, else None."""
    try:
        rows = list(csv.reader(lines, strict=True))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


def _csv_header(lines: _CsvLines) -> list[str] | None:
    """The header row, checked (None for an empty file); ``ValueError`` for a bad one."""
    taken = lines.take(None)
    if taken is None:
        return None
    _, row, _ = taken
    if row is None:
        raise ValueError("the CSV header row is malformed")
    header = [h.strip() for h in row]
    if _has_surrogates(header):
        raise ValueError("the CSV header row is not valid UTF-8")
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown or "externalId" not in header or len(set(header)) != len(header):
        raise ValueError(
            "the CSV header must name distinct columns among "
            f"{', '.join(CSV_COLUMNS)} (externalId required)"
        )
    return header


def _csv_row(header: list[str], row: list[str], start: int) -> RecordSource | None:
    if not row or all(not cell.strip() for cell in row):
        return None  # blank lines are not rows
    if _has_surrogates(row):
        return _bad(start, "InvalidEncoding", "the row is not valid UTF-8")
    if len(row) != len(header):
        at = header.index("externalId")
        return _bad(
            start,
            "MalformedRow",
            f"expected {len(header)} columns, found {len(row)}",
            row[at] if len(row) > at else None,
        )
    cells = {h: cell.strip() for h, cell in zip(header, row, strict=True)}
    return _from_data({k: v for k, v in cells.items() if v != ""}, start)


def _iter_csv(stream: io.BufferedReader) -> Iterator[RecordSource]:
    """Each row, or the line it starts on refused with the reason (see :class:`_CsvLines`)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    lines = _CsvLines(iter(text))
    header = _csv_header(lines)
    if header is None:
        return
    while (taken := lines.take(len(header))) is not None:
        start, row, why = taken
        if row is None:
            yield _bad(start, "MalformedRow", f"the row is not valid CSV: {why}")
        elif (item := _csv_row(header, row, start)) is not None:
            yield item


def _format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in ("jsonl", "csv"):
            raise ValueError("format must be 'jsonl' or 'csv'")
        return fmt
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise ValueError("cannot tell the format from the file name: use .jsonl or .csv")


def iter_records(path: str | os.PathLike[str], fmt: str | None = None) -> Iterator[RecordSource]:
    """Read a ``.jsonl`` or ``.csv`` file lazily: a record or a :class:`BadRecord` per row.

    Blocking (file I/O): in async code use :func:`aiter_records`. Raises ``ValueError`` for a
    problem with the whole file (unknown format, bad CSV header).
    """
    p = Path(path)
    kind = _format(p, fmt)
    with p.open("rb") as stream:
        if kind == "jsonl":
            yield from _iter_jsonl(stream)
        else:
            yield from _iter_csv(stream)


async def aiter_records(
    path: str | os.PathLike[str], fmt: str | None = None, *, chunk: int = 500
) -> AsyncGenerator[RecordSource, None]:
    """:func:`iter_records` with the file read in a worker thread, ``chunk`` rows at a time."""
    async for item in in_worker_thread(iter_records(path, fmt), chunk):
        yield item


async def in_worker_thread(
    iterator: Iterator[RecordSource], chunk: int
) -> AsyncGenerator[RecordSource, None]:
    """``iterator``'s items, read ``chunk`` at a time in a worker thread (never blocking the
    event loop); the iterator is closed at the end, in the worker thread too, even on a
    cancellation (closing a reader may delete its files)."""

    def take() -> list[RecordSource]:
        out: list[RecordSource] = []
        for item in iterator:
            out.append(item)
            if len(out) >= chunk:
                break
        return out

    try:
        while batch := await anyio.to_thread.run_sync(take):
            for item in batch:
                yield item
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(close)
