"""The FHIR mapping, element by element (issue 23): identifiers, names, telecom, conditions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from legithealth_async.errors import ValidationError
from legithealth_async.fhir import CodeTables, FhirOptions, Selection
from legithealth_async.fhir.mapping import (
    Kind,
    classify_condition,
    e164,
    inactive_reason,
    patient_fields,
)
from legithealth_async.fhir.synthetic import ICD10, ICD11, MRN_SYSTEM, SNOMED, patient

MR = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}
SELECTION = Selection.parse("EA-EM,2C30-2C32")
TABLES = CodeTables.load()


def _patient(**extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"type": MR, "system": MRN_SYSTEM, "value": "MR-77"}],
        **extra,
    }


def test_external_id_by_type_by_system_and_its_failures_name_the_path_not_the_value() -> None:
    assert patient_fields(_patient(), FhirOptions())["external_id"] == "MR-77"
    by_system = FhirOptions(identifier_system="http://hl7.org/fhir/sid/us-ssn")
    assert patient_fields(patient(4), by_system)["external_id"] == "999-04-0004"
    two = _patient(
        identifier=[
            {"type": MR, "value": "MR-77"},
            {"type": MR, "value": "MR-77"},  # the same value twice: one
            {"type": MR, "value": "MR-78"},
        ]
    )
    with pytest.raises(ValidationError) as exc:
        patient_fields(two, FhirOptions())
    assert str(exc.value) == (
        "Patient/p1.identifier: two different values of type MR (identifier[0], identifier[2])"
    )
    with pytest.raises(ValidationError) as exc:
        patient_fields(_patient(identifier=[{"system": "x", "value": "MR-77"}]), FhirOptions())
    assert "none of type MR" in str(exc.value) and "MR-77" not in str(exc.value)
    old = _patient(
        identifier=[{"type": MR, "value": "A", "use": "old"}, {"type": MR, "value": "B"}]
    )
    assert patient_fields(old, FhirOptions())["external_id"] == "B"


def test_names_official_first_telecom_by_rank_then_use_language_and_gender() -> None:
    fields = patient_fields(
        _patient(
            name=[
                {"use": "nickname", "given": ["Nick"]},
                {"use": "official", "family": "Lovelace", "given": ["Ada", "King"]},
            ],
            telecom=[
                {"system": "phone", "value": "555-146-1616", "use": "home"},
                {"system": "phone", "value": "(555) 200-0001", "use": "mobile"},
                {"system": "phone", "value": "+34 600 111 222", "use": "work", "rank": 1},
                {"system": "email", "value": "not an address", "rank": 1},
                {"system": "email", "value": "ada@example.org", "use": "work"},
            ],
            gender="female",
            birthDate="1815-12-10",
            communication=[
                {"language": {"coding": [{"code": "fr"}]}},
                {
                    "language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "en-US"}]},
                    "preferred": True,
                },
            ],
        ),
        FhirOptions(),
    )
    assert (fields["first_name"], fields["last_name"]) == ("Ada King", "Lovelace")
    assert fields["phone"] == "+34600111222"  # rank 1 first, whatever its use
    assert fields["email"] == "ada@example.org"  # an address the API refuses is skipped
    assert (fields["gender"], fields["language"]) == ("female", "en")
    assert fields["birth_date"].isoformat() == "1815-12-10"
    # Without rank, a mobile before a home number; a year-only birth date is not given.
    fields = patient_fields(
        _patient(
            telecom=[
                {"system": "phone", "value": "555-146-1616", "use": "home"},
                {"system": "phone", "value": "(555) 200-0001", "use": "mobile"},
            ],
            birthDate="1815",
        ),
        FhirOptions(phone_country_code="1"),
    )
    assert fields["phone"] == "+15552000001"
    assert fields["birth_date"] is None


def test_phone_numbers_become_e164_only_without_guessing() -> None:
    assert e164("555-146-1616", None) is None  # national, and no country code given
    assert e164("555-146-1616", "1") == "+15551461616"
    assert e164("1 (555) 146-1616", "1") == "+15551461616"
    assert e164("0044 20 7946 0958", None) == "+442079460958"
    assert e164("020 7946 0958", "44") == "+442079460958"  # the trunk 0 dropped
    assert e164("555-146-1616 ext. 4", "1") is None


def test_bad_values_fail_with_the_path_never_the_value() -> None:
    with pytest.raises(ValidationError, match=r"^Patient/p1\.gender: is not male"):
        patient_fields(_patient(gender="F"), FhirOptions())
    with pytest.raises(ValidationError, match=r"^Patient/p1\.birthDate: "):
        patient_fields(_patient(birthDate="10/12/1815"), FhirOptions())


def test_inactive_and_deceased_patients_are_not_synced_unless_asked() -> None:
    assert inactive_reason(_patient(active=False), FhirOptions())[0] == "InactivePatient"
    assert inactive_reason(_patient(active=False), FhirOptions(include_inactive=True)) is None
    dead = _patient(deceasedBoolean=True)
    assert inactive_reason(dead, FhirOptions())[0] == "DeceasedPatient"
    assert inactive_reason(dead, FhirOptions(include_deceased=True)) is None
    assert inactive_reason(_patient(active=True, deceasedBoolean=False), FhirOptions()) is None


def _condition(code: dict[str, Any], *sites: str, status: str = "active") -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": "c1",
        "clinicalStatus": {"coding": [{"code": status}]},
        "code": code,
        "subject": {"reference": "Patient/p1"},
    }
    if sites:
        resource["bodySite"] = [{"coding": [{"system": SNOMED, "code": s}]} for s in sites]
    return resource


def _code(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


@pytest.mark.parametrize(
    ("code", "sites", "status", "kind", "pathology", "placed"),
    [
        (_code(SNOMED, "9014002"), ("368208006",), "active", Kind.SENT, "EA90", ("armLeft",)),
        (_code(ICD10, "L40.0"), ("41695006",), "recurrence", Kind.SENT, "EA90", ("scalp",)),
        (_code(ICD11, "EA80&XK8G"), ("41695006",), "relapse", Kind.SENT, "EA80", ("scalp",)),
        (_code(SNOMED, "59621000"), (), "active", Kind.NOT_SELECTED, None, ()),  # hypertension
        (_code(ICD11, "BA00"), ("41695006",), "active", Kind.NOT_SELECTED, None, ()),
        (_code(SNOMED, "9014002"), (), "active", Kind.LEFT_OUT, "EA90", ()),
        (_code(SNOMED, "9014002"), ("12345678",), "active", Kind.LEFT_OUT, "EA90", ()),
        (_code(SNOMED, "9014002"), ("41695006",), "resolved", Kind.LEFT_OUT, "EA90", ()),
        (
            _code(SNOMED, "9014002"),
            ("368208006", "368209003"),
            "active",
            Kind.SENT,
            "EA90",
            ("armLeft", "armRight"),
        ),
    ],
)
def test_which_conditions_are_sent(
    code: dict[str, Any],
    sites: tuple[str, ...],
    status: str,
    kind: Kind,
    pathology: str | None,
    placed: tuple[str, ...],
) -> None:
    decision = classify_condition(_condition(code, *sites, status=status), SELECTION, TABLES)
    assert (decision.kind, decision.pathology, decision.sites) == (kind, pathology, placed)
    assert (decision.reason is None) == (kind is not Kind.LEFT_OUT)


def test_reasons_and_a_user_mapping_file(tmp_path: Path) -> None:
    psoriasis = _code(SNOMED, "9014002")
    assert classify_condition(_condition(psoriasis), SELECTION, TABLES).reason == (
        "bodySite: none given"
    )
    unmapped = classify_condition(_condition(psoriasis, "12345678"), SELECTION, TABLES)
    assert unmapped.placement and unmapped.unmapped == (f"{SNOMED}|12345678",)
    mapping = tmp_path / "map.json"
    mapping.write_text(
        json.dumps(
            {
                "conditions": [{"system": "snomed", "code": "238575004", "icd11": "EK00"}],
                "bodySites": [{"system": SNOMED, "code": "12345678", "site": "nails"}],
            }
        )
    )
    tables = CodeTables.load(mapping)
    contact = _condition(_code(SNOMED, "238575004"), "12345678")
    decision = classify_condition(contact, SELECTION, tables)
    assert (decision.kind, decision.pathology, decision.sites) == (Kind.SENT, "EK00", ("nails",))
    # A narrower selection leaves the same condition out as not selected.
    narrow = classify_condition(contact, Selection.parse("EA90"), tables)
    assert narrow.kind is Kind.NOT_SELECTED
    mapping.write_text(json.dumps({"conditions": [{"system": "loinc", "code": "1", "icd11": "X"}]}))
    with pytest.raises(ValueError, match=r"map.json: conditions\[0\]\.system"):
        CodeTables.load(mapping)


def test_selection_syntax() -> None:
    selection = Selection.parse("EA-EM, 2C30-2C32, 1F2")
    assert "EA90" in selection and "EM0Z" in selection and "ED92.0" in selection
    assert "2C31" in selection and "1F2D" in selection
    assert "EN00" not in selection and "2C33" not in selection and "BA00" not in selection
    for bad in ("", "EA-E", "EM-EA", "E A"):
        with pytest.raises(ValueError, match="selection"):
            Selection.parse(bad)
