"""Synthetic FHIR R4 exports in the styles EHRs write, with what a sync of them must give.

For tests, benchmarks and the docs' runnable example; every name, number and identifier is made
up. ``python -m legithealth_async.fhir.synthetic DIR [N] [--bundles]`` writes a Bulk Data export
(``Patient.ndjson``, ``Condition.ndjson``) of N patients, or one transaction Bundle per patient.

The patients look like Synthea's: several identifiers (Synthea's id, an ``MR`` medical record
number, a social security number), phones like ``555-146-1616`` with ``use`` (some ``rank``),
``en-US``, and conditions mostly not dermatology (SNOMED CT, no body site). Some patients are
designed to fail (no ``MR`` identifier, two different ones, inactive, deceased) and some skin
conditions to be left out (no body site, an unmapped one, resolved).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Expected", "bundle", "condition_resources", "expected", "patient", "write_export"]

SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
ICD11 = "http://id.who.int/icd/release/11/mms"
MRN_SYSTEM = "http://hospital.example.org/mrn"
_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"
_OTHER = [  # not dermatology: hypertension, sinusitis, medication review due, prediabetes...
    ("59621000", "active"),
    ("444814009", "resolved"),
    ("314529007", "active"),
    ("15777000", "active"),
    ("10509002", "resolved"),
    ("162864005", "active"),
    ("271737000", "resolved"),
]
_GIVEN = ["Ada", "Ben", "Cleo", "Dan", "Eva", "Finn", "Gia", "Hugo"]
_FAMILY = ["Lopez", "Smith", "Okafor", "Ng", "Schmidt", "Rossi"]


def pid(i: int) -> str:
    """Patient ``i``'s resource id (a uuid-like string, as Synthea's)."""
    return f"00000000-0000-4000-8000-{i:012d}"


def mrn(i: int) -> str:
    """Patient ``i``'s medical record number: the external id it must sync under."""
    return f"MR{i:08d}"


def _fails(i: int) -> str | None:
    if i % 97 == 5:
        return "no MR identifier"
    if i % 89 == 7:
        return "two different MR identifiers"
    if i % 211 == 10:
        return "InactivePatient"
    if i % 223 == 11:
        return "DeceasedPatient"
    return None


def patient(i: int) -> dict[str, Any]:
    """Patient ``i`` as an EHR exports it."""
    fails = _fails(i)
    ids: list[dict[str, Any]] = [
        {"system": "https://github.com/synthetichealth/synthea", "value": pid(i)},
        {
            "type": {"coding": [{"system": _V2, "code": "SS"}]},
            "system": "http://hl7.org/fhir/sid/us-ssn",
            "value": f"999-{i % 100:02d}-{i % 10000:04d}",
        },
    ]
    if fails != "no MR identifier":
        ids.insert(
            1,
            {
                "type": {"coding": [{"system": _V2, "code": "MR"}]},
                "system": MRN_SYSTEM,
                "value": mrn(i),
            },
        )
    if fails == "two different MR identifiers":
        ids.append(
            {
                "type": {"coding": [{"system": _V2, "code": "MR"}]},
                "system": MRN_SYSTEM,
                "value": mrn(i) + "B",
            }
        )
    if i % 101 == 3 and fails is None:  # the same MR twice: one value, fine
        ids.append(
            {
                "type": {"coding": [{"system": _V2, "code": "MR"}]},
                "system": MRN_SYSTEM,
                "value": mrn(i),
            }
        )
    telecom: list[dict[str, Any]] = [
        {"system": "phone", "value": f"555-{100 + i % 900:03d}-{i % 10000:04d}", "use": "home"}
    ]
    if i % 3 == 0:
        telecom.append({"system": "email", "value": f"patient{i}@example.org", "use": "home"})
    if i % 7 == 0:
        telecom.append(
            {"system": "phone", "value": f"(555) 200-{i % 10000:04d}", "use": "mobile", "rank": 1}
        )
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid(i),
        "identifier": ids,
        "name": [
            {"use": "nickname", "given": ["Z"]},
            {
                "use": "official",
                "family": _FAMILY[i % 6] + str(i),
                "given": [_GIVEN[i % 8], "Q"],
                "prefix": ["Mx."],
            },
        ],
        "telecom": telecom,
        "gender": ("female", "male", "other", "unknown")[i % 4] if i % 50 else "female",
        "birthDate": f"{1940 + i % 60}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "communication": [
            {
                "language": {
                    "coding": [
                        {"system": "urn:ietf:bcp:47", "code": "es" if i % 5 == 0 else "en-US"}
                    ]
                },
                "preferred": True,
            }
        ],
    }
    if fails == "InactivePatient":
        resource["active"] = False
    if fails == "DeceasedPatient":
        resource["deceasedDateTime"] = "2020-01-01T00:00:00Z"
    return resource


