"""Read a FHIR R4 export: Bulk Data NDJSON files, Bundles, or a folder of either.

Two passes over the files, each streaming: the first stores every Condition's decision in an
on-disk index (:class:`~legithealth_async.fhir.index.ConditionIndex`); the second yields one
record (or :class:`~legithealth_async.sync.BadRecord`) per Patient, with its conditions from the
index. NDJSON lines that name neither ``"Condition"`` nor ``"Patient"`` (other resource types)
are not parsed. A Bundle file (``.json``) is parsed whole: one file, one Bundle, held in memory
while it is read (a per-patient Bundle, or a page of a search).

A record's ``line`` is the patient's ordinal in the export (1, 2, ...: Patients in file order),
not a file line: messages name the resource (``Patient/<id>``), never a file (Synthea names its
Bundle files after the patient).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter, OrderedDict
from collections.abc import AsyncGenerator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import _constants as C
from ..errors import ValidationError
from ..models import ConditionInput
from ..sync.outcomes import ConditionCounts, SyncOutcome
from ..sync.records import (
    BadRecord,
    PatientRecord,
    RecordSource,
    in_worker_thread,
    usable_external_id,
)
from .index import ConditionIndex, IndexedCondition, reference_key
from .mapping import (
    FhirOptions,
    Kind,
    classify_condition,
    inactive_reason,
    patient_fields,
)
from .tables import SYSTEMS, CodeTables

__all__ = ["FhirExport", "FhirStats", "aiter_fhir_records", "fhir_files"]

_NDJSON = (".ndjson", ".jsonl")
_NO_CONTACT_HINT = (
    " (Patient.telecom: no email, and no phone in E.164; a national number needs its country"
    " calling code: --fhir-phone-country)"
)
_JSON = (".json",)
#: The quick look at an NDJSON Condition line (see FhirExport._quick_subject).
_CONDITION_START = re.compile(rb'^\s*\{\s*"resourceType"\s*:\s*"Condition"')
_ICD11_SYSTEM = re.compile(b"|".join(re.escape(uri.encode()) for uri in SYSTEMS["icd11"]))
_SUBJECT_REFERENCE = re.compile(rb'"subject"\s*:\s*\{[^{}]*?"reference"\s*:\s*"([^"\\]*)"')


@dataclass(slots=True)
class FhirStats:
    """What a read of an export found: every Patient and every Condition counted once.

    ``conditions`` = ``sent + not_selected + left_out + orphaned``. ``sent`` counts the
    conditions put in records (their patient may still fail); ``orphaned`` those whose subject
    is no Patient of the export; ``left_out_reasons`` counts the reasons' kinds;
    ``unmapped_body_sites`` the codings no table placed (codes only, never a patient's).
    """

    files: int = 0
    patients: int = 0
    patients_failed: int = 0
    conditions: int = 0
    sent: int = 0
    not_selected: int = 0
    left_out: int = 0
    orphaned: int = 0
    orphaned_selected: int = 0
    malformed_lines: int = 0
    left_out_reasons: Counter[str] = field(default_factory=Counter)
    unmapped_body_sites: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        """The summary, a line each."""
        out = [
            f"FHIR: {self.files} files, {self.patients} patients "
            f"({self.patients_failed} refused by the reader), {self.conditions} conditions: "
            f"{self.sent} sent, {self.not_selected} not selected, {self.left_out} left out, "
            f"{self.orphaned} without a patient in the export"
        ]
        out += [f"  left out: {why}: {n}" for why, n in self.left_out_reasons.most_common()]
        if self.orphaned_selected:
            out.append(f"  selected conditions without a patient: {self.orphaned_selected}")
        out += [
            f"  body site not in the table: {coding}: {n}"
            for coding, n in self.unmapped_body_sites.most_common(10)
        ]
        if self.malformed_lines:
            out.append(f"  NDJSON lines that are not JSON: {self.malformed_lines}")
        return out


def fhir_files(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The files of an export: the ``.ndjson``/``.jsonl``/``.json`` files of each folder
    (sorted, hidden ones skipped) and each file named. ``ValueError`` for a missing path."""
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out += sorted(
                f
                for f in p.iterdir()
                if f.is_file()
                and not f.name.startswith(".")
                and f.suffix.lower() in _NDJSON + _JSON
            )
        elif p.is_file():
            out.append(p)
        else:
            raise ValueError(f"no such file or folder: {p}")
    if not out:
        raise ValueError("no .ndjson, .jsonl or .json file in the export")
    return out


def _resource_where(resource: dict[str, Any]) -> str:
    rid = resource.get("id")
    return f"Patient/{rid}" if isinstance(rid, str) and rid else "Patient (no id)"


class _FullValidator:
    """``fhir.resources`` (R4B models) validating whole resources: the ``fhir`` extra."""

    def __init__(self) -> None:
        try:
            from fhir.resources.R4B.condition import Condition
            from fhir.resources.R4B.patient import Patient
        except ImportError:
            raise ValueError(
                "full FHIR validation needs: pip install 'legithealth-async[fhir]'"
            ) from None
        self._models: dict[str, Any] = {"Patient": Patient, "Condition": Condition}

    def problem(self, resource: dict[str, Any]) -> str | None:
        """The first invalid element's path (never its value), or None."""
        model = self._models[resource["resourceType"]]
        try:
            model.model_validate(resource)
        except ValueError as exc:
            errors = getattr(exc, "errors", None)
            loc = errors()[0].get("loc", ()) if callable(errors) else ()
            path = ".".join(str(p) for p in loc) or "(resource)"
            return f"{path}: not valid FHIR R4B"
        return None


class FhirExport:
    """A FHIR R4 export read as patient records, with their conditions joined.

    ``paths``: a folder (a Bulk Data export, or Bundle files), or files (``.ndjson``/``.jsonl``
    NDJSON; ``.json`` a Bundle or one resource). :meth:`records` (async) or :meth:`iter_records`
    yield one record or bad record per Patient; :attr:`stats` counts what was read, complete
    once the iteration ends; :meth:`annotate` adds a patient's condition counts to its outcome.
    Raises ``ValueError`` for bad options, a missing path or a bad mapping file.
    """

    def __init__(
        self,
        paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        options: FhirOptions | None = None,
    ) -> None:
        self.options = options or FhirOptions()
        self._selection, self._tables = self.options.checked()
        self._validator = _FullValidator() if self.options.validate == "full" else None
        self.files = fhir_files(paths)
        self.stats = FhirStats(files=len(self.files))
        self._pending: OrderedDict[int, tuple[str, ConditionCounts]] = OrderedDict()
        self._selectable = _selectable(self._tables)
        self._quick_index: ConditionIndex | None = None  # set during the first pass

    # ------------------------------------------------------------------------- resources

    def _resources(self, want: bytes) -> Iterator[tuple[dict[str, Any], str | None]]:
        """Resources of the files whose text names ``want``: ``(resource, fullUrl)``."""
        for number, path in enumerate(self.files, start=1):
            if path.suffix.lower() in _NDJSON:
                yield from self._ndjson(path, want)
            else:
                yield from self._bundle(path, number)

    def _quick_subject(self, raw: bytes) -> str | None:
        """The subject key of a Condition line that cannot be selected, without parsing it.

        Most of an export's Conditions are not dermatology: a line that begins as a Condition,
        has no ICD-11 system, no code of the condition tables, no escape (``\\``) and a plain
        ``subject.reference`` is not selected whatever else it holds. Anything else: None (the
        line is parsed). Not selected means counted only, so nothing else is read of it.
        """
        if not _CONDITION_START.match(raw) or b"\\" in raw:
            return None
        if _ICD11_SYSTEM.search(raw) or self._selectable.search(raw):
            return None
        subject = _SUBJECT_REFERENCE.search(raw)
        if subject is None:
            return None
        try:
            return reference_key(subject.group(1).decode("utf-8"))
        except UnicodeDecodeError:
            return None

    def _ndjson(self, path: Path, want: bytes) -> Iterator[tuple[dict[str, Any], str | None]]:
        quick = self._quick_index if want == b'"Condition"' else None
        with path.open("rb") as stream:
            for raw in stream:
                if want not in raw:
                    continue
                if quick is not None and (subject := self._quick_subject(raw)) is not None:
                    self.stats.conditions += 1  # not selected: counted, nothing else read
                    quick.add_not_selected(subject)
                    continue
                try:
                    data = json.loads(raw)
                except ValueError:
                    if want == b'"Condition"':
                        self.stats.malformed_lines += 1
                    else:
                        yield {"resourceType": "(malformed)"}, None
                    continue
                if isinstance(data, dict):
                    yield data, None

    def _bundle(self, path: Path, number: int) -> Iterator[tuple[dict[str, Any], str | None]]:
        # Named by position, not name: Synthea names its Bundle files after the patient.
        which = f"file {number} of {len(self.files)} (sorted by name)"
        try:
            data = json.loads(path.read_bytes())
        except ValueError:
            raise ValueError(f"{which}: not a JSON file") from None
        if not isinstance(data, dict):
            raise ValueError(f"{which}: not a FHIR resource")
        if data.get("resourceType") != "Bundle":
            if "resourceType" in data:
                yield data, None
            elif "output" not in data:  # a Bulk Data manifest is skipped; anything else is not
                raise ValueError(f"{which}: not a FHIR resource or a Bulk Data manifest")
            return
        entries = data.get("entry")
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                full_url = entry.get("fullUrl")
                yield entry["resource"], full_url if isinstance(full_url, str) else None

    # ---------------------------------------------------------------------------- passes

    def _index(self, index: ConditionIndex) -> None:
        self._quick_index = index
        for resource, _ in self._resources(b'"Condition"'):
            if resource.get("resourceType") != "Condition":
                continue
            self.stats.conditions += 1
            decision = classify_condition(resource, self._selection, self._tables)
            if self._validator is not None and decision.kind is Kind.SENT:
                problem = self._validator.problem(resource)
                if problem is not None:
                    decision = replace(decision, kind=Kind.LEFT_OUT, reason=problem, sites=())
            for coding in decision.unmapped:
                self.stats.unmapped_body_sites[coding] += 1
            subject = resource.get("subject")
            reference = subject.get("reference") if isinstance(subject, dict) else None
            key = reference_key(reference) if isinstance(reference, str) else None
            rid = resource.get("id")
            where = f"Condition/{rid}" if isinstance(rid, str) and rid else "Condition (no id)"
            index.add(key or "", where, decision)
        index.seal()
        self._quick_index = None

    def iter_records(self) -> Iterator[RecordSource]:
        """Blocking: index the Conditions, then yield a record per Patient (file order).

        Each read starts :attr:`stats` afresh.
        """
        self.stats = FhirStats(files=len(self.files))
        self._pending.clear()
        index = ConditionIndex()
        try:
            self._index(index)
            ordinal = 0
            for resource, full_url in self._resources(b'"Patient"'):
                kind = resource.get("resourceType")
                if kind not in ("Patient", "(malformed)"):
                    continue
                ordinal += 1
                self.stats.patients += 1
                item = self._record(resource, full_url, ordinal, index)
                if isinstance(item, BadRecord):
                    self.stats.patients_failed += 1
                yield item
            _, selected, total = index.orphans()
            self.stats.orphaned = total
            self.stats.orphaned_selected = selected
        finally:
            index.close()

    def _keys(self, resource: dict[str, Any], full_url: str | None) -> list[str]:
        keys = []
        rid = resource.get("id")
        if isinstance(rid, str) and rid:
            keys.append(f"Patient/{rid}")
        if full_url:
            keys.append(reference_key(full_url))
        return keys

    def _record(
        self,
        resource: dict[str, Any],
        full_url: str | None,
        ordinal: int,
        index: ConditionIndex,
    ) -> RecordSource:
        if resource.get("resourceType") == "(malformed)":
            return BadRecord(
                line=ordinal, error="MalformedRow", message="an NDJSON line is not valid JSON"
            )
        where = _resource_where(resource)
        conditions = index.lookup(self._keys(resource, full_url))
        counts, inputs, failure = self._conditions(conditions)
        self._note(ordinal, where, counts)
        external = None
        try:
            fields = patient_fields(resource, self.options)
            external = fields["external_id"]
            refusal = inactive_reason(resource, self.options)
            if refusal is not None:
                return self._bad(ordinal, external, *refusal)
            if failure is not None:
                return self._bad(ordinal, external, "ValidationError", failure)
            if self._validator is not None:
                problem = self._validator.problem(resource)
                if problem is not None:
                    return self._bad(ordinal, external, "ValidationError", f"{where}.{problem}")
            return PatientRecord(**fields, conditions=inputs, line=ordinal).validated()
        except ValidationError as exc:
            message = str(exc) if str(exc).startswith("Patient") else f"{where}: {exc}"
            return self._bad(ordinal, external, "ValidationError", message)

    def _bad(self, ordinal: int, external: object, error: str, message: str) -> BadRecord:
        return BadRecord(
            line=ordinal, external_id=usable_external_id(external), error=error, message=message
        )

    def _conditions(
        self, found: list[IndexedCondition]
    ) -> tuple[ConditionCounts, tuple[ConditionInput, ...], str | None]:
        """The patient's counts, the conditions to send, and a strict-mode failure."""
        sent: list[ConditionInput] = []
        seen: set[tuple[str, str]] = set()
        reasons: list[str] = []
        not_selected = left_out = 0
        failure = None
        for c in found:
            if c.kind is Kind.NOT_SELECTED:
                not_selected += c.n
                continue
            if c.kind is Kind.LEFT_OUT:
                left_out += 1
                reasons.append(f"{c.where}.{c.reason}")
                self.stats.left_out_reasons[c.reason or "left out"] += 1
                if c.placement and self.options.strict and failure is None:
                    failure = f"{c.where}.{c.reason} (strict mode)"
                continue
            pairs = [
                (c.pathology or "", site) for site in c.sites if (c.pathology, site) not in seen
            ]
            if not pairs:
                left_out += 1
                reasons.append(f"{c.where}: the same pathology and body site as another")
                self.stats.left_out_reasons["duplicate of a sent condition"] += 1
                continue
            for pathology, site in pairs:
                seen.add((pathology, site))
                sent.append(
                    ConditionInput(
                        pathology_code=pathology,
                        body_site_code=site,
                        is_tracked=self.options.tracked,
                    )
                )
            self.stats.sent += 1
        self.stats.not_selected += not_selected
        self.stats.left_out += left_out
        counts = ConditionCounts(
            sent=sum(c.n for c in found) - not_selected - left_out,
            not_selected=not_selected,
            left_out=left_out,
            reasons=tuple(reasons),
        )
        return counts, tuple(sent), failure

    # -------------------------------------------------------------------------- outcomes

    def _note(self, ordinal: int, where: str, counts: ConditionCounts) -> None:
        self._pending[ordinal] = (where, counts)
        if len(self._pending) > C.FHIR_PENDING_COUNTS:
            self._pending.popitem(last=False)

    def annotate(self, outcome: SyncOutcome) -> SyncOutcome:
        """``outcome`` with its patient's :class:`~legithealth_async.sync.ConditionCounts`.

        A failed patient's selected conditions become left out ("the patient failed"), here and
        in :attr:`stats`; a failure's message is prefixed with the Patient (``Patient/<id>: ``)
        when it does not name it (an API refusal), with a hint for the refusal of a patient
        without an email or a phone. Call it once per outcome of a sync of :meth:`records`
        (the counts are then forgotten); an outcome from elsewhere is returned as it is.
        """
        if outcome.line is None:
            return outcome
        pending = self._pending.pop(outcome.line, None)
        if pending is None:
            return outcome
        where, counts = pending
        reason = outcome.reason
        if reason is not None and not reason.message.startswith(("Patient", "Condition")):
            hint = _NO_CONTACT_HINT if reason.message.startswith("email/phone") else ""
            reason = replace(reason, message=f"{where}: {reason.message}{hint}")
        if outcome.failed and counts.sent:  # not sent after all: left out with its patient
            self.stats.sent -= counts.sent
            self.stats.left_out += counts.sent
            self.stats.left_out_reasons["the patient failed"] += counts.sent
            counts = ConditionCounts(
                sent=0,
                not_selected=counts.not_selected,
                left_out=counts.left_out + counts.sent,
                reasons=(*counts.reasons, f"{counts.sent} selected: the patient failed"),
            )
        return replace(outcome, conditions=counts, reason=reason)

    async def records(self, *, chunk: int = 500) -> AsyncGenerator[RecordSource, None]:
        """:meth:`iter_records` in a worker thread, ``chunk`` records at a time (the index file
        is deleted at the end, even on a cancellation)."""
        async for item in in_worker_thread(self.iter_records(), chunk):
            yield item


def _selectable(tables: CodeTables) -> re.Pattern[bytes]:
    """``"code": "<a code of the condition table>"`` (ICD-10 with or without its dot)."""
    variants = set()
    for alias, code in tables.conditions:
        variants.add(code)
        if alias == "icd10" and len(code) > 3:
            variants.add(f"{code[:3]}.{code[3:]}")
    alternatives = b"|".join(re.escape(v.encode()) for v in sorted(variants))
    # One regex each: merged with the systems' alternation, a search took 6 µs instead of 0.9.
    return re.compile(rb'"code"\s*:\s*"(?:' + alternatives + rb')"', re.IGNORECASE)


def aiter_fhir_records(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    options: FhirOptions | None = None,
    *,
    chunk: int = 500,
) -> AsyncGenerator[RecordSource, None]:
    """The records of a FHIR export, read in a worker thread (see :class:`FhirExport`).

    Beside :func:`~legithealth_async.sync.aiter_records`; use :class:`FhirExport` for the
    counts of what was read and per-patient condition counts on the outcomes.
    """
    return FhirExport(paths, options).records(chunk=chunk)
