"""``sync_patients``: stream patient records into Legit.Health, creating or patching each one.

::

    async with sync_patients(lh, aiter_records("patients.jsonl"), journal="j.db") as outcomes:
        async for outcome in outcomes:
            ...

A pipeline in four stages, with bounded memory for any number of records, run in one anyio
task group that lives exactly as long as the ``async with`` block:

1. **admit** — read records at most ``window`` ahead of the outcomes yielded; validate and hash
   each once; a bad row or a recent duplicate is a failure at once; the rest go on in batches
   of up to 100;
2. **batch lookup** — per batch, skip what the journal holds as synced with the same content (no
   request), and look the rest up in one getPatients request;
3. **per-record work** — create, patch or leave alone each record, by a pool of ``concurrency``
   workers (``handoff.py``), and journal the outcome (committed in batches);
4. **yield** — hand the outcomes out as they complete, each with its input ``line``: a record held
   up by a slow answer or a long Retry-After costs its own slot and one place in the window,
   nothing else. With ``ordered=True`` they come in input order instead, each as soon as it and
   those before it are done: then one slow record holds back every yield behind it, and once
   the window has filled behind it, admission too (every worker idles until it answers).

Exactly-once effects rest on the client: a create whose answer was lost is reconciled by a
lookup, and a 409 on its retry resolves to the existing patient. Whatever a create returns is
compared with the record, so a patient that another writer made with other data (found by that
reconciliation, or by a first-attempt 409) is patched to the record and reported ``updated``.
Every failure is the record's own; only an error that would fail every record (a wrong token, a
closed client, a server that every recent request failed to reach: ``breaker.py``) stops the run,
raised from the ``async with``.
"""

from __future__ import annotations

import functools
import logging
import os
import time
import warnings
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Iterable
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    nullcontext,
)
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import NoReturn

import anyio

from .. import _constants as C
from .. import _observe
from ..errors import (
    AuthenticationError,
    ClientClosedError,
    ConfigurationError,
    LegitHealthError,
    PatientAlreadyExistsError,
    PermissionDeniedError,
    ValidationError,
)
from ..flows.protocols import Sleep, SyncClient
from ..models import Patient
from ..pagination import first_error, run_all
from .breaker import Breaker
from .diff import condition_key, create_kwargs, plan_patch
from .handoff import Completed, InOrder, WorkQueue
from .journal import Journal, JournalEntry
from .outcomes import FailureReason, Outcome, SyncOutcome
from .pacing import RatePacer
from .records import BadRecord, PatientRecord, RecordSource, usable_external_id

__all__ = ["DEFAULT_CONCURRENCY", "SyncSession", "sync_patients"]

logger = logging.getLogger(C.LOGGER_NAME)
#: Whether the running task holds one of the sync's slots (its retries' waits give it up).
_HOLDS_SLOT: ContextVar[bool] = ContextVar("_HOLDS_SLOT", default=False)

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
JournalArg = Journal | str | os.PathLike[str] | None


def _reason(exc: BaseException) -> FailureReason:
    """The class name and a message without personal data.

    This library's errors never carry values; anything else is reported by its class only.
    """
    if isinstance(exc, LegitHealthError):
        return FailureReason(error=type(exc).__name__, message=str(exc)[:500])
    return FailureReason(error=type(exc).__name__, message="unexpected error (details withheld)")


def _condition_ids(patient: Patient) -> dict[str, str]:
    return {condition_key(c.pathology_code, c.body_site_code): c.id for c in patient.conditions}


def _lacks_episodes(entry: JournalEntry) -> bool:
    """Whether the journal lacks the episode ids of a condition it knows (``episodes=True``)."""
    return any(c not in entry.episode_ids for c in entry.condition_ids.values())


def _journaled_refusal(outcome: SyncOutcome) -> bool:
    """A failure before any request that has a usable external id and is not a repeat."""
    return (
        outcome.failed
        and not outcome.from_journal
        and outcome.reason is not None
        and outcome.reason.error != "DuplicateRecord"
        and usable_external_id(outcome.external_id) is not None
    )


