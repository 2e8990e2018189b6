"""What a PyPI user sees: the built sdist and wheel pass `twine check`, carry the SPDX license,
the LICENSE file, the classifiers and the one version, and the client's User-Agent matches it."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

import legithealth_async
from legithealth_async import _constants
from legithealth_async._version import __version__

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return out


def test_twine_check_passes(dist: Path) -> None:
    files = sorted(str(p) for p in dist.iterdir())
    assert len(files) == 2  # the sdist and the wheel
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *files],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_wheel_metadata(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        info = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = HeaderParser().parsestr(archive.read(info).decode("utf-8"))
        names = archive.namelist()
    assert metadata["Version"] == __version__
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License-File"] == "LICENSE"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    classifiers = metadata.get_all("Classifier")
    assert "Typing :: Typed" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # the expression says it
    assert metadata.get_all("Project-URL")
    assert metadata["Requires-Python"] == ">=3.11"


def test_sdist_ships_license_and_changelog(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml"} <= names


def test_one_version_source() -> None:
    assert legithealth_async.__version__ == __version__
    assert _constants.USER_AGENT == f"legithealth-async/{__version__}"
    assert f"## [{__version__}]" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert (
        "version ="
        not in (ROOT / "pyproject.toml")
        .read_text(encoding="utf-8")
        .split("[project.optional-dependencies]")[0]
    )


def test_the_contributor_tools_are_not_in_the_metadata(dist: Path) -> None:
    """The dev tools are a PEP 735 dependency group, never an extra a user sees (before: a `dev`
    extra of ~25 requirements, published in the wheel's metadata)."""
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        info = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = HeaderParser().parsestr(archive.read(info).decode("utf-8"))
    assert "dev" not in (metadata.get_all("Provides-Extra") or [])
    requires = metadata.get_all("Requires-Dist") or []
    assert not [r for r in requires if "pytest" in r or "mypy" in r or "ruff" in r]
    assert {"sandbox", "cli", "http2"} <= set(metadata.get_all("Provides-Extra") or [])
