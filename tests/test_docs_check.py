"""``make docs-strict`` can fail: it is run, as the Makefile has it, on a copy of the project
with an undocumented public name planted in it (before, ``--quiet`` dropped the warnings before
``--strict`` counted them, and the target passed whatever the hook found)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None or not (BIN / "mkdocs").exists(), reason="needs make and mkdocs"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """What ``make docs-strict`` reads, copied: the Makefile, mkdocs.yml, docs/, README, src/."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("Makefile", "mkdocs.yml", "README.md", "CHANGELOG.md", "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    for name in ("docs", "src", "generated"):
        shutil.copytree(
            ROOT / name, copy / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
        )
    return copy


def docs_strict(project: Path) -> subprocess.CompletedProcess[str]:
    """``make docs-strict`` in ``project``, with this interpreter's tools (no venv made)."""
    stamp = project / "stamp"
    stamp.touch()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        ["make", "-s", "-o", str(stamp), "docs-strict", f"BIN={BIN}", f"STAMP={stamp}"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def plant(project: Path, source: str) -> None:
    """Add ``source`` as a module of the package and export its ``Planted`` name."""
    package = project / "src" / "legithealth_async"
    (package / "_planted.py").write_text(source, encoding="utf-8")
    init = package / "__init__.py"
    init.write_text(
        init.read_text(encoding="utf-8")
        + '\nfrom ._planted import Planted  # noqa: E402\n\n__all__ += ["Planted"]\n',
        encoding="utf-8",
    )


def test_passes_on_the_project_as_it_is(project: Path) -> None:
    result = docs_strict(project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_fails_on_a_public_name_in_no_reference_page(project: Path) -> None:
    plant(project, 'class Planted:\n    """Documented, but on no page."""\n')
    result = docs_strict(project)
    assert result.returncode != 0
    assert "public name legithealth_async.Planted" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("member", "source"),
    [
        ("run", "    def run(self) -> None:\n        pass\n"),
        ("size", "    @property\n    def size(self) -> int:\n        return 1\n"),
    ],
)
def test_fails_on_a_public_method_or_property_without_a_docstring(
    project: Path, member: str, source: str
) -> None:
    plant(project, f'class Planted:\n    """On a page."""\n\n{source}')
    page = project / "docs" / "reference" / "models.md"
    page.write_text(
        page.read_text(encoding="utf-8") + "\n::: legithealth_async._planted.Planted\n",
        encoding="utf-8",
    )
    result = docs_strict(project)
    assert result.returncode != 0
    assert f"legithealth_async._planted.Planted.{member} has no docstring" in result.stdout


# ------------------------------------------------------------------ what the built pages show


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The reference, built from this checkout: each page's text, without its markup."""
    import html
    import re

    out = tmp_path_factory.mktemp("site")
    subprocess.run(
        [str(BIN / "mkdocs"), "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=True,
        capture_output=True,
        timeout=300,
    )
    pages = {}
    for name in ("api", "client", "errors", "sandbox", "sync"):
        text = (out / "reference" / name / "index.html").read_text(encoding="utf-8")
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
        pages[name] = re.sub(r"\s+", " ", text)
    return pages


def test_defaults_show_their_values(site: dict[str, str]) -> None:
    client = site["client"]
    assert "max_in_flight: int = 64" in client
    assert "max_retries: int = 4, initial: float = 0.5, maximum: float = 8.0" in client
    assert "connect 5 s, read 30 s, write 30 s, pool 60 s" in client
    for page in site.values():
        assert "C.DEFAULT_" not in page and "C.BACKOFF" not in page and "C.MAX_" not in page


def test_create_and_patch_show_their_parameters(site: dict[str, str]) -> None:
    client = site["client"]
    assert "Unpack[" not in client
    assert "create( *, external_id: str, first_name: str | None = None," in client
    assert "patch( external_id: str, *, first_name: str | None = None," in client
    assert "conditions: Sequence[ConditionInput] | None = None" in client


def test_the_method_index_lists_every_resource_method(site: dict[str, str]) -> None:
    import inspect

    from legithealth_async import LegitHealth
    from legithealth_async.resources import Encounters, EpisodesOfCare, Patients, Practitioners

    resources = {
        "patients": Patients,
        "episodes_of_care": EpisodesOfCare,
        "encounters": Encounters,
        "practitioners": Practitioners,
    }
    index = site["api"]
    for attribute, cls in resources.items():
        for name, _ in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_"):
                assert f"lh.{attribute}.{name}(" in index, name
    assert "lh.patients.create(...) -> Patient createPatient" in index
    for name in ("with_options", "call_generated", "aclose", "max_in_flight", "closed"):
        assert f"lh.{name}" in index and hasattr(LegitHealth, name)


def test_the_errors_page_maps_each_status_to_its_class(site: dict[str, str]) -> None:
    from legithealth_async import errors

    page = site["errors"]
    for status, cls in errors._BY_STATUS.items():
        assert f"{status} {cls.__name__}" in page
    assert "409 PATIENT_ALREADY_EXISTS PatientAlreadyExistsError" in page
    assert "5xx InternalServerError" in page


def test_the_sandbox_page_lists_what_faults_set_takes(site: dict[str, str]) -> None:
    from legithealth_async.sandbox import Sandbox

    for operation in Sandbox().contract.operations:
        assert operation in site["sandbox"]
    assert "getPatients patients.get, patients.get_many, patients.iter_many" in site["sandbox"]


def test_the_sync_page_documents_jsonl_beside_csv(site: dict[str, str]) -> None:
    assert "Input files: JSONL and CSV" in site["sync"]