async def _items(records: Records) -> AsyncGenerator[RecordSource]:
    """The records as one async iterator; the source is closed when this one is."""
    try:
        if isinstance(records, AsyncIterable):
            async for item in records:
                yield item
        else:
            for item in records:
                yield item
    finally:
        aclose = getattr(records, "aclose", None)
        close = getattr(records, "close", None)
        if aclose is not None:
            with anyio.CancelScope(shield=True):
                await aclose()
        elif close is not None:
            close()


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncOptions:
    """The settings of one sync (see :func:`sync_patients`)."""

    concurrency: int
    window: int
    dry_run: bool = False
    force: bool = False
    episodes: bool = False
    on_progress: ProgressCallback | None = None
    pacer: RatePacer | None = None
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class _Item:
    """An admitted record: validated and (with a journal) hashed once, with its place in the
    input."""

    seq: int
    record: PatientRecord
    content_hash: str | None


class _RecentIds:
    """The external ids of the last ``size`` records admitted, and their lines.

    Duplicate detection in bounded memory: a repeat within ``size`` records is reported as
    ``DuplicateRecord``; one further apart is synced again, which is safe (the lookup finds the
    patient the first one made; the later record wins, as a sequential upsert would).
    """

    def __init__(self, size: int) -> None:
        self._lines: OrderedDict[str, int | None] = OrderedDict()
        self._size = size

    def admit(self, external_id: str, line: int | None) -> tuple[bool, int | None]:
        """Whether the id is a recent repeat (and the first line); remembers it if new."""
        if external_id in self._lines:
            return True, self._lines[external_id]
        self._lines[external_id] = line
        if len(self._lines) > self._size:
            self._lines.popitem(last=False)
        return False, None


class _JournalWriter:
    """Journal entries buffered and committed every ``SYNC_COMMIT_EVERY`` or ``_AFTER`` seconds."""

    def __init__(self, journal: Journal | None) -> None:
        self.journal = journal
        self.pending: list[JournalEntry] = []
        self.lock = anyio.Lock()
        self.flushed = time.monotonic()

    async def add(self, entry: JournalEntry) -> None:
        """Buffer one entry; commit the buffer when it is big or old enough."""
        if self.journal is None:
            return
        self.pending.append(entry)
        if self.lock.locked():
            return  # a commit is under way: this entry goes in the next one, nobody waits
        if (
            len(self.pending) >= C.SYNC_COMMIT_EVERY
            or time.monotonic() - self.flushed > C.SYNC_COMMIT_AFTER
        ):
            await self.flush()

    async def flush(self) -> None:
        """Commit the buffered entries."""
        async with self.lock:
            entries, self.pending = self.pending, []
            self.flushed = time.monotonic()
            if entries and self.journal is not None:
                await self.journal.awrite(entries)


class _SlowStart:
    """Begins a sync with ``SYNC_SLOW_START`` of its ``concurrency`` slots (TCP's slow start).

    The rest are held back and handed out one per answer accepted, so the records at once double
    each round trip: a sync that meets no limit is at full concurrency within a few round trips,
    and one against a rate limit does not send its whole concurrency at once before the pacer
    has learnt anything (at 30 requests/s, concurrency 100 and 50 ms answers, 14% of its
    requests were 429s; ``benchmarks`` section 6). While 429s come and the pacer is not pacing
    yet, no slot is added; once it paces, every slot is (the pacer spaces the requests).
    """

    def __init__(self, limiter: anyio.Semaphore, concurrency: int, pacer: RatePacer | None):
        self._limiter = limiter
        self._held = concurrency - min(concurrency, C.SYNC_SLOW_START)
        for _ in range(self._held):
            limiter.acquire_nowait()
        self._pacer = pacer
        self._throttled = 0

    def accepted(self) -> None:
        """An answer was accepted: one more slot (see the class's docstring)."""
        if not self._held:
            return
        pacer = self._pacer
        if pacer is not None:
            if pacer.rate is not None:  # pacing: the pacer rules the rate from now on
                for _ in range(self._held):
                    self._limiter.release()
                self._held = 0
                return
            if pacer.throttled != self._throttled:  # 429s since the last answer: wait
                self._throttled = pacer.throttled
                return
        self._held -= 1
        self._limiter.release()


