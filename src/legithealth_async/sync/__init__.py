"""Bulk sync of patients: records and readers, the upsert engine, and its SQLite journal.

::

    from legithealth_async import LegitHealth
    from legithealth_async.sync import aiter_records, sync_patients

    async with LegitHealth() as lh:
        async for outcome in sync_patients(lh, aiter_records("patients.jsonl"), journal="j.db"):
            ...
"""

from .diff import PatchPlan, plan_patch
from .engine import DEFAULT_CONCURRENCY, sync_patients
from .journal import EXPORT_COLUMNS, Journal, JournalEntry, JournalMismatchError
from .outcomes import FailureReason, Outcome, SyncOutcome, SyncSummary
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
    "FailureReason",
    "Journal",
    "JournalEntry",
    "JournalMismatchError",
    "Outcome",
    "PatchPlan",
    "PatientRecord",
    "RecordSource",
    "SyncOutcome",
    "SyncSummary",
    "aiter_records",
    "condition_from_text",
    "condition_to_text",
    "iter_records",
    "parse_record",
    "plan_patch",
    "sync_patients",
]
