"""``legithealth``: the command line (the only module of this package that prints).

::

    legithealth sync FILE [--concurrency N] [--journal PATH] [--dry-run] [--report PATH]
                          [--token T] [--base-url URL] [--sandbox [--sandbox-faults [SPEC]]]
    legithealth journal export JOURNAL [--format csv|jsonl] [--output PATH] [--outcome O]
    legithealth journal stats JOURNAL
    legithealth sandbox [--port 8000] [--fault OP:key=value,...] ...

``sync`` pushes a ``.jsonl`` or ``.csv`` file of patients (formats in
:mod:`legithealth_async.sync.records`) to Legit.Health: each record is created, patched or left
unchanged. The token and base URL come from ``--token`` / ``--base-url`` or from
``LEGITHEALTH_API_TOKEN`` / ``LEGITHEALTH_BASE_URL``. The journal (default
``FILE.journal.sqlite``; in memory with ``--sandbox``) makes a run resumable and maps HRM ids to
Legit.Health ids. ``--report`` writes every failure as a JSON line (line, externalId, error,
message). Exit codes: 0 all synced, 1 some records failed, 2 bad usage or input, 3 the run was
stopped (wrong token, interrupted).

Progress goes to stderr (a rich progress bar on a terminal, a plain line every few seconds
otherwise); the summary goes to stdout. Nothing printed carries personal data: failures on the
terminal show line numbers and reasons only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from . import _constants as C
from ._retry import RetryPolicy
from .client import LegitHealth
from .errors import LegitHealthError
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

if TYPE_CHECKING:
    from .sandbox import Sandbox

__all__ = ["SyncOptions", "echo", "main", "run_sync"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 3
#: ``--sandbox-faults`` without a value: some 503s and some connections dropped after the effect.
LIGHT_FAULTS = "*:error_rate=0.03,status=503,drop_after_rate=0.02,retry_after=none"
_PLAIN_EVERY_S = 2.0
_SHOWN_FAILURES = 10


def echo(text: str = "", *, err: bool = False) -> None:
    """Print a line to stdout (or stderr)."""
    print(text, file=sys.stderr if err else sys.stdout, flush=True)


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
    ) -> AsyncIterator[RecordSource]:
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
            echo(f"  failed: {where}: {reason.error}: {reason.message}")
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


def _sandbox_client(sandbox: Sandbox) -> LegitHealth:
    return LegitHealth(
        api_token=sandbox.token,
        base_url=sandbox.base_url,
        transport=sandbox.transport(),
        retry_policy=RetryPolicy(initial=0.05, maximum=1.0),
    )


async def _sync(options: SyncOptions, client: LegitHealth) -> SyncSummary:
    failures: list[SyncOutcome] = []
    journal: Journal | None = None
    if options.journal is not None:
        journal = await Journal.aopen(options.journal, base_url=client.base_url)
    else:
        journal = await Journal.aopen(":memory:", base_url=client.base_url)
    report = None
    if options.report is not None:
        await anyio.Path(options.report.parent).mkdir(parents=True, exist_ok=True)
        report = await anyio.open_file(options.report, "w", encoding="utf-8")
    total = await anyio.to_thread.run_sync(_count_rows, options.file)
    label = f"{options.title}{' (dry run)' if options.dry_run else ''}"
    count = _RowCount()
    try:
        with _Progress(total, label, options.progress) as progress:
            async with sync_patients(
                client,
                count.counted(aiter_records(options.file, options.fmt)),
                concurrency=options.concurrency,
                journal=journal,
                dry_run=options.dry_run,
                force=options.force,
                episodes=options.episodes,
                on_progress=progress,
            ) as stream:
                async for outcome in stream:
                    if outcome.failed:
                        if len(failures) < _SHOWN_FAILURES:
                            failures.append(outcome)
                        if report is not None:
                            await report.write(json.dumps(outcome.report_row()) + "\n")
    finally:
        with anyio.CancelScope(shield=True):
            if report is not None:
                await report.aclose()
            await journal.aclose()
    title = f"{label}: {options.file.name}"
    _summary_table(progress.summary, title, failures, count.rows)
    return progress.summary


async def run_sync(options: SyncOptions, *, sandbox: Sandbox | None = None) -> int:
    """Run one ``legithealth sync`` (against ``sandbox`` in-process when given); the exit code.

    Prints progress (stderr) and the summary (stdout).
    """
    try:
        if sandbox is not None:
            client = _sandbox_client(sandbox)
        else:
            client = LegitHealth(api_token=options.token, base_url=options.base_url)
    except LegitHealthError as exc:
        echo(f"error: {exc}", err=True)
        return EXIT_USAGE
    async with client:
        try:
            summary = await _sync(options, client)
        except (ValueError, OSError, JournalMismatchError) as exc:
            echo(f"error: {_file_error(exc)}", err=True)
            return EXIT_USAGE
        except LegitHealthError as exc:
            echo(f"error: the sync stopped: {exc}", err=True)
            return EXIT_STOPPED
    if options.journal is not None:
        echo(f"journal: {options.journal}")
    if options.report is not None:
        plural = "" if summary.failed == 1 else "s"
        echo(f"report:  {options.report} ({summary.failed} failure{plural})")
    return EXIT_FAILED if summary.failed else EXIT_OK


def _file_error(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"{exc.strerror or type(exc).__name__}: {exc.filename or ''}".rstrip(": ")
    return str(exc)


def _make_sandbox(faults: str | None) -> Sandbox:
    from .sandbox import FaultPlan, Sandbox, parse_fault_option

    sandbox = Sandbox(seed=0)
    if faults:
        for spec in faults.split(";"):
            operation, plan = parse_fault_option(spec)
            assert isinstance(plan, FaultPlan)
            sandbox.faults.set(operation, plan)
    return sandbox


def _sync_command(args: argparse.Namespace) -> int:
    file = Path(args.file)
    if not file.is_file():
        echo(f"error: no such file: {file}", err=True)
        return EXIT_USAGE
    journal: Path | None = Path(args.journal) if args.journal else None
    sandbox = None
    if args.sandbox:
        if journal is not None and journal.exists() and journal.stat().st_size > 0:
            echo(
                "error: the embedded sandbox starts empty on every run, so a journal of an "
                "earlier run would skip records it no longer has: give a new --journal path",
                err=True,
            )
            return EXIT_USAGE
        try:
            sandbox = _make_sandbox(args.sandbox_faults)
        except ImportError:
            echo("error: --sandbox needs: pip install 'legithealth-async[sandbox]'", err=True)
            return EXIT_USAGE
        except ValueError as exc:
            echo(f"error: --sandbox-faults: {exc}", err=True)
            return EXIT_USAGE
    elif args.sandbox_faults:
        echo("error: --sandbox-faults needs --sandbox", err=True)
        return EXIT_USAGE
    elif journal is None and not args.no_journal:
        journal = file.with_name(file.name + ".journal.sqlite")
    options = SyncOptions(
        file=file,
        fmt=args.format,
        concurrency=args.concurrency,
        journal=journal,
        dry_run=args.dry_run,
        force=args.force,
        episodes=args.episodes,
        report=Path(args.report) if args.report else None,
        token=args.token,
        base_url=args.base_url,
        progress=args.progress,
    )
    try:
        return anyio.run(lambda: run_sync(options, sandbox=sandbox))
    except KeyboardInterrupt:
        echo("interrupted: the journal holds every record committed so far", err=True)
        return EXIT_STOPPED


# --------------------------------------------------------------------------------- journal


def _journal_command(args: argparse.Namespace) -> int:
    path = Path(args.journal)
    if not path.is_file():
        echo(f"error: no such journal: {path}", err=True)
        return EXIT_USAGE
    try:
        with Journal(path) as journal:
            if args.action == "stats":
                counts = journal.counts()
                echo(f"journal: {path} (Legit.Health: {journal.base_url or 'unknown'})")
                for name in (o.value for o in Outcome):
                    echo(f"  {name:<10} {counts.get(name, 0):>8}")
                echo(f"  {'total':<10} {sum(counts.values()):>8}")
                return EXIT_OK
            if args.output and args.output != "-":
                with open(args.output, "w", encoding="utf-8", newline="") as out:
                    n = journal.export(out, args.format, outcome=args.outcome)
                echo(f"{n} entries written to {args.output}", err=True)
            else:
                journal.export(sys.stdout, args.format, outcome=args.outcome)
    except (OSError, ValueError, JournalMismatchError) as exc:
        echo(f"error: {_file_error(exc)}", err=True)
        return EXIT_USAGE
    except Exception as exc:  # sqlite3.DatabaseError: not a journal
        echo(f"error: cannot read the journal ({type(exc).__name__})", err=True)
        return EXIT_USAGE
    return EXIT_OK


# ---------------------------------------------------------------------------------- parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="legithealth",
        description="Legit.Health integration: bulk patient sync, its journal, and a sandbox.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sync = sub.add_parser(
        "sync",
        help="create or update every patient of a .jsonl or .csv file",
        description=(
            "Create, patch or leave unchanged each patient of FILE on Legit.Health. Token and "
            f"base URL: --token/--base-url or {C.ENV_API_TOKEN}/{C.ENV_BASE_URL}. CSV columns: "
            "externalId,firstName,lastName,email,phone,birthDate,gender,language,conditions "
            "(conditions: 'EA90@armLeft;ED80@headFront:tracked:2w'). Exit code 1 when any "
            "record failed."
        ),
    )
    sync.add_argument("file", metavar="FILE", help="patients, .jsonl or .csv")
    sync.add_argument("--format", choices=["jsonl", "csv"], help="default: from the file name")
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
        help="also journal each condition's episode-of-care ids (one request per condition)",
    )
    sync.add_argument(
        "--report", metavar="PATH", help="write each failure as a JSON line (line, id, reason)"
    )
    sync.add_argument("--token", help=f"API token (default: ${C.ENV_API_TOKEN})")
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
    stats = jsub.add_parser("stats", help="entries by outcome")
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
    return COMMANDS[args.command](args)


def _entry() -> None:  # pragma: no cover - python -m legithealth_async.cli
    sys.exit(main())


if __name__ == "__main__":
    _entry()
