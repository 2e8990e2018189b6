"""``sync_patients``: stream patient records into Legit.Health, creating or patching each one.

A pipeline with bounded memory for any number of records: the records are read ahead at most
``window`` at a time; each batch of up to 100 is checked against the journal (records synced
before with the same content are skipped, no request) and looked up in one getPatients request;
then each record is created, patched or left alone, ``concurrency`` at a time. Outcomes are
committed to the journal as they happen and yielded in input order. Nothing waits for a whole
window: a record held up by a long Retry-After holds back only the yields behind it, not the work.

Exactly-once effects rest on the client: a create whose answer was lost is reconciled by a
lookup, and a 409 on its retry resolves to the existing patient. A create refused with 409 on
its first attempt (another run made the patient) is looked up and patched like any other known
patient. Every failure is the record's own; only an error that would fail every record (a wrong
token, a closed client) stops the run.
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

import anyio
from anyio.abc import TaskGroup

from .. import _constants as C
from ..errors import (
    AuthenticationError,
    ClientClosedError,
    ConfigurationError,
    LegitHealthError,
    PatientAlreadyExistsError,
    PermissionDeniedError,
    ValidationError,
)
from ..models import Patient
from ..pagination import first_error, run_all
from .diff import condition_key, create_kwargs, plan_patch
from .journal import Journal, JournalEntry
from .outcomes import FailureReason, Outcome, SyncOutcome
from .records import BadRecord, PatientRecord, RecordSource

if TYPE_CHECKING:
    from ..client import LegitHealth

__all__ = ["DEFAULT_CONCURRENCY", "sync_patients"]

#: Records processed at once by default.
DEFAULT_CONCURRENCY = C.SYNC_CONCURRENCY
#: Errors that would fail every record: they stop the run instead.
FATAL_ERRORS: tuple[type[LegitHealthError], ...] = (
    AuthenticationError,
    PermissionDeniedError,
    ClientClosedError,
    ConfigurationError,
)

ProgressCallback = Callable[[SyncOutcome], None]
Records = Iterable[RecordSource] | AsyncIterable[RecordSource]


def _reason(exc: BaseException) -> FailureReason:
    """The class name and a message without personal data.

    This library's errors never carry values; anything else is reported by its class only.
    """
    if isinstance(exc, LegitHealthError):
        return FailureReason(error=type(exc).__name__, message=str(exc)[:500])
    return FailureReason(error=type(exc).__name__, message="unexpected error (details withheld)")


def _condition_ids(patient: Patient) -> dict[str, str]:
    return {condition_key(c.pathology_code, c.body_site_code): c.id for c in patient.conditions}


async def _items(records: Records) -> AsyncIterator[RecordSource]:
    if isinstance(records, AsyncIterable):
        async for item in records:
            yield item
    else:
        for item in records:
            yield item


class _Room:
    """How many more records may be read ahead of the outcomes yielded (the memory bound)."""

    def __init__(self, size: int) -> None:
        self.free = size
        self._changed = anyio.Event()

    async def wait_for(self, count: int) -> None:
        while self.free < count:
            self._changed = anyio.Event()
            await self._changed.wait()

    def release(self) -> None:
        self.free += 1
        self._changed.set()


class _Run:
    """The state of one sync: the journal buffer, the ids seen, the settings."""

    def __init__(
        self,
        client: LegitHealth,
        journal: Journal | None,
        *,
        concurrency: int,
        dry_run: bool,
        force: bool,
        on_progress: ProgressCallback | None,
        episodes: bool = False,
    ) -> None:
        self.client = client
        self.episodes = episodes and not dry_run
        self.journal = journal
        self.dry_run = dry_run
        self.force = force
        self.on_progress = on_progress
        self.limiter = anyio.Semaphore(concurrency, fast_acquire=True)
        self.seen: dict[str, int | None] = {}
        self.pending: list[JournalEntry] = []
        self.flush_lock = anyio.Lock()
        self.flushed = time.monotonic()

    # -- journal ---------------------------------------------------------------------------

    async def flush(self) -> None:
        """Commit the buffered journal entries."""
        async with self.flush_lock:
            entries, self.pending = self.pending, []
            self.flushed = time.monotonic()
            if entries and self.journal is not None:
                await self.journal.awrite(entries)

    async def _note(
        self,
        outcome: SyncOutcome,
        record: PatientRecord | None,
        condition_ids: dict[str, str] | None = None,
        episode_ids: dict[str, list[str]] | None = None,
    ) -> None:
        if self.on_progress is not None:
            self.on_progress(outcome)
        if self.journal is None or self.dry_run or record is None or outcome.from_journal:
            return
        ok = not outcome.failed
        self.pending.append(
            JournalEntry(
                external_id=record.external_id,
                outcome=outcome.outcome.value,
                content_hash=record.content_hash() if ok else None,
                patient_id=outcome.patient_id,
                condition_ids=condition_ids or {},
                episode_ids=episode_ids or {},
                error=outcome.reason.error if outcome.reason else None,
                line=record.line,
            )
        )
        if (
            len(self.pending) >= C.SYNC_COMMIT_EVERY
            or time.monotonic() - self.flushed > C.SYNC_COMMIT_AFTER
        ):
            await self.flush()

    # -- one batch (up to 100 records) ------------------------------------------------------

    async def batch(
        self,
        batch: list[tuple[int, PatientRecord]],
        deliver: Callable[[int, SyncOutcome], Awaitable[None]],
        tg: TaskGroup,
    ) -> None:
        """Skip what the journal knows, look the rest up in one request, start a task each."""
        known = {}
        if self.journal is not None and not self.force:
            known = await self.journal.aget_many([r.external_id for _, r in batch])
        lookup: list[tuple[int, PatientRecord]] = []
        for seq, record in batch:
            entry = known.get(record.external_id)
            if (
                entry is not None
                and entry.succeeded
                and entry.content_hash == record.content_hash()
            ):
                outcome = SyncOutcome(
                    external_id=record.external_id,
                    line=record.line,
                    outcome=Outcome.UNCHANGED,
                    patient_id=entry.patient_id,
                    from_journal=True,
                    dry_run=self.dry_run,
                )
                await self._note(outcome, record)
                await deliver(seq, outcome)
            else:
                lookup.append((seq, record))
        if not lookup:
            return
        found: dict[str, Patient] = {}
        lookup_error: BaseException | None = None
        async with self.limiter:
            try:
                result = await self.client.patients.get_many([r.external_id for _, r in lookup])
            except FATAL_ERRORS:
                raise
            except Exception as exc:
                lookup_error = exc
            else:
                found = {p.external_id: p for p in result.found}
        for seq, record in lookup:
            if lookup_error is not None:
                outcome = self._failed(record, lookup_error)
                await self._note(outcome, record)
                await deliver(seq, outcome)
            else:
                tg.start_soon(self.one, seq, record, found.get(record.external_id), deliver)

    async def one(
        self,
        seq: int,
        record: PatientRecord,
        patient: Patient | None,
        deliver: Callable[[int, SyncOutcome], Awaitable[None]],
    ) -> None:
        """Sync one record within the concurrency limit and hand its outcome on."""
        async with self.limiter:
            outcome = await self._sync_one(record, patient)
        await deliver(seq, outcome)

    def _admit(self, item: RecordSource) -> SyncOutcome | PatientRecord:
        """A failure for a bad row or a duplicate; else the validated record."""
        if isinstance(item, BadRecord):
            return SyncOutcome(
                external_id=item.external_id,
                line=item.line,
                outcome=Outcome.FAILED,
                reason=FailureReason(error=item.error, message=item.message),
                dry_run=self.dry_run,
            )
        if not isinstance(item, PatientRecord):
            return SyncOutcome(
                external_id=None,
                line=None,
                outcome=Outcome.FAILED,
                reason=FailureReason(error="TypeError", message="not a PatientRecord"),
                dry_run=self.dry_run,
            )
        try:
            record = item.validated()
        except ValidationError as exc:
            ext = item.external_id if isinstance(item.external_id, str) else None
            return SyncOutcome(
                external_id=ext,
                line=item.line,
                outcome=Outcome.FAILED,
                reason=_reason(exc),
                dry_run=self.dry_run,
            )
        if record.external_id in self.seen:
            first = self.seen[record.external_id]
            where = f" on line {first}" if first is not None else ""
            return SyncOutcome(
                external_id=record.external_id,
                line=record.line,
                outcome=Outcome.FAILED,
                reason=FailureReason(
                    error="DuplicateRecord",
                    message=f"externalId: already given{where}; only the first one is synced",
                ),
                dry_run=self.dry_run,
            )
        self.seen[record.external_id] = record.line
        return record

    def _failed(self, record: PatientRecord, exc: BaseException) -> SyncOutcome:
        return SyncOutcome(
            external_id=record.external_id,
            line=record.line,
            outcome=Outcome.FAILED,
            reason=_reason(exc),
            dry_run=self.dry_run,
        )

    async def _sync_one(self, record: PatientRecord, patient: Patient | None) -> SyncOutcome:
        patients = self.client.patients
        created = False
        changes: tuple[str, ...] = ()
        try:
            if patient is None:
                kwargs, changes = create_kwargs(record)
                if self.dry_run:
                    outcome = SyncOutcome(
                        external_id=record.external_id,
                        line=record.line,
                        outcome=Outcome.CREATED,
                        changes=changes,
                        dry_run=True,
                    )
                    await self._note(outcome, record)
                    return outcome
                try:
                    patient = await patients.create(**kwargs)
                    created = True
                except PatientAlreadyExistsError:
                    # Made by an earlier (killed) run or another writer: treat as known.
                    patient = await patients.get(record.external_id)
                    if patient is None:
                        raise
            if not created:
                plan = plan_patch(record, patient)
                changes = plan.changes
                if plan and not self.dry_run:
                    patient = await patients.patch(record.external_id, **plan.kwargs())
                kind = Outcome.UPDATED if plan else Outcome.UNCHANGED
            else:
                kind = Outcome.CREATED
        except FATAL_ERRORS:
            raise
        except Exception as exc:
            outcome = SyncOutcome(
                external_id=record.external_id,
                line=record.line,
                outcome=Outcome.FAILED,
                reason=_reason(exc),
                patient_id=patient.id if patient is not None else None,
                dry_run=self.dry_run,
            )
            await self._note(outcome, record)
            return outcome
        outcome = SyncOutcome(
            external_id=record.external_id,
            line=record.line,
            outcome=kind,
            patient_id=patient.id,
            changes=changes,
            dry_run=self.dry_run,
        )
        episode_ids = await self._episode_ids(patient) if self.episodes else None
        await self._note(
            outcome, record, condition_ids=_condition_ids(patient), episode_ids=episode_ids
        )
        return outcome

    async def _episode_ids(self, patient: Patient) -> dict[str, list[str]] | None:
        """Each condition's episode ids (one getEpisodesOfCare each, concurrently).

        The record is synced already: a failed listing leaves the ids unknown (None), it does
        not fail the record.
        """
        found: dict[str, list[str]] = {}

        async def fetch(condition_id: str) -> None:
            episodes = await self.client.episodes_of_care.list_for_condition(condition_id)
            found[condition_id] = [e.id for e in episodes]

        try:
            await run_all([functools.partial(fetch, c.id) for c in patient.conditions])
        except FATAL_ERRORS:
            raise
        except LegitHealthError:
            return None
        return found


async def sync_patients(
    client: LegitHealth,
    records: Records,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    journal: Journal | str | os.PathLike[str] | None = None,
    dry_run: bool = False,
    on_progress: ProgressCallback | None = None,
    window: int | None = None,
    force: bool = False,
    episodes: bool = False,
) -> AsyncIterator[SyncOutcome]:
    """Upsert every record into Legit.Health; yield one :class:`SyncOutcome` per record.

    ``records`` is any (async) iterable of :class:`PatientRecord` (or :class:`BadRecord` rows
    from a reader, reported as failures), of any length: at most ``window`` records (default
    ``max(8 * concurrency, 256)``) are read ahead of the outcomes yielded, which come in input
    order as soon as each one and those before it are done.
    A record is created when Legit.Health does not know its external id, patched with only what
    differs, or left unchanged; a failed record never stops the others (only a wrong token or a
    closed client stops the run, by raising). A later record with an external id seen before
    fails as ``DuplicateRecord``.

    ``journal`` (a :class:`Journal` or a path) makes the run resumable: records synced before
    with the same content are skipped without a request (``from_journal=True``); ``force=True``
    looks every record up anyway. ``episodes=True`` also lists each synced record's conditions'
    episodes of care (one request per condition) and journals their ids, completing the
    HRM ↔ Legit.Health id map. ``dry_run`` sends no write (lookups still happen) and writes
    no journal. ``on_progress`` is called with each outcome as it happens (on the event loop;
    keep it quick). Use it as ``async with contextlib.aclosing(sync_patients(...)) as outcomes``
    when you may stop early. The work runs in a task of its own (asyncio), ended with the
    iteration: breaking out, an error or a cancellation leaves nothing running.
    """
    if concurrency < 1:
        raise ConfigurationError("concurrency must be at least 1")
    size = (
        window
        if window is not None
        else max(C.SYNC_READ_AHEAD_PER_RECORD * concurrency, C.SYNC_MIN_READ_AHEAD)
    )
    if size < 1:
        raise ConfigurationError("window must be at least 1")
    owned = None
    if isinstance(journal, str | os.PathLike):
        owned = journal = await Journal.aopen(journal, base_url=client.base_url)
    elif journal is not None:
        await journal.abind(client.base_url)
    run = _Run(
        client,
        journal,
        concurrency=concurrency,
        dry_run=dry_run,
        force=force,
        on_progress=on_progress,
        episodes=episodes,
    )
    room = _Room(size)
    send, receive = anyio.create_memory_object_stream[tuple[int, SyncOutcome]](size + 1)

    async def deliver(seq: int, outcome: SyncOutcome) -> None:
        await send.send((seq, outcome))

    async def pipeline() -> None:
        batch_size = min(C.MAX_IDS_PER_REQUEST, size)
        items = aiter(_items(records))
        seq = 0
        try:
            async with send, anyio.create_task_group() as tg:
                more = True
                while more:
                    # Read a whole batch only when there is room for it: a partial batch
                    # never sits holding room that only its own outcomes could free.
                    await room.wait_for(batch_size)
                    batch: list[tuple[int, PatientRecord]] = []
                    while len(batch) < batch_size and room.free > 0:
                        try:
                            item = await anext(items)
                        except StopAsyncIteration:
                            more = False
                            break
                        room.free -= 1
                        admitted = run._admit(item)
                        if isinstance(admitted, SyncOutcome):
                            await run._note(admitted, None)
                            await deliver(seq, admitted)
                        else:
                            batch.append((seq, admitted))
                        seq += 1
                    if batch:
                        tg.start_soon(run.batch, batch, deliver, tg)
        except BaseExceptionGroup as group:
            raise first_error(group) from None

    # The pipeline runs in its own task so that no task group spans a ``yield`` of this
    # generator; the ``finally`` below ends it whichever way the iteration ends.
    task = asyncio.get_running_loop().create_task(pipeline())
    try:
        waiting: dict[int, SyncOutcome] = {}
        following = 0
        async with receive:
            async for seq, outcome in receive:
                waiting[seq] = outcome
                while following in waiting:
                    ready = waiting.pop(following)
                    following += 1
                    room.release()
                    yield ready
        await task  # re-raises what stopped the pipeline (a wrong token, a closed client)
    finally:
        with anyio.CancelScope(shield=True):
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await run.flush()
            if owned is not None:
                await owned.aclose()
