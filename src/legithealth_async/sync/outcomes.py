"""What a sync says about each record (:class:`SyncOutcome`) and about the whole run."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["ConditionCounts", "FailureReason", "Outcome", "SyncOutcome", "SyncSummary"]


class Outcome(StrEnum):
    """What happened to one record."""

    CREATED = "created"
    """Legit.Health did not know the external id: the patient was connected."""
    UPDATED = "updated"
    """Basic information or conditions differed: the patient was patched."""
    UNCHANGED = "unchanged"
    """Legit.Health already holds the record (or the journal says it was synced as it is)."""
    FAILED = "failed"
    """The record was refused or could not be synced; see :attr:`SyncOutcome.reason`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FailureReason:
    """Why a record failed: the error's kind (an exception class name) and a safe message.

    The message names fields and statuses, never a value (no personal data).
    """

    error: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionCounts:
    """What became of a patient's conditions in its source (set by the FHIR reader).

    ``sent``: in the record (sent with it, unless the record failed); ``not_selected``: outside
    the selection; ``left_out``: selected but left out, each with a reason in ``reasons`` (the
    resource type, its id and the JSON path, never a value).
    """

    sent: int = 0
    not_selected: int = 0
    left_out: int = 0
    reasons: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The counts and reasons as a JSON-ready dict."""
        return {
            "sent": self.sent,
            "notSelected": self.not_selected,
            "leftOut": self.left_out,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncOutcome:
    """The outcome of one record.

    ``line`` is the record's line in its file (when known); ``changes`` names what a create or
    patch sent or would send (``email``, ``conditions.add``, ``conditions.track``,
    ``conditions.pause``...); ``from_journal`` is True when the record was skipped without a
    request because the journal holds it as synced with the same content; ``dry_run`` marks what
    would have been done; ``conditions`` counts the source's conditions (FHIR input, once
    annotated: :meth:`legithealth_async.fhir.FhirExport.annotate`). The external id is hidden
    from ``repr``.
    """

    external_id: str | None = field(repr=False)
    line: int | None
    outcome: Outcome
    reason: FailureReason | None = None
    patient_id: str | None = None
    changes: tuple[str, ...] = ()
    from_journal: bool = False
    dry_run: bool = False
    conditions: ConditionCounts | None = None

    @property
    def failed(self) -> bool:
        """Whether the record failed."""
        return self.outcome is Outcome.FAILED

    def report_row(self) -> dict[str, Any]:
        """The JSON object of a failure in the report: line, external id, error and message."""
        row: dict[str, Any] = {
            "line": self.line,
            "externalId": self.external_id,
            "outcome": self.outcome.value,
            "error": self.reason.error if self.reason else None,
            "message": self.reason.message if self.reason else None,
        }
        if self.conditions is not None:
            row["conditions"] = self.conditions.as_json()
        return row


@dataclass(slots=True)
class SyncSummary:
    """Counts of a run by outcome, and its pace. Feed it each outcome with :meth:`add`."""

    counts: Counter[Outcome] = field(default_factory=Counter)
    from_journal: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    def add(self, outcome: SyncOutcome) -> None:
        """Count one outcome."""
        self.counts[outcome.outcome] += 1
        if outcome.from_journal:
            self.from_journal += 1
        if outcome.reason is not None:
            self.errors[outcome.reason.error] += 1

    def finish(self) -> None:
        """Stop the clock."""
        self.finished = time.monotonic()

    @property
    def total(self) -> int:
        """Records seen."""
        return sum(self.counts.values())

    @property
    def failed(self) -> int:
        """Records that failed."""
        return self.counts[Outcome.FAILED]

    @property
    def elapsed(self) -> float:
        """Seconds since the start (until :meth:`finish`)."""
        return (self.finished or time.monotonic()) - self.started

    @property
    def rate(self) -> float:
        """Records a second."""
        return self.total / self.elapsed if self.elapsed > 0 else 0.0

    def __repr__(self) -> str:
        parts = ", ".join(f"{o.value}={self.counts[o]}" for o in Outcome)
        return f"SyncSummary({parts}, from_journal={self.from_journal})"