class _Engine:
    """One sync: its stages, its limits and its journal buffer."""

    def __init__(self, client: SyncClient, journal: Journal | None, options: SyncOptions) -> None:
        self.client = client.with_options(pacer=options.pacer, wrap_sleep=self._freeing_slot)
        self.options = options
        self.journal = journal
        self.writer = _JournalWriter(None if options.dry_run else journal)
        self.limiter = anyio.Semaphore(options.concurrency, fast_acquire=True)
        self.slow_start = _SlowStart(self.limiter, options.concurrency, options.pacer)
        self.room = anyio.Semaphore(options.window, fast_acquire=True)
        self.recent = _RecentIds(max(C.SYNC_DUPLICATE_MEMORY, options.window))
        order = InOrder[SyncOutcome] if options.ordered else Completed[SyncOutcome]
        self.outcomes: InOrder[SyncOutcome] | Completed[SyncOutcome] = order(self.room.release)
        self.breaker = Breaker(client.base_url)
        self.hashed = journal is not None  # the content hash is only ever compared there
        self.observed: _observe.SyncScope | None = None  # set while an observer watches the run

    # -- stage 1: admit ----------------------------------------------------------------------

    async def admit_all(self, records: Records) -> None:
        """Read, admit and hand on batches, never more than ``window`` records ahead.

        Lookups run one task a batch; the records they hand on are worked on by a pool of at
        most ``concurrency`` workers.
        """
        # Room for a batch besides one record held by each worker: records held up by slow
        # answers never keep the next batch out (completion order frees the rest as they end).
        spare = self.options.window - self.options.concurrency
        batch_size = max(1, min(C.MAX_IDS_PER_REQUEST, spare))
        seq = 0
        try:
            async with anyio.create_task_group() as workers:
                # More workers than slots: a record waiting out a retry's backoff holds its
                # worker but not its slot, which another worker takes meanwhile.
                queue = WorkQueue[tuple[_Item, Patient | None]](
                    workers, C.SYNC_WORKERS_PER_SLOT * self.options.concurrency, self.work
                )
                async with anyio.create_task_group() as lookups:
                    items = _items(records)
                    try:
                        more = True
                        while more:
                            # Room for a whole batch first: a partial batch never holds room
                            # that only its own outcomes could free.
                            for _ in range(batch_size):
                                await self.room.acquire()
                            batch, seq, more = await self._read_batch(items, seq, batch_size)
                            if batch:
                                lookups.start_soon(self.lookup, batch, queue)
                    finally:
                        await items.aclose()
                queue.close()
        except BaseExceptionGroup as group:
            raise first_error(group) from None
        self.outcomes.end(seq)

    async def _read_batch(
        self, items: AsyncIterator[RecordSource], seq: int, size: int
    ) -> tuple[list[_Item], int, bool]:
        """Up to ``size`` admitted records (failures delivered at once); False at the end."""
        batch: list[_Item] = []
        for taken in range(size):
            try:
                source = await anext(items)
            except StopAsyncIteration:
                for _ in range(size - taken):
                    self.room.release()
                return batch, seq, False
            admitted = self._admit(source)
            if isinstance(admitted, SyncOutcome):
                await self._finish(seq, admitted)
            else:
                digest = admitted.content_hash() if self.hashed else None
                batch.append(_Item(seq, admitted, digest))
            seq += 1
        return batch, seq, True

    def _admit(self, source: RecordSource) -> SyncOutcome | PatientRecord:
        """A failure for a bad row, an invalid record or a recent duplicate; else the record."""
        if isinstance(source, BadRecord):
            reason = FailureReason(error=source.error, message=source.message)
            return self._failure(source.external_id, source.line, reason)
        if not isinstance(source, PatientRecord):
            reason = FailureReason(error="TypeError", message="not a PatientRecord")
            return self._failure(None, None, reason)
        try:
            record = source.validated()
        except ValidationError as exc:
            ext = source.external_id if isinstance(source.external_id, str) else None
            return self._failure(ext, source.line, _reason(exc))
        repeated, first = self.recent.admit(record.external_id, record.line)
        if repeated:
            where = f" on line {first}" if first is not None else ""
            reason = FailureReason(
                error="DuplicateRecord",
                message=f"externalId: already given{where}; only the first one is synced",
            )
            return self._failure(record.external_id, record.line, reason)
        return record

    def _failure(
        self, external_id: str | None, line: int | None, reason: FailureReason
    ) -> SyncOutcome:
        return SyncOutcome(
            external_id=external_id,
            line=line,
            outcome=Outcome.FAILED,
            reason=reason,
            dry_run=self.options.dry_run,
        )

    def _freeing_slot(self, sleep: Sleep) -> Sleep:
        """The client's wait before a retry, during which the record's slot goes to another
        record (see :meth:`_backoff`)."""
        return functools.partial(self._backoff, sleep)

    async def _backoff(self, sleep: Sleep, seconds: float) -> None:
        """A retry's wait: the record's slot goes to another record meanwhile.

        Measured (``benchmarks`` section 7, 503 + ``Retry-After: 1`` on 0.5% of the answers):
        keeping the slot through the wait cost the sync at concurrency 100 several points of
        its share of the bound; a wait is not work. The slot is taken back before the retry (so
        never more than ``concurrency`` requests at once), shielded, so a cancelled wait still
        gives back exactly what it took.
        """
        if not _HOLDS_SLOT.get():  # (an episodes listing, outside the slot)
            await sleep(seconds)
            return
        self.limiter.release()
        try:
            await sleep(seconds)
        finally:
            with anyio.CancelScope(shield=True):
                await self.limiter.acquire()

    # -- stage 2: batch lookup -----------------------------------------------------------------

    async def lookup(
        self, batch: list[_Item], queue: WorkQueue[tuple[_Item, Patient | None]]
    ) -> None:
        """Skip what the journal knows, look the rest up in one request, queue the rest."""
        todo = await self._skip_journaled(batch)
        if not todo:
            return
        started = anyio.current_time()
        try:
            async with self.limiter:
                started = anyio.current_time()
                _HOLDS_SLOT.set(True)
                try:
                    found = await self.client.patients.get_many(
                        [i.record.external_id for i in todo]
                    )
                finally:
                    _HOLDS_SLOT.set(False)
        except FATAL_ERRORS:
            raise
        except Exception as exc:
            self.breaker.ended(exc, started)
            for item in todo:
                failed = self._failure(item.record.external_id, item.record.line, _reason(exc))
                await self._finish(item.seq, failed, item)
            return
        self.breaker.succeeded()
        self.slow_start.accepted()
        by_id = {p.external_id: p for p in found.found}
        for item in todo:
            queue.put((item, by_id.get(item.record.external_id)))

    async def _skip_journaled(self, batch: list[_Item]) -> list[_Item]:
        """The records the journal does not hold as synced with the same content."""
        if self.journal is None or self.options.force:
            return batch
        known = await self.journal.aget_many([i.record.external_id for i in batch])
        todo: list[_Item] = []
        for item in batch:
            entry = known.get(item.record.external_id)
            if (
                entry is None
                or not entry.succeeded
                or entry.content_hash != item.content_hash
                or (self.options.episodes and _lacks_episodes(entry))
            ):
                todo.append(item)
                continue
            skipped = SyncOutcome(
                external_id=item.record.external_id,
                line=item.record.line,
                outcome=Outcome.UNCHANGED,
                patient_id=entry.patient_id,
                from_journal=True,
                dry_run=self.options.dry_run,
            )
            await self._finish(item.seq, skipped)
        return todo

    # -- stage 3: per-record work --------------------------------------------------------------

    async def work(self, job: tuple[_Item, Patient | None]) -> None:
        """Upsert one record within the concurrency limit; journal and deliver its outcome."""
        item, patient = job
        record = item.record
        started = anyio.current_time()
        observed = self.observed
        try:
            async with self.limiter:
                started = anyio.current_time()
                _HOLDS_SLOT.set(True)
                if observed is not None:
                    observed.started()
                try:
                    kind, patient, changes = await self._upsert(record, patient)
                finally:
                    _HOLDS_SLOT.set(False)
                    if observed is not None:
                        observed.finished()
        except FATAL_ERRORS:
            raise
        except Exception as exc:
            self.breaker.ended(exc, started)
            failed = SyncOutcome(
                external_id=record.external_id,
                line=record.line,
                outcome=Outcome.FAILED,
                reason=_reason(exc),
                patient_id=patient.id if patient is not None else None,
                dry_run=self.options.dry_run,
            )
            await self._finish(item.seq, failed, item)
            return
        self.breaker.succeeded()
        self.slow_start.accepted()
        outcome = SyncOutcome(
            external_id=record.external_id,
            line=record.line,
            outcome=kind,
            patient_id=patient.id if patient is not None else None,
            changes=changes,
            dry_run=self.options.dry_run,
        )
        episode_ids = None
        if self.options.episodes and not self.options.dry_run and patient is not None:
            episode_ids = await self._episode_ids(patient)
        await self._finish(item.seq, outcome, item, patient, episode_ids)

    async def _upsert(
        self, record: PatientRecord, patient: Patient | None
    ) -> tuple[Outcome, Patient | None, tuple[str, ...]]:
        """Create, patch or leave alone: what happened, the patient now, what was sent."""
        patients = self.client.patients
        if patient is None:
            kwargs, changes = create_kwargs(record)
            if self.options.dry_run:
                return Outcome.CREATED, None, changes
            try:
                patient = await patients.create(**kwargs)
            except PatientAlreadyExistsError:
                # Made by an earlier (killed) run or another writer: treat as known.
                patient = await patients.get(record.external_id)
                if patient is None:
                    raise
            else:
                # A create reconciled after an ambiguous failure returns what the lookup
                # found, which another writer may have made with other data: compare.
                if not plan_patch(record, patient):
                    return Outcome.CREATED, patient, changes
        plan = plan_patch(record, patient)
        if not plan:
            return Outcome.UNCHANGED, patient, ()
        if not self.options.dry_run:
            patient = await patients.patch(record.external_id, **plan.kwargs())
        return Outcome.UPDATED, patient, plan.changes

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

    async def _finish(
        self,
        seq: int,
        outcome: SyncOutcome,
        item: _Item | None = None,
        patient: Patient | None = None,
        episode_ids: dict[str, list[str]] | None = None,
    ) -> None:
        """Report an outcome as it happens, journal it, and hand it to the in-order stage."""
        if self.options.on_progress is not None:
            self.options.on_progress(outcome)
        if self.observed is not None:
            self.observed.outcome(outcome.outcome.value, from_journal=outcome.from_journal)
        message = outcome.reason.message if outcome.reason else None
        if item is not None:
            await self.writer.add(
                JournalEntry(
                    external_id=item.record.external_id,
                    outcome=outcome.outcome,
                    content_hash=None if outcome.failed else item.content_hash,
                    patient_id=outcome.patient_id,
                    condition_ids=_condition_ids(patient) if patient is not None else {},
                    episode_ids=episode_ids or {},
                    error=outcome.reason.error if outcome.reason else None,
                    line=item.record.line,
                    message=message,
                )
            )
        elif _journaled_refusal(outcome):
            # A row refused before any request, under its id when usable (not a repeat: the
            # first one's entry stands), so the journal agrees with the report (B1, issue 10).
            assert outcome.external_id is not None and outcome.reason is not None
            await self.writer.add(
                JournalEntry(
                    external_id=outcome.external_id,
                    outcome=outcome.outcome,
                    error=outcome.reason.error,
                    line=outcome.line,
                    message=message,
                )
            )
        self.outcomes.put(seq, outcome)


