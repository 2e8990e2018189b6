"""The public models: generated from the spec, parsed in one strict pass, open to what they
do not know, and checked only for what is certain."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from _scripted import ONE_TRANSPORT, ScriptedServer

from legithealth_async import (
    BodySiteCode,
    ConditionInput,
    Frequency,
    LegitHealth,
    PathologyCode,
    Patient,
    UnexpectedResponseError,
    UnprocessableEntityError,
    ValidationError,
)
from legithealth_async._generated.types import ParseError
from legithealth_async._validation import ICD11_RE

from .conftest import error_json, patient_json

ROOT = Path(__file__).resolve().parents[2]
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "legit-health.yaml").read_text())


# ------------------------------------------------------------ assumptions inform, server decides


async def test_an_unlisted_icd11_code_body_site_unit_and_gender_reach_the_server(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_response(url="/patients", method="POST", status_code=201, json=patient_json("p1"))
    await lh.patients.create(
        external_id="p1",
        email="ada@example.org",
        gender="nonBinary",
        conditions=[
            ConditionInput(pathology_code="EK90", body_site_code="earLeft"),
            ConditionInput(
                pathology_code="ED92.0",
                body_site_code=BodySiteCode.SCALP,
                is_tracked=True,
                frequency=Frequency(every=2, unit="fortnight"),
            ),
        ],
    )
    body = json.loads(scripted.get_requests()[0].content)
    assert body["gender"] == "nonBinary"
    assert body["conditions"] == [
        {"pathologyCode": "EK90", "bodySiteCode": "earLeft"},
        {
            "pathologyCode": "ED92.0",
            "bodySiteCode": "scalp",
            "isTracked": True,
            "frequency": {"every": 2, "unit": "fortnight"},
        },
    ]


async def test_the_servers_refusal_of_an_unknown_code_comes_back_typed(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_response(
        url="/patients",
        method="POST",
        status_code=422,
        json=error_json("UNPROCESSABLE", "unknown body site"),
    )
    with pytest.raises(UnprocessableEntityError):
        await lh.patients.create(
            external_id="p1",
            email="ada@example.org",
            conditions=[ConditionInput(pathology_code="EA90", body_site_code="elbowLeft")],
        )


@pytest.mark.parametrize("code", ["EA90", "2C30", "ED92.0", "EK90", "1F28.1Z", "XN6P"])
def test_icd11_codes_pass_by_format(code: str) -> None:
    assert ICD11_RE.match(code)


@ONE_TRANSPORT
@pytest.mark.parametrize("code", ["ea90", "EA9", "EI90", "EA90.", "EA90.12345", "psoriasis", ""])
async def test_a_code_that_is_not_icd11_fails_before_sending(
    lh: LegitHealth, scripted: ScriptedServer, code: str
) -> None:
    with pytest.raises(ValidationError) as info:
        await lh.patients.create(
            external_id="p1",
            email="ada@example.org",
            conditions=[ConditionInput(pathology_code=code, body_site_code="scalp")],
        )
    assert info.value.field == "conditions[0].pathology_code"
    assert scripted.get_requests() == []


def test_the_icd11_format_is_the_specs_pattern() -> None:
    prop = SPEC["components"]["schemas"]["ConditionInput"]["properties"]["pathologyCode"]
    assert prop["pattern"] == ICD11_RE.pattern
    assert "enum" not in prop and "$ref" not in prop


def test_known_codes_are_constants_listed_in_the_spec() -> None:
    schemas = SPEC["components"]["schemas"]
    assert PathologyCode.EA90 == "EA90" and PathologyCode.CODE_2C30 == "2C30"
    assert set(schemas["PathologyCode"]["enum"]) == PathologyCode.KNOWN
    assert set(schemas["BodySiteCode"]["enum"]) == BodySiteCode.KNOWN
    # Every known code passes the format check: the constants are usable as they are.
    assert all(ICD11_RE.match(code) for code in PathologyCode.KNOWN)


@ONE_TRANSPORT
async def test_a_missing_required_field_is_a_validation_error_naming_it(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    kwargs: dict[str, Any] = {"email": "ada@example.org"}
    with pytest.raises(ValidationError) as info:
        await lh.patients.create(**kwargs)
    assert info.value.field == "external_id"
    assert scripted.get_requests() == []


# ------------------------------------------------------------------------------ the models


def test_unknown_fields_are_kept_read_only_and_out_of_repr() -> None:
    data = patient_json("p1", createdAt="2026-01-01T00:00:00Z", nickname="Addie")
    patient = Patient.from_dict(data)
    assert dict(patient.model_extra) == {"createdAt": "2026-01-01T00:00:00Z", "nickname": "Addie"}
    with pytest.raises(TypeError):
        patient.model_extra["nickname"] = "x"  # type: ignore[index]
    assert "Addie" not in repr(patient) and "model_extra" not in repr(patient)
    assert Patient.from_dict(patient_json("p1")).model_extra == {}


def test_only_fields_known_not_to_be_patient_data_are_in_repr() -> None:
    condition = {"id": "c1", "pathologyCode": "EA90", "bodySiteCode": "scalp", "isTracked": False}
    data = patient_json("ext-SECRET", id="lh-1", conditions=[condition], nickname="Addie")
    patient = Patient.from_dict(data)
    text = repr(patient)
    hidden = ("ext-SECRET", "Ada", "Lovelace", "ada@example.org", "+34600111222", "1985")
    for value in (*hidden, "female", "language=", "Addie"):  # demographics, unknown fields too
        assert value not in text
    assert "id='lh-1'" in text and "EA90" in text


def test_models_are_frozen_keyword_only_and_slotted() -> None:
    patient = Patient.from_dict(patient_json("p1"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        patient.email = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        Frequency(1, "week")  # type: ignore[misc]
    assert not hasattr(patient, "__dict__")
    assert type(patient).__module__ == "legithealth_async.models"
    assert pickle.loads(pickle.dumps(patient)) == patient


def test_one_pass_parse_builds_typed_values() -> None:
    tracked = {
        "id": "c2",
        "pathologyCode": "ED80",
        "bodySiteCode": "headFront",
        "isTracked": True,
        "frequency": {"every": 2, "unit": "week"},
    }
    patient = Patient.from_dict(patient_json("p1", conditions=[tracked], phone=None))
    assert patient.birth_date == dt.date(1985, 12, 10) and patient.phone is None
    (condition,) = patient.conditions
    assert condition.frequency == Frequency(every=2, unit="week")


@pytest.mark.parametrize(
    ("over", "where"),
    [
        ({"id": 12}, "id"),
        ({"email": 5}, "email"),
        ({"birthDate": "1985-99-99"}, "birthDate"),
        ({"conditions": "EA90"}, "conditions"),
        (
            {
                "conditions": [
                    {
                        "id": "c",
                        "pathologyCode": "EA90",
                        "bodySiteCode": "scalp",
                        "isTracked": "yes",
                    }
                ]
            },
            "conditions[].isTracked",
        ),
        (
            {
                "conditions": [
                    {
                        "id": "c",
                        "pathologyCode": "EA90",
                        "bodySiteCode": "scalp",
                        "isTracked": True,
                        "frequency": {"every": True, "unit": "week"},
                    }
                ]
            },
            "conditions[].frequency.every",
        ),
    ],
)
def test_a_wrong_type_is_a_parse_error_naming_the_field_not_the_value(
    over: dict[str, Any], where: str
) -> None:
    with pytest.raises(ParseError) as info:
        Patient.from_dict(patient_json("p1", **over))
    assert info.value.where == where
    assert "1985-99-99" not in str(info.value)


async def test_a_wrong_type_in_an_answer_is_an_unexpected_response_naming_the_field(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_response(
        url=re.compile(r".*/integration/v1/patients.*"),
        json=[patient_json("p1", birthDate="10/12/1985")],
    )
    with pytest.raises(UnexpectedResponseError) as info:
        await lh.patients.get("p1")
    assert "[].birthDate" in str(info.value) and "10/12/1985" not in str(info.value)


def test_request_models_send_only_what_is_given() -> None:
    assert ConditionInput(pathology_code="EA90", body_site_code="scalp").to_dict() == {
        "pathologyCode": "EA90",
        "bodySiteCode": "scalp",
    }
