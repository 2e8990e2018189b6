"""The sync journal: a SQLite file that makes a sync resumable and maps HRM ids to Legit.Health's.

One row per external id (table ``patients``)::

    external_id   TEXT PRIMARY KEY   the HRM's id
    outcome       TEXT               created | updated | unchanged | failed (the last one)
    content_hash  TEXT               SHA-256 of the canonical record last synced (NULL if failed)
    patient_id    TEXT               Legit.Health's patient id
    condition_ids TEXT               JSON {"EA90@armLeft": "<condition id>", ...}
    episode_ids   TEXT               JSON {"<condition id>": ["<episode id>", ...]} when known
    error         TEXT               the failure's kind (failed rows only)
    line          INTEGER            the record's line in its file, when known
    message       TEXT               the failure's reason, naming fields, never values
    updated_at    TEXT               ISO-8601 UTC time of the last write

and a ``meta`` table (schema version, the base URL the journal belongs to, the last run's
counts). The file is in WAL
mode; writes are batched into transactions, so a process killed at any instant leaves the
journal as of its last commit (a record done but not yet committed is looked up again on the
next run, and found unchanged: nothing is sent twice).

Query it with :meth:`Journal.entries` / :meth:`Journal.get`, export it with
:meth:`Journal.export` (``legithealth journal export JOURNAL --format csv|jsonl``), or open it
with any SQLite tool. ``Journal(path, read_only=True)`` reads a journal while a sync writes it
(``legithealth journal stats`` does): it sees the last commit and never writes or locks it.
The journal holds no personal data beyond the external ids; its files are created ``0600``
(an existing file's mode is left as it is), and the base URL it records never carries
userinfo (a ``user:password@`` part is dropped).

Rows refused while reading the input (:class:`~legithealth_async.sync.BadRecord`) are journaled
as ``failed`` with their reason when they carry a usable external id; a row without one, or a
repeated id (the first one's entry stands), cannot be an entry: :meth:`Journal.last_run` keeps
the last run's counts of every row read, which ``journal stats`` shows next to the entries.

A SQLite failure is one typed :class:`JournalError` naming its class: :class:`JournalFullError`
(disk or database full), :class:`JournalReadOnlyError`, :class:`JournalCorruptError` (not a
journal, corrupt or truncated), :class:`JournalBusyError` (another process holds it). A failed
write leaves the journal as of its last commit, so a sync resumes once the cause is fixed.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import sqlite3
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self, TypeVar

import anyio
import anyio.to_thread

from .. import _constants as C
from ..errors import LegitHealthError
from .outcomes import Outcome

__all__ = [
    "EXPORT_COLUMNS",
    "Journal",
    "JournalBusyError",
    "JournalCorruptError",
    "JournalEntry",
    "JournalError",
    "JournalFullError",
    "JournalMismatchError",
    "JournalReadOnlyError",
    "public_url",
]

T = TypeVar("T")

SCHEMA_VERSION = 2
SUCCESS = frozenset({Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED})
#: The columns of :meth:`Journal.export`, in order.
EXPORT_COLUMNS = (
    "externalId",
    "patientId",
    "outcome",
    "conditionIds",
    "episodeIds",
    "error",
    "line",
    "updatedAt",
    "message",
)
_SQL_CHUNK = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS patients (
    external_id   TEXT PRIMARY KEY,
    outcome       TEXT NOT NULL,
    content_hash  TEXT,
    patient_id    TEXT,
    condition_ids TEXT NOT NULL DEFAULT '{}',
    episode_ids   TEXT NOT NULL DEFAULT '{}',
    error         TEXT,
    line          INTEGER,
    updated_at    TEXT NOT NULL,
    message       TEXT
);
"""
_COLUMNS = (
    "external_id, outcome, content_hash, patient_id, condition_ids, episode_ids, error, line, "
    "updated_at, message"
)


_UPSERT = f"""
INSERT INTO patients ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(external_id) DO UPDATE SET
    outcome = excluded.outcome,
    content_hash = excluded.content_hash,
    patient_id = COALESCE(excluded.patient_id, patients.patient_id),
    condition_ids = CASE WHEN excluded.condition_ids = '{{}}'
        THEN patients.condition_ids ELSE excluded.condition_ids END,
    episode_ids = CASE WHEN excluded.episode_ids = '{{}}'
        THEN patients.episode_ids ELSE excluded.episode_ids END,
    error = excluded.error,
    line = excluded.line,
    updated_at = excluded.updated_at,
    message = excluded.message
"""  # noqa: S608 - the column list is a constant


class JournalMismatchError(LegitHealthError):
    """The journal belongs to another Legit.Health (another base URL) or a newer schema."""


class JournalError(LegitHealthError):
    """SQLite could not read or write the journal; the subclass says why."""


