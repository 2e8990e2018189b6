"""The on-disk index of an export's Conditions, by subject, in a temporary SQLite file.

A Condition may come before its Patient, or in another file: every Condition is classified
once (:func:`~legithealth_async.fhir.mapping.classify_condition`) and its decision stored by the
subject it references; each Patient then looks its own up. Memory stays bounded for any export
size; the file is deleted on :meth:`ConditionIndex.close`.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterable
from typing import NamedTuple

from .. import _constants as C
from .mapping import ConditionDecision, Kind

__all__ = ["ConditionIndex", "IndexedCondition", "reference_key"]


class IndexedCondition(NamedTuple):
    """One Condition's decision, as stored."""

    where: str
    kind: Kind
    pathology: str | None
    sites: tuple[str, ...]
    reason: str | None
    placement: bool
    n: int = 1


def reference_key(reference: str) -> str:
    """The key a patient reference is joined on: ``Patient/<id>`` or the ``urn:`` itself.

    ``https://ehr.example/fhir/Patient/7/_history/2`` and ``Patient/7`` are one key.
    """
    reference = reference.strip()
    if reference.startswith("urn:"):
        return reference
    _, sep, tail = reference.rpartition("Patient/")
    if not sep:
        return reference
    return "Patient/" + tail.split("/", 1)[0]


class ConditionIndex:
    """Conditions by subject key, in a temporary file (a single thread at a time uses it)."""

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="legithealth-fhir-", suffix=".sqlite")
        os.close(fd)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            f"PRAGMA cache_size=-{C.FHIR_INDEX_CACHE_KIB};"
            "CREATE TABLE cond (subject TEXT, cid TEXT, kind INTEGER, pathology TEXT, sites TEXT,"
            " reason TEXT, placement INTEGER, n INTEGER);"
            "CREATE TABLE patient (key TEXT PRIMARY KEY) WITHOUT ROWID;"
        )
        self._rows: list[tuple[object, ...]] = []
        self._keys: list[tuple[str]] = []
        self._indexed = False
        self._run_subject: str | None = None  # a run of not-selected ones of one subject
        self._run_count = 0

    def add(self, subject: str, where: str, decision: ConditionDecision) -> None:
        """Store one Condition's decision (``where``: ``Condition/<id>``) under its subject.

        Consecutive not-selected Conditions of one subject (most of an export, grouped by
        patient) are stored as one row with their count.
        """
        if decision.kind is Kind.NOT_SELECTED:
            self.add_not_selected(subject)
            return
        self._rows.append(
            (
                subject,
                where,
                int(decision.kind),
                decision.pathology,
                ",".join(decision.sites),
                decision.reason,
                int(decision.placement),
                1,
            )
        )
        if len(self._rows) >= C.FHIR_INDEX_BATCH:
            self._flush()

    def add_not_selected(self, subject: str) -> None:
        """Count one not-selected Condition of ``subject`` (a run of them is one row)."""
        if subject == self._run_subject:
            self._run_count += 1
            return
        self._end_run()
        self._run_subject, self._run_count = subject, 1

    def _end_run(self) -> None:
        if self._run_subject is not None:
            row = (self._run_subject, None, int(Kind.NOT_SELECTED), None, "", None, 0)
            self._rows.append((*row, self._run_count))
            self._run_subject = None
            if len(self._rows) >= C.FHIR_INDEX_BATCH:
                self._flush()

    def _flush(self) -> None:
        if self._rows:
            with self._db:
                self._db.executemany("INSERT INTO cond VALUES (?,?,?,?,?,?,?,?)", self._rows)
            self._rows.clear()
        if self._keys:
            with self._db:
                self._db.executemany("INSERT OR IGNORE INTO patient VALUES (?)", self._keys)
            self._keys.clear()

    def seal(self) -> None:
        """End of the Conditions: write the rest and build the index on subjects."""
        self._end_run()
        self._flush()
        if not self._indexed:
            self._db.execute("CREATE INDEX cond_subject ON cond (subject)")
            self._indexed = True

    def lookup(self, keys: Iterable[str]) -> list[IndexedCondition]:
        """The Conditions of a patient known by ``keys``; the keys are noted as claimed."""
        wanted = sorted(set(keys))
        self._keys.extend((k,) for k in wanted)
        if len(self._keys) >= C.FHIR_INDEX_BATCH:
            self._flush()
        marks = ",".join("?" * len(wanted))
        rows = self._db.execute(
            "SELECT cid, kind, pathology, sites, reason, placement, n FROM cond"  # noqa: S608
            f" WHERE subject IN ({marks})"  # only '?' marks
            " ORDER BY rowid",
            wanted,
        ).fetchall()
        return [
            IndexedCondition(w, Kind(k), p, tuple(s.split(",")) if s else (), r, bool(pl), n)
            for w, k, p, s, r, pl, n in rows
        ]

    def orphans(self) -> tuple[int, int, int]:
        """Conditions whose subject is no patient read: ``(not selected, selected, all)``."""
        self._flush()
        rows = self._db.execute(
            "SELECT kind, sum(n) FROM cond WHERE subject IS NULL OR subject NOT IN"
            " (SELECT key FROM patient) GROUP BY kind"
        ).fetchall()
        counts = {Kind(k): n for k, n in rows}
        not_selected = counts.get(Kind.NOT_SELECTED, 0)
        total = sum(counts.values())
        return not_selected, total - not_selected, total

    def close(self) -> None:
        """Close and delete the file."""
        try:
            self._db.close()
        finally:
            for suffix in ("", "-journal", "-wal", "-shm"):
                try:
                    os.unlink(self.path + suffix)
                except FileNotFoundError:
                    pass
