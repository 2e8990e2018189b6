"""6. The 5,000-patient fault soak's speed (``python -m benchmarks soak``; not in the default run).

The test suite checks the soak's correctness (no duplicate, no loss) but no longer its speed;
this runs the same test (``pytest -m soak``) and reports its records/s. It takes ~3 minutes, over
the default run's budget, so it runs only when named.
"""

from __future__ import annotations

import re
import subprocess
import sys

from ._common import Report, Settings
from .loopback import ROOT


def run(settings: Settings, report: Report) -> None:
    command = ["-m", "pytest", "-q", "-s", "-m", "soak", "-p", "no:cacheprovider"]
    out = subprocess.run(
        [sys.executable, *command, "tests/reliability/test_fault_soak.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    ).stdout
    found = re.search(
        r"fault soak: (\d+) records.*?wall ([\d.]+)s.*?duplicates (\d+); lost (\d+)", out
    )
    if found is None:
        report.add("6 fault soak", "5,000 patients through faults", "failed", "", "", out[-200:])
        return
    count, wall, dup, lost = int(found[1]), float(found[2]), found[3], found[4]
    report.add(
        "6 fault soak",
        f"{count:,} patients on loopback through 503s, lost answers, 429s, 100±50 ms",
        f"{count / wall:,.0f} rec/s",
        f"wall {wall:.0f} s",
        "",
        f"duplicates {dup}, lost {lost} (tests/reliability/test_fault_soak.py)",
    )
