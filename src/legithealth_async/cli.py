"""``legithealth``: the command line (the only module of this package that prints).

::

    legithealth sync FILE [--concurrency N] [--journal PATH] [--dry-run] [--report PATH]
                          [--token-file PATH | --token T] [--base-url URL]
                          [--sandbox [--sandbox-faults [SPEC]]]
    legithealth journal export JOURNAL [--format csv|jsonl] [--output PATH] [--outcome O]
    legithealth journal stats JOURNAL
    legithealth sandbox [--port 8000] [--fault OP:key=value,...] ...

``sync`` pushes a ``.jsonl`` or ``.csv`` file of patients (formats in
:mod:`legithealth_async.sync.records`) to Legit.Health: each record is created, patched or left
unchanged. The token comes from ``LEGITHEALTH_API_TOKEN`` (preferred), or ``--token-file PATH``
(the file's text less one trailing newline; a directory or an empty file is refused with exit 2,
and the content is never shown); ``--token T`` works too, but puts the token in the process list,
where other users of the machine can read it. The base URL comes from ``--base-url`` or
``LEGITHEALTH_BASE_URL``. The journal (default
``FILE.journal.sqlite``; in memory with ``--sandbox``) makes a run resumable and maps HRM ids to
Legit.Health ids. ``--report`` writes every failure as a JSON line (line, externalId, error,
message), atomically (a temporary file renamed when the run ends). A report or journal path
that is the input file (or the other one) is refused before anything is opened. Journal and
report files are created ``0600``. SIGTERM is handled like Ctrl-C: no more records are
admitted, the journal is committed, the run says so and exits 3.

Exit codes (also in ``legithealth sync --help``)::

    0  every record synced              4  disk full (journal or report)
    1  some records failed              5  the journal is read-only or cannot be opened
    2  bad usage or input               6  the journal is corrupt, truncated or not a journal
    3  stopped (wrong token, Ctrl-C,    7  the journal is busy (another sync holds it)
       SIGTERM)

Progress goes to stderr (a rich progress bar on a terminal, a plain line every few seconds
otherwise); the summary goes to stdout. Nothing printed carries personal data: failures on the
terminal show line numbers and reasons only.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import anyio

from . import _constants as C
from ._retry import RetryPolicy
from ._version import __version__
from .client import LegitHealth
from .errors import ConfigurationError, LegitHealthError
from .pagination import first_error
from .sync import (
    Journal,
    JournalMismatchError,
    Outcome,
    RecordSource,
    SyncOutcome,
    SyncSummary,
    aiter_records,
    sync_patients,
)
from .sync.journal import (
    JournalBusyError,
    JournalCorruptError,
    JournalError,
    JournalFullError,
    JournalReadOnlyError,
)

if TYPE_CHECKING:
    from .fhir import FhirExport, FhirOptions
    from .sandbox import Sandbox

__all__ = ["SyncOptions", "echo", "main", "run_sync"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 3
EXIT_DISK_FULL, EXIT_JOURNAL_READONLY, EXIT_JOURNAL_CORRUPT, EXIT_JOURNAL_BUSY = 4, 5, 6, 7
#: A journal error's exit code (any other JournalError: EXIT_JOURNAL_READONLY's "cannot use").
_JOURNAL_EXIT: dict[type[JournalError], int] = {
    JournalFullError: EXIT_DISK_FULL,
    JournalReadOnlyError: EXIT_JOURNAL_READONLY,
    JournalCorruptError: EXIT_JOURNAL_CORRUPT,
    JournalBusyError: EXIT_JOURNAL_BUSY,
}
EXIT_CODES_HELP = (
    "exit codes: 0 every record synced; 1 some records failed; 2 bad usage or input; "
    "3 stopped (wrong token, server unreachable, Ctrl-C or SIGTERM: the journal keeps what "
    "was committed); "
    "4 disk full (journal or report); 5 the journal is read-only or cannot be opened; "
    "6 the journal is corrupt, truncated or not a journal; 7 the journal is busy "
    "(another sync holds it). After 4-7, fix the cause and run the same command: it resumes."
)
#: ``--sandbox-faults`` without a value: some 503s and some connections dropped after the effect.
LIGHT_FAULTS = "*:error_rate=0.03,status=503,drop_after_rate=0.02,retry_after=none"
_PLAIN_EVERY_S = 2.0
_SHOWN_FAILURES = 10


def echo(text: str = "", *, err: bool = False) -> None:
    """Print a line to stdout (or stderr)."""
    print(text, file=sys.stderr if err else sys.stdout, flush=True)


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(text: object) -> str:
    """``text`` with every control character escaped (``\\x1b``): what a server or a file
    says can never move the cursor, recolour or rewrite the terminal."""
    return _CONTROL.sub(lambda m: ascii(m.group())[1:-1], str(text))


# ------------------------------------------------------------------------------- progress


def _count_rows(path: Path) -> int | None:
    """Lines in the file (minus a CSV header): the progress bar's total, an estimate."""
    try:
        lines = 0
        last = b"\n"
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        if last != b"\n":
            lines += 1
    except OSError:
        return None
    return max(lines - (1 if path.suffix.lower() == ".csv" else 0), 0)


