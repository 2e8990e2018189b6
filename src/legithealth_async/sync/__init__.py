"""Bulk sync of patients: records and readers, the upsert engine, and its SQLite journal.

::

    from legithealth_async import LegitHealth
    from legithealth_async.sync import aiter_records, sync_patients

    async with LegitHealth() as lh:
        async with sync_patients(lh, aiter_records("patients.jsonl"), journal="j.db") as outcomes:
            async for outcome in outcomes:
                ...

The engine is typed against :class:`~legithealth_async.flows.protocols.SyncClient` (what it
uses of the client), so it can be tested on an in-memory fake; the client does not import it.
"""

from .diff import PatchPlan, plan_patch
from .engine import DEFAULT_CONCURRENCY, SyncOptions, SyncSession, sync_patients
from .journal import EXPORT_COLUMNS, Journal, JournalEntry, JournalMismatchError
from .outcomes import ConditionCounts, FailureReason, Outcome, SyncOutcome, SyncSummary
from .records import (
    CSV_COLUMNS,
    BadRecord,
    PatientRecord,
    RecordSource,
    aiter_records,
    condition_from_text,
    condition_to_text,
    iter_records,
    parse_record,
)

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_CONCURRENCY",
    "EXPORT_COLUMNS",
    "BadRecord",
    "ConditionCounts",
    "FailureReason",
    "Journal",
    "JournalEntry",
    "JournalMismatchError",
    "Outcome",
    "PatchPlan",
    "PatientRecord",
    "RecordSource",
    "SyncOptions",
    "SyncOutcome",
    "SyncSession",
    "SyncSummary",
    "aiter_records",
    "condition_from_text",
    "condition_to_text",
    "iter_records",
    "parse_record",
    "plan_patch",
    "sync_patients",
]