async def _open_journal(journal: JournalArg, base_url: str) -> tuple[Journal | None, bool]:
    """The journal to use, and whether this run opened it (and so closes it)."""
    if isinstance(journal, str | os.PathLike):
        return await Journal.aopen(journal, base_url=base_url), True
    if journal is not None:
        await journal.abind(base_url)
    return journal, False


@asynccontextmanager
async def _session(
    client: SyncClient, records: Records, journal_arg: JournalArg, options: SyncOptions
) -> AsyncIterator[AsyncIterator[SyncOutcome]]:
    journal, owned = await _open_journal(journal_arg, client.base_url)
    engine = _Engine(client, journal, options)
    outcomes = engine.outcomes.read()
    try:
        with _observed(engine) as engine.observed:
            async with anyio.create_task_group() as tg:
                tg.start_soon(engine.admit_all, records)
                try:
                    yield outcomes
                finally:
                    tg.cancel_scope.cancel()  # the block is over: nothing of this sync runs on
    except BaseExceptionGroup as group:
        raise first_error(group) from None
    finally:
        with anyio.CancelScope(shield=True):
            await outcomes.aclose()
            await engine.writer.flush()
            if owned and journal is not None:
                await journal.aclose()


def _observed(engine: _Engine) -> AbstractContextManager[_observe.SyncScope | None]:
    """The observer's scope of this run (its span is current for the run's tasks), if any."""
    observer = _observe.observer
    if observer is None:
        return nullcontext()
    pacer = engine.options.pacer
    rate = None if pacer is None else lambda: pacer.rate
    return observer.sync_run(engine.options.concurrency, rate)


