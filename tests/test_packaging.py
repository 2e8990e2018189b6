"""The wheel installs one top-level package (and the pytest plugin), the generated client inside."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_one_top_level_package(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {
        name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")
    }
    # Besides the library, only the pytest plugin: pytest imports every registered plugin at
    # start-up, so it lives outside legithealth_async to import nothing heavy (issue 14).
    assert top == {"legithealth_async", "legithealth_async_pytest"}
    generated = ROOT / "generated" / "_generated"
    expected = {
        "legithealth_async/_generated/" + p.relative_to(generated).as_posix()
        for p in generated.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert expected and expected <= set(names)
    # Each file once: the editable-install symlink is not packed a second time.
    assert len(names) == len(set(names))