def _concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _skin(i: int) -> Iterator[tuple[dict[str, Any], str | None, tuple[str, str] | None]]:
    """Skin conditions: (code, body site SNOMED, expected (ICD-11, site) or None)."""
    if i % 4 == 0:
        yield _concept(SNOMED, "9014002"), "368208006", ("EA90", "armLeft")
    if i % 6 == 1:
        yield _concept(SNOMED, "24079001"), "41695006", ("EA80", "scalp")
    if i % 10 == 2:  # acne, ICD-10 with SNOMED, no body site: left out
        code = {
            "coding": [{"system": ICD10, "code": "L70.0"}, {"system": SNOMED, "code": "88616000"}]
        }
        yield code, None, None
    if i % 9 == 4:  # ICD-11 directly
        yield _concept(ICD11, "EA90"), "78791008", ("EA90", "handRight")
    if i % 15 == 6:  # a body site no table maps: left out
        yield _concept(SNOMED, "56727007"), "12345678", None
    if i % 25 == 7:
        yield _concept(SNOMED, "372244006"), "77568009", ("2C30", "trunkBack")


def condition_resources(i: int, subject: str) -> list[dict[str, Any]]:
    """Patient ``i``'s Conditions, referencing ``subject``."""
    out: list[dict[str, Any]] = []
    for n, (code, status) in enumerate(_OTHER[: 3 + i % 5]):
        out.append(
            {
                "resourceType": "Condition",
                "id": f"c{i}-o{n}",
                "clinicalStatus": _concept(_CLINICAL, status),
                "code": {"coding": [{"system": SNOMED, "code": code}]},
                "subject": {"reference": subject},
            }
        )
    for n, (concept, site, _) in enumerate(_skin(i)):
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            "id": f"c{i}-s{n}",
            "clinicalStatus": _concept(_CLINICAL, "active"),
            "code": concept,
            "subject": {"reference": subject},
        }
        if site is not None:
            resource["bodySite"] = [_concept(SNOMED, site)]
        out.append(resource)
    if i % 13 == 0:  # a resolved vitiligo on the scalp: left out (not active)
        out.append(
            {
                "resourceType": "Condition",
                "id": f"c{i}-r",
                "clinicalStatus": _concept(_CLINICAL, "resolved"),
                "code": _concept(SNOMED, "56727007"),
                "bodySite": [_concept(SNOMED, "41695006")],
                "subject": {"reference": subject},
            }
        )
    return out


@dataclass(frozen=True, slots=True)
class Expected:
    """What a sync of patient ``i`` must give: its failure, or its conditions; and counts."""

    external_id: str
    failure: str | None
    conditions: frozenset[tuple[str, str]]
    total: int
    not_selected: int
    left_out: int


def expected(i: int) -> Expected:
    """The ground truth for patient ``i`` (written from the generator's design, not the mapper)."""
    skin = list(_skin(i))
    sent = frozenset(e for _, _, e in skin if e is not None)
    resolved = 1 if i % 13 == 0 else 0
    others = 3 + i % 5
    return Expected(
        external_id=mrn(i),
        failure=_fails(i),
        conditions=sent,
        total=others + len(skin) + resolved,
        not_selected=others,
        left_out=sum(1 for _, _, e in skin if e is None) + resolved,
    )


def bundle(i: int) -> dict[str, Any]:
    """Patient ``i`` as a transaction Bundle (``urn:uuid`` references), conditions first."""
    url = f"urn:uuid:{pid(i)}"
    entries = [
        {
            "fullUrl": f"urn:uuid:{c['id']}",
            "resource": c,
            "request": {"method": "POST", "url": "Condition"},
        }
        for c in condition_resources(i, url)
    ]
    entries.append(
        {"fullUrl": url, "resource": patient(i), "request": {"method": "POST", "url": "Patient"}}
    )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def write_export(directory: str | Path, n: int, *, bundles: bool = False, orphans: int = 3) -> Path:
    """Write ``n`` patients as a Bulk Data export (or per-patient Bundles) into ``directory``.

    Also ``orphans`` Conditions whose patient is not in the export. Returns the directory.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    if bundles:
        for i in range(n):
            (out / f"patient-{i:07d}.json").write_text(json.dumps(bundle(i)), encoding="utf-8")
        return out
    with (out / "Condition.ndjson").open("w", encoding="utf-8") as f:
        for i in range(n):
            for c in condition_resources(i, f"Patient/{pid(i)}"):
                f.write(json.dumps(c) + "\n")
        for k in range(orphans):
            f.write(
                json.dumps(condition_resources(0, f"Patient/missing-{k}")[0] | {"id": f"x{k}"})
                + "\n"
            )
    with (out / "Patient.ndjson").open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps(patient(i)) + "\n")
    return out


if __name__ == "__main__":  # pragma: no cover - the docs' example
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(args[1]) if len(args) > 1 else 100
    print(write_export(args[0], count, bundles="--bundles" in sys.argv))