def _counts_text(summary: SyncSummary) -> str:
    return "  ".join(f"{o.value} {summary.counts[o]}" for o in Outcome)


_SHORT = {Outcome.CREATED: "new", Outcome.UPDATED: "upd", Outcome.UNCHANGED: "same"}


def _short_counts(summary: SyncSummary) -> str:
    parts = [f"{name} {summary.counts[o]}" for o, name in _SHORT.items()]
    failed = summary.counts[Outcome.FAILED]
    parts.append(f"[red]failed {failed}[/]" if failed else "failed 0")
    return " ".join(parts)


class _Progress:
    """Progress on stderr: rich's bar on a terminal, else a plain line every few seconds."""

    def __init__(self, total: int | None, label: str, mode: str) -> None:
        self.summary = SyncSummary()
        self.total = total
        self.label = label
        self._last_plain = time.monotonic()
        self._rich: Any = None
        self._task: Any = None
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "plain"
        if mode == "bar":
            try:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeRemainingColumn,
                )
            except ImportError:  # the cli extra is not installed
                mode = "plain"
            else:
                self._rich = Progress(
                    BarColumn(bar_width=16),
                    MofNCompleteColumn(),
                    TextColumn("{task.fields[counts]}"),
                    TextColumn("{task.fields[rate]}"),
                    TextColumn("ETA"),
                    TimeRemainingColumn(),
                    console=Console(stderr=True),
                    transient=False,
                )
        self.mode = mode

    def __enter__(self) -> _Progress:
        if self._rich is not None:
            self._rich.console.print(f"[bold]{self.label}[/]")
            self._rich.start()
            self._task = self._rich.add_task(
                self.label, total=self.total, counts=_short_counts(self.summary), rate=""
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self.summary.finish()
        if self._rich is not None:
            total = max(self.total or 0, self.summary.total)
            self._rich.update(
                self._task,
                total=total,
                completed=self.summary.total,
                counts=_short_counts(self.summary),
                rate=f"{self.summary.rate:,.0f}/s",
            )
            self._rich.stop()
        elif self.mode == "plain":
            self._plain()

    def __call__(self, outcome: SyncOutcome) -> None:
        self.summary.add(outcome)
        if self._rich is not None:
            self._rich.update(
                self._task,
                advance=1,
                counts=_short_counts(self.summary),
                rate=f"{self.summary.rate:,.0f}/s",
            )
        elif self.mode == "plain" and time.monotonic() - self._last_plain >= _PLAIN_EVERY_S:
            self._last_plain = time.monotonic()
            self._plain()

    def _plain(self) -> None:
        s = self.summary
        done = f"{s.total}/{self.total}" if self.total else str(s.total)
        eta = ""
        if self.total and s.rate > 0 and s.total < self.total:
            eta = f", ETA {(self.total - s.total) / s.rate:,.0f}s"
        echo(
            f"{self.label}: {done} records ({_counts_text(s)}), {s.rate:,.0f}/s{eta}",
            err=True,
        )


class _RowCount:
    """The rows a reader yielded: the summary shows them next to the outcomes."""

    def __init__(self) -> None:
        self.rows = 0

    async def counted(
        self, source: AsyncGenerator[RecordSource, None]
    ) -> AsyncGenerator[RecordSource, None]:
        """``source``, counting its rows, closed when done (or abandoned)."""
        async with contextlib.aclosing(source):
            async for item in source:
                self.rows += 1
                yield item


def _summary_table(
    summary: SyncSummary, title: str, failures: list[SyncOutcome], rows_read: int
) -> None:
    rows = [(o.value, summary.counts[o]) for o in Outcome]
    extra = f" ({summary.from_journal} skipped by the journal)" if summary.from_journal else ""
    echo(f"{rows_read} rows read, {summary.total} outcomes")
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        echo(f"{title}: {summary.total} records in {summary.elapsed:.1f}s{extra}")
        for name, count in rows:
            echo(f"  {name:<10} {count:>8}")
    else:
        echo(title)
        table = Table()
        table.add_column("outcome")
        table.add_column("records", justify="right")
        for name, count in rows:
            table.add_row(name, f"{count:,}")
        table.add_row("[bold]total", f"[bold]{summary.total:,}")
        console = Console(file=sys.stdout)
        console.print(table)
        echo(f"{summary.elapsed:.1f}s, {summary.rate:,.0f} records/s{extra}")
    for outcome in failures[:_SHOWN_FAILURES]:
        where = f"line {outcome.line}" if outcome.line is not None else "record"
        reason = outcome.reason
        if reason is not None:
            echo(f"  failed: {where}: {printable(reason.error)}: {printable(reason.message)}")
    if summary.failed > _SHOWN_FAILURES:
        echo(f"  ... and {summary.failed - _SHOWN_FAILURES} more failures")


# ------------------------------------------------------------------------------------ sync


@dataclass(slots=True, kw_only=True)
class SyncOptions:
    """What ``legithealth sync`` was asked to do."""

    file: Path
    fmt: str | None = None
    concurrency: int = 16
    journal: Path | None = None
    dry_run: bool = False
    force: bool = False
    episodes: bool = False
    report: Path | None = None
    token: str | None = field(default=None, repr=False)
    base_url: str | None = None
    progress: str = "auto"
    title: str = "sync"
    fhir: FhirOptions | None = None


def _sandbox_client(sandbox: Sandbox, max_in_flight: int) -> LegitHealth:
    return LegitHealth(
        api_token=sandbox.token,
        base_url=sandbox.base_url,
        transport=sandbox.transport(),
        retry_policy=RetryPolicy(initial=0.05, maximum=1.0),
        max_in_flight=max_in_flight,
    )


class _Report:
    """An output file written to a 0600 temporary file and renamed over ``path`` at the end:
    the path never holds half a file, and a crash leaves any earlier one whole."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        self._temp = Path(temp)
        self._file = os.fdopen(fd, "w", encoding="utf-8", newline="")

    @property
    def file(self) -> IO[str]:
        """The temporary file being written."""
        return self._file

    def write(self, outcome: SyncOutcome) -> None:
        """One failure as a JSON line (control characters escaped by JSON)."""
        self._file.write(json.dumps(outcome.report_row()) + "\n")

    def __enter__(self) -> _Report:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.close(keep=exc_type is None)

    def close(self, *, keep: bool) -> None:
        """Flush and rename into place (``keep``), or drop the temporary file."""
        try:
            self._file.close()
            if keep:
                os.replace(self._temp, self.path)
        finally:
            self._temp.unlink(missing_ok=True)


async def _sync(options: SyncOptions, client: LegitHealth) -> SyncSummary:
    failures: list[SyncOutcome] = []
    journal = await Journal.aopen(options.journal or ":memory:", base_url=client.base_url)
    report: _Report | None = None
    count = _RowCount()
    label = f"{options.title}{' (dry run)' if options.dry_run else ''}"
    try:
        if options.report is not None:
            report = await anyio.to_thread.run_sync(_Report, options.report)
        export = await _fhir_export(options)
        total = None if export else await anyio.to_thread.run_sync(_count_rows, options.file)
        source = export.records() if export else aiter_records(options.file, options.fmt)
        records = count.counted(source)
        with _Progress(total, label, options.progress) as progress:
            async with (
                contextlib.aclosing(records),
                sync_patients(
                    client,
                    records,
                    concurrency=options.concurrency,
                    journal=journal,
                    dry_run=options.dry_run,
                    force=options.force,
                    episodes=options.episodes,
                    on_progress=progress,
                ) as stream,
            ):
                async for outcome in stream:
                    if export is not None:
                        outcome = export.annotate(outcome)
                    if outcome.failed:
                        if len(failures) < _SHOWN_FAILURES:
                            failures.append(outcome)
                        if report is not None:
                            report.write(outcome)
        if not options.dry_run:
            await journal.anote_run(
                count.rows, {o.value: n for o, n in progress.summary.counts.items()}
            )
    finally:
        with anyio.CancelScope(shield=True):
            try:
                if report is not None:
                    await anyio.to_thread.run_sync(lambda: report.close(keep=True))
            finally:
                await journal.aclose()
    _summary_table(progress.summary, f"{label}: {options.file.name}", failures, count.rows)
    for line in export.stats.lines() if export else ():
        echo(line)
    return progress.summary


async def _fhir_export(options: SyncOptions) -> FhirExport | None:
    """The FHIR export ``--format fhir`` reads (None for JSONL and CSV)."""
    if options.fmt != "fhir":
        return None
    from .fhir import FhirExport

    return await anyio.to_thread.run_sync(FhirExport, options.file, options.fhir)


async def _stop_on_signals(scope: anyio.CancelScope, caught: list[str]) -> None:
    """Cancel ``scope`` on SIGINT or SIGTERM (a container's stop), noting which came."""
    try:
        receiver = anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM)
        with receiver as signals:
            async for signum in signals:
                caught.append(signal.Signals(signum).name)
                scope.cancel()
                return
    except (NotImplementedError, ValueError, RuntimeError):  # no signals here (not main thread)
        await anyio.sleep_forever()


async def _run_stoppable(options: SyncOptions, client: LegitHealth) -> SyncSummary | str:
    """The sync, or the name of the signal that stopped it (the journal committed first)."""
    caught: list[str] = []
    summary: SyncSummary | None = None
    with anyio.CancelScope() as scope:
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(_stop_on_signals, scope, caught)
                summary = await _sync(options, client)
                tg.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            raise first_error(group) from None
    if summary is None:
        return caught[0] if caught else "a cancellation"
    return summary


def _error_exit(exc: BaseException) -> int:
    """Say what stopped the run in one line; its exit code."""
    if isinstance(exc, JournalError):
        echo(f"error: {printable(exc)}", err=True)
        code = next((c for k, c in _JOURNAL_EXIT.items() if isinstance(exc, k)), None)
        return code if code is not None else EXIT_JOURNAL_READONLY
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        echo(f"error: the disk is full: {printable(exc.filename or '')}".rstrip(": "), err=True)
        return EXIT_DISK_FULL
    if isinstance(exc, BrokenPipeError):
        return _pipe_closed()
    if isinstance(exc, ValueError | OSError | JournalMismatchError):
        echo(f"error: {printable(_file_error(exc))}", err=True)
        return EXIT_USAGE
    echo(f"error: the sync stopped: {printable(exc)}", err=True)
    return EXIT_STOPPED


async def run_sync(options: SyncOptions, *, sandbox: Sandbox | None = None) -> int:
    """Run one ``legithealth sync`` (against ``sandbox`` in-process when given); the exit code.

    Prints progress (stderr) and the summary (stdout). SIGINT and SIGTERM stop it cleanly.
    """
    max_in_flight = max(C.DEFAULT_MAX_IN_FLIGHT, options.concurrency)  # all of it runs
    try:
        if sandbox is not None:
            client = _sandbox_client(sandbox, max_in_flight)
        else:
            client = LegitHealth(
                api_token=options.token, base_url=options.base_url, max_in_flight=max_in_flight
            )
    except LegitHealthError as exc:
        echo(f"error: {printable(exc)}", err=True)
        return EXIT_USAGE
    async with client:
        try:
            result = await _run_stoppable(options, client)
        except (ValueError, OSError, LegitHealthError) as exc:
            return _error_exit(exc)
    if isinstance(result, str):
        echo(
            f"interrupted ({result}): no more records admitted; the journal holds every "
            "record committed so far: run the same command to resume",
            err=True,
        )
        return EXIT_STOPPED
    if options.journal is not None:
        echo(f"journal: {options.journal}")
    if options.report is not None:
        plural = "" if result.failed == 1 else "s"
        echo(f"report:  {options.report} ({result.failed} failure{plural})")
    return EXIT_FAILED if result.failed else EXIT_OK


def _file_error(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"{exc.strerror or type(exc).__name__}: {exc.filename or ''}".rstrip(": ")
    return str(exc)


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (resolved, or the same inode when both exist)."""
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _clashing_paths(file: Path, journal: Path | None, report: Path | None) -> str | None:
    """Why these paths would destroy one another's file, or None."""
    named = [("the input file", file)]
    if journal is not None:
        named += [("the journal", journal)]
        named += [("the journal", Path(f"{journal}{s}")) for s in ("-wal", "-shm")]
    if report is not None:
        named.append(("the report", report))
    for i, (name_a, a) in enumerate(named):
        for name_b, b in named[i + 1 :]:
            if name_a != name_b and _same_file(a, b):
                return f"{name_b} would overwrite {name_a}: give another path"
    return None


def _make_sandbox(faults: str | None) -> Sandbox:
    from .sandbox import FaultPlan, Sandbox, parse_fault_option

    sandbox = Sandbox(seed=0)
    if faults:
        for spec in faults.split(";"):
            operation, plan = parse_fault_option(spec)
            assert isinstance(plan, FaultPlan)
            sandbox.faults.set(operation, plan)
    return sandbox


def _read_token_file(path: Path) -> str:
    """The API token in ``path``: its text less one trailing line ending (``\\n`` or ``\\r\\n``).

    Raises :class:`~legithealth_async.errors.ConfigurationError` (one line that names the path,
    never the content) for a directory, an unreadable, oversized, non-UTF-8 or empty file.
    """
    where = f"--token-file {printable(path)}"
    if path.is_dir():
        raise ConfigurationError(f"{where}: is a directory, not a token file")
    try:
        with path.open("rb") as file:
            data = file.read(C.TOKEN_FILE_MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigurationError(f"{where}: {exc.strerror or type(exc).__name__}") from None
    if len(data) > C.TOKEN_FILE_MAX_BYTES:
        raise ConfigurationError(f"{where}: over {C.TOKEN_FILE_MAX_BYTES} bytes, not a token")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigurationError(f"{where}: is not UTF-8 text") from None
    token = text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
    if not token:
        raise ConfigurationError(f"{where}: is empty")
    return token


def _sandbox_for(args: argparse.Namespace, journal: Path | None) -> Sandbox | None:
    """The embedded sandbox ``--sandbox`` asks for (None without it); usage errors raised."""
    if not args.sandbox:
        if args.sandbox_faults:
            raise ConfigurationError("--sandbox-faults needs --sandbox")
        return None
    if journal is not None and journal.exists() and journal.stat().st_size > 0:
        raise ConfigurationError(
            "the embedded sandbox starts empty on every run, so a journal of an "
            "earlier run would skip records it no longer has: give a new --journal path"
        )
    try:
        return _make_sandbox(args.sandbox_faults)
    except ImportError:
        raise ConfigurationError(
            "--sandbox needs: pip install 'legithealth-async[sandbox]'"
        ) from None
    except ValueError as exc:
        raise ConfigurationError(f"--sandbox-faults: {exc}") from None


def _sync_setup(args: argparse.Namespace) -> tuple[SyncOptions, Sandbox | None]:
    """What ``legithealth sync`` was asked, checked before anything is opened or sent.

    Raises :class:`~legithealth_async.errors.ConfigurationError` for bad usage.
    """
    file = Path(args.file)
    if file.is_dir() and args.format in (None, "fhir"):
        args.format = "fhir"  # a folder is a FHIR export (Bulk Data NDJSON or Bundles)
    elif not file.is_file():
        raise ConfigurationError(f"no such file: {printable(file)}")
    journal: Path | None = Path(args.journal) if args.journal else None
    if journal is None and not args.no_journal and not args.sandbox:
        journal = file.with_name(file.name + ".journal.sqlite")
    report = Path(args.report) if args.report else None
    clash = _clashing_paths(file, journal, report)
    if clash is not None:
        raise ConfigurationError(clash)
    token = args.token if args.token_file is None else _read_token_file(Path(args.token_file))
    sandbox = _sandbox_for(args, journal)
    if sandbox is None and token is None and not os.environ.get(C.ENV_API_TOKEN):
        raise ConfigurationError(
            f"no API token: set ${C.ENV_API_TOKEN}, or give --token-file PATH "
            "(a file holding the token)"
        )
    options = SyncOptions(
        file=file,
        fmt=args.format,
        concurrency=args.concurrency,
        journal=journal,
        dry_run=args.dry_run,
        force=args.force,
        episodes=args.episodes,
        report=report,
        token=token,
        base_url=args.base_url,
        progress=args.progress,
    )
    if args.format == "fhir":
        from .fhir.cli_options import options_from

        options.fhir = options_from(args)
    return options, sandbox


def _sync_command(args: argparse.Namespace) -> int:
    try:
        options, sandbox = _sync_setup(args)
        shutdown = _telemetry_export() if args.otel else None
    except ConfigurationError as exc:
        echo(f"error: {exc}", err=True)
        return EXIT_USAGE
    try:
        return anyio.run(lambda: run_sync(options, sandbox=sandbox))
    except KeyboardInterrupt:
        echo("interrupted: the journal holds every record committed so far", err=True)
        return EXIT_STOPPED
    finally:
        if shutdown is not None:
            shutdown()


def _telemetry_export() -> Callable[[], None]:
    """``--otel``: the run's traces and metrics exported as the ``OTEL_*`` variables say."""
    from .telemetry._export import export_from_environment

    return export_from_environment()


# --------------------------------------------------------------------------------- journal


def _journal_stats(journal: Journal, path: Path) -> None:
    counts = journal.counts()
    echo(f"journal: {path} (Legit.Health: {printable(journal.base_url or 'unknown')})")
    echo("  entries (one per external id):")
    for name in (o.value for o in Outcome):
        echo(f"    {name:<10} {counts.get(name, 0):>8}")
    echo(f"    {'total':<10} {sum(counts.values()):>8}")
    last = journal.last_run()
    if last is not None:
        outcomes = last.get("outcomes", {})
        shown = "  ".join(f"{o.value} {int(outcomes.get(o.value, 0))}" for o in Outcome)
        echo(
            f"  last run ({printable(last.get('finished_at', '?'))}): "
            f"{int(last.get('rows', 0))} rows read: {shown}"
        )
        echo("    (rows without a usable externalId and repeated ids are in the run's counts,")
        echo("     not entries)")


def _journal_command(args: argparse.Namespace) -> int:
    path = Path(args.journal)
    if not path.is_file():
        echo(f"error: no such journal: {path}", err=True)
        return EXIT_USAGE
    output = Path(args.output) if getattr(args, "output", None) not in (None, "-") else None
    if output is not None and _same_file(path, output):
        echo("error: the export would overwrite the journal: give another path", err=True)
        return EXIT_USAGE
    try:
        # Read-only: safe while a sync writes the journal, and never changes it.
        with Journal(path, read_only=True) as journal:
            if args.action == "stats":
                _journal_stats(journal, path)
                return EXIT_OK
            if output is not None:
                with _Report(output) as out:  # atomic, 0600: it holds external ids
                    n = journal.export(out.file, args.format, outcome=args.outcome)
                echo(f"{n} entries written to {output}", err=True)
            else:
                journal.export(sys.stdout, args.format, outcome=args.outcome)
    except (OSError, ValueError, LegitHealthError) as exc:
        return _error_exit(exc)
    return EXIT_OK


# ---------------------------------------------------------------------------------- parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="legithealth",
        description="Legit.Health integration: bulk patient sync, its journal, and a sandbox.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sync = sub.add_parser(
        "sync",
        help="create or update every patient of a .jsonl or .csv file",
        description=(
            "Create, patch or leave unchanged each patient of FILE on Legit.Health. Token: "
            f"${C.ENV_API_TOKEN} (preferred), or --token-file; base URL: --base-url or "
            f"${C.ENV_BASE_URL}. CSV columns: "
            "externalId,firstName,lastName,email,phone,birthDate,gender,language,conditions "
            "(conditions: 'EA90@armLeft;ED80@headFront:tracked:2w'). "
            "SIGTERM is handled like Ctrl-C."
        ),
        epilog=EXIT_CODES_HELP,
    )
    sync.add_argument("file", metavar="FILE", help="patients: .jsonl, .csv, or a FHIR export")
    sync.add_argument(
        "--format",
        choices=["jsonl", "csv", "fhir"],
        help="default: from the file name (a folder: fhir)",
    )
    sync.add_argument(
        "--otel",
        action="store_true",
        help="export the run's traces and metrics as the OTEL_* variables say (OTLP by "
        "default; needs legithealth-async[otel-export])",
    )
    sync.add_argument(
        "--concurrency",
        type=_positive,
        default=C.SYNC_CONCURRENCY,
        help=f"records in flight at once ({C.SYNC_CONCURRENCY})",
    )
    sync.add_argument(
        "--journal",
        metavar="PATH",
        help="SQLite journal for resuming and the id map (default: FILE.journal.sqlite)",
    )
    sync.add_argument("--no-journal", action="store_true", help="keep no journal")
    sync.add_argument(
        "--dry-run", action="store_true", help="look up and decide, send no write, keep no journal"
    )
    sync.add_argument(
        "--force", action="store_true", help="look up every record, even those the journal skips"
    )
    sync.add_argument(
        "--episodes",
        action="store_true",
        help=(
            "also journal each condition's episode-of-care ids (one request per condition); "
            "a record the journal holds without them is looked up again to fetch them"
        ),
    )
    sync.add_argument(
        "--report", metavar="PATH", help="write each failure as a JSON line (line, id, reason)"
    )
    token = sync.add_mutually_exclusive_group()
    token.add_argument(
        "--token-file",
        metavar="PATH",
        help="read the API token from this file (one trailing newline is ignored)",
    )
    token.add_argument(
        "--token",
        metavar="T",
        help=(
            "API token; visible to other users of this machine (process list, e.g. ps): "
            f"prefer ${C.ENV_API_TOKEN} (the default) or --token-file"
        ),
    )
    sync.add_argument("--base-url", help=f"API base URL (default: ${C.ENV_BASE_URL} or production)")
    sync.add_argument(
        "--sandbox",
        action="store_true",
        help="sync into an embedded, in-memory sandbox (journal in memory unless --journal)",
    )
    sync.add_argument(
        "--sandbox-faults",
        nargs="?",
        const=LIGHT_FAULTS,
        metavar="OP:KEY=VALUE,...[;...]",
        help="inject faults into the sandbox (no value: some 503s and dropped connections)",
    )
    sync.add_argument(
        "--progress",
        choices=["auto", "bar", "plain", "none"],
        default="auto",
        help="progress bar on a terminal, plain lines otherwise (auto)",
    )
    from .fhir.cli_options import add_arguments as add_fhir_arguments

    add_fhir_arguments(sync)

    journal = sub.add_parser("journal", help="read a sync journal (the HRM↔Legit.Health id map)")
    jsub = journal.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = jsub.add_parser(
        "export",
        help="every entry as csv or jsonl",
        description=(
            "Columns: externalId, patientId, outcome, conditionIds, episodeIds, error, line, "
            "updatedAt."
        ),
    )
    export.add_argument("journal", metavar="JOURNAL")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--output", "-o", metavar="PATH", help="default: stdout")
    export.add_argument(
        "--outcome", choices=[o.value for o in Outcome], help="only entries with this outcome"
    )
    stats = jsub.add_parser(
        "stats",
        help="entries by outcome, and the last run's rows (read-only: safe during a sync)",
        epilog=EXIT_CODES_HELP,
    )
    stats.add_argument("journal", metavar="JOURNAL")

    sub.add_parser("sandbox", help="serve a sandbox on loopback (see: legithealth sandbox -h)")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "sync": _sync_command,
    "journal": _journal_command,
}


def main(argv: Sequence[str] | None = None) -> int:
    """The ``legithealth`` console script; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "sandbox":
        try:
            from .sandbox import main as sandbox_main
        except ImportError:
            echo("error: the sandbox needs: pip install 'legithealth-async[sandbox]'", err=True)
            return EXIT_USAGE
        return sandbox_main(args_list[1:])
    parser = _parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        return COMMANDS[args.command](args)
    except BrokenPipeError:
        return _pipe_closed()


def _pipe_closed() -> int:
    """Stdout's reader left (``legithealth journal export J | head``): a normal end for a
    filter, so exit 0 quietly, with stdout pointed at devnull so the interpreter's last flush
    at exit has nowhere to fail (the way Python's documentation of SIGPIPE advises)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return EXIT_OK


def _entry() -> None:  # pragma: no cover - python -m legithealth_async.cli
    sys.exit(main())


if __name__ == "__main__":
    _entry()