class SyncSession:
    """A sync to run with ``async with``: it gives the outcomes, and ends with the block.

    Leaving the block (at the end, by ``break``, an error or a cancellation) stops whatever is
    still running, commits the journal and closes what the sync opened. An error that stops the
    whole run (a wrong token, a closed client) is raised from the ``async with``.
    """

    def __init__(
        self, client: SyncClient, records: Records, journal: JournalArg, options: SyncOptions
    ) -> None:
        self._context: AbstractAsyncContextManager[AsyncIterator[SyncOutcome]] = _session(
            client, records, journal, options
        )
        self.options = options
        """The settings, with the effective concurrency and window."""

    async def __aenter__(self) -> AsyncIterator[SyncOutcome]:
        return await self._context.__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        return await self._context.__aexit__(exc_type, exc, tb)

    def __aiter__(self) -> NoReturn:
        raise TypeError(
            "sync_patients(...) is used as `async with sync_patients(...) as outcomes:` "
            "then `async for outcome in outcomes:`"
        )


def _sized(client: SyncClient, asked: int | None, window: int | None) -> tuple[int, int]:
    """The concurrency (at most the client's in-flight limit) and the window, checked.

    A concurrency asked for above the client's limit is said with a warning (the default one is
    quietly capped).
    """
    concurrency = DEFAULT_CONCURRENCY if asked is None else asked
    if concurrency < 1:
        raise ConfigurationError("concurrency must be at least 1")
    if window is not None and window < 1:
        raise ConfigurationError("window must be at least 1")
    limit = client.max_in_flight
    if concurrency > limit and asked is not None:
        warnings.warn(
            f"sync concurrency {concurrency} is above the client's max_in_flight {limit}: "
            f"{limit} records run at once (make the client with max_in_flight={concurrency} "
            "for more)",
            RuntimeWarning,
            stacklevel=3,
        )
    concurrency = min(concurrency, limit)
    if window is None:
        window = max(C.SYNC_READ_AHEAD_PER_RECORD * concurrency, C.SYNC_MIN_READ_AHEAD)
    return concurrency, window