class JournalFullError(JournalError):
    """The disk (or the database's size limit) is full: free space, then resume."""


class JournalReadOnlyError(JournalError):
    """The journal cannot be written (a read-only file, directory or file system)."""


class JournalCorruptError(JournalError):
    """The file is not a journal, or is corrupt or truncated."""


class JournalBusyError(JournalError):
    """Another process holds the journal (another sync on the same file?)."""


#: SQLite's primary result codes -> (error class, what it means).
_SQLITE_ERRORS: dict[int, tuple[type[JournalError], str]] = {
    13: (JournalFullError, "the disk or the database is full"),  # SQLITE_FULL
    8: (JournalReadOnlyError, "it is read-only"),  # SQLITE_READONLY
    23: (JournalReadOnlyError, "access is denied"),  # SQLITE_AUTH
    3: (JournalReadOnlyError, "access is denied"),  # SQLITE_PERM
    14: (JournalReadOnlyError, "it is read-only or cannot be opened"),  # SQLITE_CANTOPEN
    11: (JournalCorruptError, "it is corrupt or truncated"),  # SQLITE_CORRUPT
    26: (JournalCorruptError, "it is not a journal (not a SQLite file)"),  # SQLITE_NOTADB
    5: (JournalBusyError, "another process holds it"),  # SQLITE_BUSY
    6: (JournalBusyError, "another process holds it"),  # SQLITE_LOCKED
    10: (JournalError, "a disk I/O error"),  # SQLITE_IOERR
}


def _journal_error(exc: sqlite3.Error) -> JournalError:
    code = getattr(exc, "sqlite_errorcode", None)
    kind: type[JournalError]
    if (
        code is not None
        and code & 0xFF == 10
        and getattr(exc, "sqlite_errorname", "")
        in (
            "SQLITE_IOERR_WRITE",
            "SQLITE_IOERR_FSYNC",
            "SQLITE_IOERR_TRUNCATE",
        )
    ):
        kind, what = JournalFullError, "the disk is full or failing (a write failed)"
    elif "no such table" in str(exc):
        kind, what = JournalCorruptError, "it is not a journal (no journal tables)"
    else:
        kind, what = _SQLITE_ERRORS.get(
            (code or 0) & 0xFF, (JournalError, "SQLite refused the operation")
        )
    return kind(f"the journal cannot be used: {what}")


@contextlib.contextmanager
def _sqlite_errors() -> Iterator[None]:
    """Turn a ``sqlite3.Error`` into the :class:`JournalError` of its class."""
    try:
        yield
    except sqlite3.Error as exc:
        raise _journal_error(exc) from exc


