"""``make demo``: a bulk sync of 2,000 synthetic patients into the embedded sandbox, twice.

Writes ``demo-output/patients.jsonl`` (deterministic: the same file on every machine), starts an
in-memory sandbox with light faults (some 503s, some connections dropped after the effect), syncs
the file with a progress bar and a summary, syncs it again (everything unchanged: the journal
skips every record), checks the sandbox holds each patient exactly once, and says where the
journal and the report are. The data is synthetic: no real person's data.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path
from typing import Any

import anyio

from . import cli

__all__ = ["main", "synthetic_patients", "write_patients"]

OUTPUT = Path("demo-output")
COUNT = 2000
SEED = 20260401

_FIRST = ("Ada", "Grace", "Alan", "Emmy", "Carlos", "Lucía", "Jon", "Marie", "Ines", "Hugo")
_LAST = ("Lovelace", "Hopper", "Turing", "Noether", "García", "Curie", "Sáez", "Ruiz", "Peña")
_PATHOLOGIES = ("EA90", "ED80", "2C30", "2C31", "2C32", "EA80", "ED92.0", "ED63.0")
_SITES = ("headFront", "headBack", "trunkFront", "trunkBack", "armLeft", "armRight", "handLeft")
_UNITS = ("day", "week", "month")


def synthetic_patients(count: int = COUNT, seed: int = SEED) -> list[dict[str, Any]]:
    """``count`` synthetic patients as JSONL objects, the same for a given seed."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not crypto
    out = []
    for i in range(count):
        conditions = []
        pairs = rng.sample([(p, s) for p in _PATHOLOGIES for s in _SITES], rng.randint(0, 3))
        for pathology, site in pairs:
            item: dict[str, Any] = {"pathologyCode": pathology, "bodySiteCode": site}
            if rng.random() < 0.4:
                item["isTracked"] = True
                item["frequency"] = {"every": rng.randint(1, 4), "unit": rng.choice(_UNITS)}
            conditions.append(item)
        patient: dict[str, Any] = {
            "externalId": f"HRM-{seed % 1000:03d}-{i:06d}",
            "firstName": rng.choice(_FIRST),
            "lastName": rng.choice(_LAST),
            "birthDate": (
                dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 29000))
            ).isoformat(),
            "gender": rng.choice(("female", "male", "other", "unknown")),
            "language": rng.choice(("es", "en", "ca", "fr")),
            "conditions": conditions,
        }
        if rng.random() < 0.85:
            patient["email"] = f"patient{i:06d}@example.org"
        if "email" not in patient or rng.random() < 0.5:
            patient["phone"] = f"+346{rng.randint(10_000_000, 99_999_999)}"
        out.append(patient)
    return out


def write_patients(path: Path, count: int = COUNT, seed: int = SEED) -> int:
    """Write the synthetic patients to ``path`` as JSONL; returns how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    patients = synthetic_patients(count, seed)
    with path.open("w", encoding="utf-8") as f:
        for patient in patients:
            f.write(json.dumps(patient, ensure_ascii=False) + "\n")
    return len(patients)


async def _run(output: Path) -> int:
    from .sandbox import Sandbox, parse_fault_option

    patients = output / "patients.jsonl"
    journal = output / "journal.sqlite"
    report = output / "report.jsonl"
    for stale in (journal, Path(f"{journal}-wal"), Path(f"{journal}-shm"), report):
        stale.unlink(missing_ok=True)
    count = await anyio.to_thread.run_sync(write_patients, patients)
    cli.echo(f"Wrote {count:,} synthetic patients with conditions to {patients}")

    sandbox = Sandbox(seed=SEED)
    # A network-like latency, so the progress bar has something to show.
    operation, plan = parse_fault_option(cli.LIGHT_FAULTS + ",latency_ms=15,jitter_ms=10")
    sandbox.faults.set(operation, plan)
    cli.echo(
        "Embedded Legit.Health sandbox with light faults: 3% of requests answer 503, "
        "2% lose their connection after the server applied them; 15±10 ms latency"
    )
    code = 0
    for title in ("Run 1: first sync", "Run 2: the same file again"):
        cli.echo()
        options = cli.SyncOptions(
            file=patients, journal=journal, report=report, concurrency=16, title=title
        )
        code = max(code, await cli.run_sync(options, sandbox=sandbox))

    stored = sandbox.patients()
    effects = [sandbox.create_effects(ext) for ext in stored]
    fired = sum(sandbox.faults.fired.values())
    cli.echo()
    cli.echo(
        f"Sandbox: {len(stored):,} patients for {count:,} records; "
        f"duplicated creates: {sum(1 for e in effects if e > 1)}; "
        f"faults injected: {fired} ({_fault_counts(sandbox.faults.fired)})"
    )
    cli.echo(f"Journal (HRM id ↔ Legit.Health ids): {journal}")
    cli.echo(f"  export it: legithealth journal export {journal} --format csv")
    cli.echo(f"Failure report: {report}")
    if len(stored) != count or any(e != 1 for e in effects):
        cli.echo("error: the sandbox does not hold each patient exactly once", err=True)
        return 1
    return code


def _fault_counts(fired: Any) -> str:
    kinds: dict[str, int] = {}
    for (_operation, kind), n in fired.items():
        kinds[kind] = kinds.get(kind, 0) + n
    return ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())) or "none"


def main(argv: list[str] | None = None) -> int:
    """Run the demo; the exit code."""
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else OUTPUT
    return anyio.run(_run, output)


if __name__ == "__main__":
    sys.exit(main())