def sync_patients(
    client: SyncClient,
    records: Records,
    *,
    concurrency: int | None = None,
    journal: JournalArg = None,
    dry_run: bool = False,
    on_progress: ProgressCallback | None = None,
    window: int | None = None,
    force: bool = False,
    episodes: bool = False,
    pacing: bool = True,
    ordered: bool = False,
) -> SyncSession:
    """Upsert every record into Legit.Health: ``async with`` it for one outcome per record.

    ::

        async with sync_patients(lh, aiter_records("patients.jsonl"), journal="j.db") as outcomes:
            async for outcome in outcomes:
                print(outcome.line, outcome.outcome)

    ``client`` is a :class:`~legithealth_async.LegitHealth` (or anything with its
    :class:`~legithealth_async.flows.protocols.SyncClient` calls). ``records`` is any (async)
    iterable of :class:`PatientRecord` (or :class:`BadRecord` rows from a reader, reported as
    failures), of any length: at most ``window`` records (default
    ``max(8 * concurrency, 256)``) are read ahead of the outcomes yielded, which come as each
    record is done (completion order; ``outcome.line`` says which input line it is), so a slow
    answer costs its own record's slot and nothing else; the source is closed at the end.
    ``ordered=True`` yields them in input order instead (to zip outcomes with inputs), at a
    cost: a record held up by a slow answer or a Retry-After holds back every outcome behind
    it, and once ``window`` records wait behind it, the reading of new ones, so the workers
    idle (measured: a few 5 s answers among 3,000 took a sync to 10% of what the concurrency
    allows; ``benchmarks`` section 7).
    A record is created when Legit.Health does not know its external id, patched with only what
    differs, or left unchanged; a failed record never stops the others (only a wrong token or a
    closed client stops the run, raised from the ``async with``). A server gone stops it too:
    when 20 requests in a row (a batch lookup counts once) failed to reach the server or got a
    5xx, or every one (at least two) that ended over the last 20 seconds did, the ``async with``
    raises
    :class:`~legithealth_async.sync.breaker.ServerUnavailableError`, naming the host and the last
    error; the journal keeps what was done, so the next run resumes.

    ``concurrency`` (default 16) records are worked on at once, at most the client's
    ``max_in_flight`` (above it, the client's limit applies, with a ``RuntimeWarning``: make
    the client with ``max_in_flight`` at least ``concurrency``). A record whose external id was
    given in one of the previous ``max(window, 8192)`` records fails as ``DuplicateRecord``;
    a repeat further apart is synced again (safe: the later record wins), so memory stays flat
    for any input length. With ``pacing`` (the default) the sync finds the server's rate limit
    by itself: once 429s are more than a few in a second, its requests are spaced at a rate
    learnt from them (:class:`~legithealth_async.sync.pacing.RatePacer`) instead of every
    worker retrying on its own; ``session.options.pacer`` tells the rate found.

    ``journal`` (a :class:`Journal` or a path) makes the run resumable: records synced before
    with the same content are skipped without a request (``from_journal=True``); ``force=True``
    looks every record up anyway. ``episodes=True`` also lists each synced record's conditions'
    episodes of care (one request per condition) and journals their ids; a record the journal
    holds without its episode ids is looked up again (not skipped) to fetch them. A row refused
    before any request is journaled as failed, with its reason, when it has a usable external
    id (not a repeated one). ``dry_run`` sends no write (lookups still happen) and writes no
    journal. ``on_progress`` is called with each outcome as it happens (on the event loop).
    """
    concurrency, window = _sized(client, concurrency, window)
    options = SyncOptions(
        concurrency=concurrency,
        window=window,
        dry_run=dry_run,
        force=force,
        episodes=episodes,
        on_progress=on_progress,
        pacer=RatePacer() if pacing else None,
        ordered=ordered,
    )
    return SyncSession(client, records, journal, options)