def public_url(url: str) -> str:
    """``url`` without userinfo (``https://user:pass@host/x`` -> ``https://host/x``)."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _create_private(path: str) -> None:
    """Create the file ``0600`` unless it exists (an existing file's mode is kept)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalEntry:
    """What the journal knows of one external id."""

    external_id: str = field(repr=False)
    outcome: Outcome
    content_hash: str | None = field(default=None, repr=False)
    patient_id: str | None = None
    condition_ids: dict[str, str] = field(default_factory=dict)
    episode_ids: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None
    line: int | None = None
    updated_at: str | None = None
    message: str | None = None

    @property
    def succeeded(self) -> bool:
        """Whether the last sync of this record succeeded (created, updated or unchanged)."""
        return self.outcome in SUCCESS

    def export_row(self) -> dict[str, Any]:
        """The entry as an export row (see :data:`EXPORT_COLUMNS`)."""
        return {
            "externalId": self.external_id,
            "patientId": self.patient_id,
            "outcome": self.outcome,
            "conditionIds": self.condition_ids,
            "episodeIds": self.episode_ids,
            "error": self.error,
            "line": self.line,
            "updatedAt": self.updated_at,
            "message": self.message,
        }


def _entry(row: sqlite3.Row) -> JournalEntry:
    return JournalEntry(
        external_id=row["external_id"],
        outcome=Outcome(row["outcome"]),
        content_hash=row["content_hash"],
        patient_id=row["patient_id"],
        condition_ids=json.loads(row["condition_ids"] or "{}"),
        episode_ids=json.loads(row["episode_ids"] or "{}"),
        error=row["error"],
        line=row["line"],
        updated_at=row["updated_at"],
        message=row["message"] if "message" in row.keys() else None,
    )


class Journal:
    """A sync journal in a SQLite file (``":memory:"`` for a throwaway one).

    Blocking methods (:meth:`get`, :meth:`entries`, :meth:`export`, :meth:`write`) are for
    scripts and the CLI; the sync engine uses the ``a``-prefixed ones, which run the same code in
    a worker thread (one at a time) so the event loop never blocks on the disk. ``base_url``
    binds a new journal to one Legit.Health; opening it for another raises
    :class:`JournalMismatchError` (the skip-if-unchanged shortcut would be wrong there).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        base_url: str | None = None,
        read_only: bool = False,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._lock = threading.Lock()
        self._limiter = anyio.CapacityLimiter(1)
        self._conn: sqlite3.Connection | None = None
        with _sqlite_errors():
            self._conn = self._open(base_url)

    def _open(self, base_url: str | None) -> sqlite3.Connection:
        if self.read_only:
            if not Path(self.path).is_file():
                raise FileNotFoundError(2, "no such journal", self.path)
            uri = f"file:{urllib.parse.quote(os.path.abspath(self.path))}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        else:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                _create_private(self.path)
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute(f"PRAGMA busy_timeout={int(C.SYNC_JOURNAL_BUSY_TIMEOUT_MS)}")
            if self.read_only:
                conn.execute("SELECT COUNT(*) FROM meta").fetchone()  # a journal at all?
            else:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
                self._conn = conn
                self._check_meta(base_url)
        except BaseException:
            conn.close()
            self._conn = None
            raise
        return conn

    def __repr__(self) -> str:
        return f"Journal({self.path!r})"

    def _check_meta(self, base_url: str | None) -> None:
        conn = self._connection()
        meta = {r["key"]: r["value"] for r in conn.execute("SELECT key, value FROM meta")}
        version = int(meta.get("schema_version", SCHEMA_VERSION))
        if version > SCHEMA_VERSION:
            raise JournalMismatchError("the journal was written by a newer legithealth-async")
        with self._transaction(conn):
            if version < 2:  # 1 -> 2: the failure's reason
                columns = {r["name"] for r in conn.execute("PRAGMA table_info(patients)")}
                if "message" not in columns:
                    conn.execute("ALTER TABLE patients ADD COLUMN message TEXT")
            conn.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
            if base_url is not None:
                base_url = public_url(base_url)
                known = meta.get("base_url")
                if known is None:
                    conn.execute("INSERT OR REPLACE INTO meta VALUES ('base_url', ?)", (base_url,))
                elif public_url(known) != base_url:
                    raise JournalMismatchError(
                        "the journal belongs to another Legit.Health base URL; use a new journal"
                    )

    @staticmethod
    @contextlib.contextmanager
    def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
        """One write transaction; a failure rolls back if SQLite has not already done so.

        (After a full disk SQLite may have rolled back itself: a second ROLLBACK would mask
        the real error with "cannot rollback - no transaction is active".)
        """
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("the journal is closed")
        return self._conn

    # -- blocking API ----------------------------------------------------------------------

    @property
    def base_url(self) -> str | None:
        """The base URL this journal belongs to, without userinfo (None until a sync wrote it)."""
        with self._lock, _sqlite_errors():
            row = (
                self._connection()
                .execute("SELECT value FROM meta WHERE key = 'base_url'")
                .fetchone()
            )
        return None if row is None else public_url(str(row["value"]))

    def get(self, external_id: str) -> JournalEntry | None:
        """The entry of one external id, or None."""
        return self.get_many([external_id]).get(external_id)

    def get_many(self, external_ids: Sequence[str]) -> dict[str, JournalEntry]:
        """The entries of these external ids (absent ids are absent from the answer)."""
        out: dict[str, JournalEntry] = {}
        with self._lock, _sqlite_errors():
            conn = self._connection()
            for start in range(0, len(external_ids), _SQL_CHUNK):
                chunk = list(external_ids[start : start + _SQL_CHUNK])
                marks = ",".join("?" * len(chunk))
                query = f"SELECT * FROM patients WHERE external_id IN ({marks})"  # noqa: S608
                for row in conn.execute(query, chunk):
                    out[row["external_id"]] = _entry(row)
        return out

    def entries(self, *, outcome: str | None = None) -> Iterator[JournalEntry]:
        """Every entry (optionally of one outcome), by external id, read in pages."""
        last = ""
        while True:
            with self._lock, _sqlite_errors():
                conn = self._connection()
                if outcome is None:
                    rows = conn.execute(
                        "SELECT * FROM patients WHERE external_id > ? ORDER BY external_id LIMIT ?",
                        (last, _SQL_CHUNK),
                    ).fetchall()
                else:
                    rows = conn.execute(
                        "SELECT * FROM patients WHERE external_id > ? AND outcome = ? "
                        "ORDER BY external_id LIMIT ?",
                        (last, outcome, _SQL_CHUNK),
                    ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _entry(row)
            last = rows[-1]["external_id"]

    def counts(self) -> dict[str, int]:
        """How many entries have each outcome."""
        with self._lock, _sqlite_errors():
            rows = (
                self._connection()
                .execute("SELECT outcome, COUNT(*) AS n FROM patients GROUP BY outcome")
                .fetchall()
            )
        return {r["outcome"]: int(r["n"]) for r in rows}

    def patient_id(self, external_id: str) -> str | None:
        """Legit.Health's patient id for an HRM id, when the journal learned it."""
        entry = self.get(external_id)
        return None if entry is None else entry.patient_id

    def write(self, entries: Iterable[JournalEntry]) -> int:
        """Upsert entries in one transaction; returns how many.

        A failed entry keeps the ids learned earlier (the patient did not vanish).
        """
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        rows = [
            (
                e.external_id,
                Outcome(e.outcome).value,
                e.content_hash,
                e.patient_id,
                json.dumps(e.condition_ids, sort_keys=True),
                json.dumps(e.episode_ids, sort_keys=True),
                e.error,
                e.line,
                e.updated_at or now,
                e.message,
            )
            for e in entries
        ]
        if not rows:
            return 0
        with self._lock, _sqlite_errors():
            conn = self._connection()
            with self._transaction(conn):
                conn.executemany(_UPSERT, rows)
        return len(rows)

    def note_run(self, rows: int, counts: Mapping[str, int]) -> None:
        """Keep the counts of a run's rows read and outcomes (see :meth:`last_run`)."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        value = json.dumps({"rows": rows, "outcomes": dict(counts), "finished_at": now})
        with self._lock, _sqlite_errors():
            conn = self._connection()
            with self._transaction(conn):
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('last_run', ?)", (value,))

    def last_run(self) -> dict[str, Any] | None:
        """The last run's ``{"rows": n, "outcomes": {...}, "finished_at": ...}``, if kept.

        The entries hold one row per external id; the last run's counts also hold the rows
        that could not be entries (no usable external id, a repeated one).
        """
        with self._lock, _sqlite_errors():
            row = (
                self._connection()
                .execute("SELECT value FROM meta WHERE key = 'last_run'")
                .fetchone()
            )
        return None if row is None else dict(json.loads(row["value"]))

    def export(self, out: IO[str], fmt: str = "jsonl", *, outcome: str | None = None) -> int:
        """Write every entry to ``out`` as ``jsonl`` or ``csv``; returns how many rows.

        Columns: :data:`EXPORT_COLUMNS` (``conditionIds``/``episodeIds`` as JSON in CSV).
        """
        if fmt not in ("jsonl", "csv"):
            raise ValueError("format must be 'jsonl' or 'csv'")
        count = 0
        writer = None
        if fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
            writer.writeheader()
        for entry in self.entries(outcome=outcome):
            row = entry.export_row()
            if writer is not None:
                row["conditionIds"] = json.dumps(row["conditionIds"], sort_keys=True)
                row["episodeIds"] = json.dumps(row["episodeIds"], sort_keys=True)
                writer.writerow(row)
            else:
                out.write(json.dumps(row, sort_keys=False) + "\n")
            count += 1
        return count

    def integrity_check(self) -> bool:
        """SQLite's ``PRAGMA integrity_check`` says ok."""
        with self._lock, _sqlite_errors():
            row = self._connection().execute("PRAGMA integrity_check").fetchone()
        return bool(row is not None and row[0] == "ok")

    def close(self) -> None:
        """Close the file (idempotent)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- async API (worker thread) ---------------------------------------------------------

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(func, *args, limiter=self._limiter)

    @classmethod
    async def aopen(
        cls, path: str | os.PathLike[str], *, base_url: str | None = None, read_only: bool = False
    ) -> Journal:
        """Open (or create) a journal without blocking the event loop."""
        return await anyio.to_thread.run_sync(
            lambda: cls(path, base_url=base_url, read_only=read_only)
        )

    async def abind(self, base_url: str) -> None:
        """Bind the journal to ``base_url`` (or check it is bound to it), off the event loop."""
        await self._run(self._bind, base_url)

    def _bind(self, base_url: str) -> None:
        if self.read_only:
            raise JournalReadOnlyError("the journal was opened read-only: a sync cannot write it")
        with self._lock, _sqlite_errors():
            self._check_meta(base_url)

    async def aget_many(self, external_ids: Sequence[str]) -> dict[str, JournalEntry]:
        """:meth:`get_many` in a worker thread."""
        return await self._run(self.get_many, list(external_ids))

    async def awrite(self, entries: Sequence[JournalEntry]) -> int:
        """:meth:`write` in a worker thread (shielded: a cancelled sync still commits)."""
        count = 0
        with anyio.CancelScope(shield=True):
            count = await self._run(self.write, list(entries))
        return count

    async def anote_run(self, rows: int, counts: Mapping[str, int]) -> None:
        """:meth:`note_run` in a worker thread."""
        await self._run(self.note_run, rows, dict(counts))

    async def aclose(self) -> None:
        """:meth:`close` in a worker thread."""
        with anyio.CancelScope(shield=True):
            await self._run(self.close)
