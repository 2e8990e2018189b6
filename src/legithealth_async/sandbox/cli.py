"""``python -m legithealth_async.sandbox``: serve a sandbox on loopback with uvicorn."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import shlex
import sys

from ._extra import MissingExtraError, load
from .faults import ALL_OPERATIONS, FaultPlan, parse_fault_option
from .ratelimit import parse_rate_limit


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="legithealth sandbox",
        description="Serve an in-memory Legit.Health sandbox on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (0: a free one; 8000)")
    parser.add_argument("--token", help="the X-API-TOKEN to accept (default: a random one)")
    parser.add_argument(
        "--seed",
        help="seed for ids, tokens and fault draws (default: a random one, printed at start)",
    )
    parser.add_argument(
        "--start",
        type=dt.datetime.fromisoformat,
        help="freeze the clock at this ISO 8601 date-time with an offset (default: real time)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="OP:KEY=VALUE[,KEY=VALUE...]",
        help=(
            "a fault plan for an operationId or a client method (createPatient, patients.get; "
            "'*' or 'all' for every one), repeatable; keys: "
            "latency_ms, jitter_ms, error_rate, status, rate_limit_rate, retry_after, "
            "drop_before_rate, drop_after_rate, html_502_rate, stall_rate, stall_seconds, "
            "unknown_enum_rate, missing_field_rate, limit. "
            "E.g. createPatient:error_rate=0.1,status=503"
        ),
    )
    parser.add_argument(
        "--rate-limit",
        metavar="N[/BURST]",
        help="answer 429 + Retry-After beyond N requests a second (bursts of BURST, default N/10)",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="latency added to all")
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="± jitter on that latency")
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="log level (info: one line a request, without request values)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, print the base URL and token, serve until interrupted; the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.start is not None and args.start.tzinfo is None:
        parser.print_usage(sys.stderr)
        print("error: --start needs a UTC offset, e.g. 2026-01-01T09:00:00Z", file=sys.stderr)
        return 2
    try:
        load("sandbox")  # first: without the extra, it names starlette, as the package does
        load("server")
    except MissingExtraError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from .sandbox import Sandbox
    from .server import serve

    raw_seed: str | None = args.seed
    seed: int | str | None = int(raw_seed) if raw_seed and raw_seed.isdigit() else raw_seed
    sandbox = Sandbox(token=args.token, seed=seed, start=args.start)
    try:
        if args.latency_ms or args.jitter_ms:
            sandbox.faults.set(
                ALL_OPERATIONS, FaultPlan(latency_ms=args.latency_ms, jitter_ms=args.jitter_ms)
            )
        for option in args.fault:
            operation, plan = parse_fault_option(option)
            if operation == ALL_OPERATIONS and (args.latency_ms or args.jitter_ms):
                plan = FaultPlan(
                    **{**plan.__dict__, "latency_ms": args.latency_ms, "jitter_ms": args.jitter_ms}
                )
            sandbox.faults.set(operation, plan)
    except (ValueError, TypeError) as exc:
        parser.print_usage(sys.stderr)
        print(f"error: --fault: {exc}", file=sys.stderr)
        return 2
    if args.rate_limit:
        try:
            sandbox.set_rate_limit(parse_rate_limit(args.rate_limit))
        except ValueError as exc:
            parser.print_usage(sys.stderr)
            print(f"error: --rate-limit: {exc}", file=sys.stderr)
            return 2

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(message)s")

    def ready(base_url: str) -> None:
        print(f"Legit.Health sandbox: {base_url}", flush=True)
        print(f"X-API-TOKEN: {sandbox.token}", flush=True)
        print(f"seed: {sandbox.seed}", flush=True)
        print("Point the client and `legithealth sync` at it (paste into a shell):", flush=True)
        print(f"export LEGITHEALTH_BASE_URL={shlex.quote(base_url)}", flush=True)
        print(f"export LEGITHEALTH_API_TOKEN={shlex.quote(sandbox.token)}", flush=True)

    try:
        serve(sandbox, args.host, args.port, log_level=args.log_level, on_ready=ready)
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
