"""The "From FHIR" page lists every entry of the shipped tables, as shipped (issue 23)."""

from __future__ import annotations

from pathlib import Path

from legithealth_async.fhir.tables import shipped

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "fhir.md"


def test_the_docs_tables_are_the_shipped_tables() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for name, target in (("conditions", "icd11"), ("body_sites", "site")):
        for e in shipped(name)["entries"]:
            row = (
                f"| {e['system']} | `{e['code']}` | {e['display']} | `{e[target]}` | "
                f"{'yes' if e['assumption'] else ''} |"
            )
            assert row in text, row
