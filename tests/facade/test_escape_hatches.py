"""Escape hatches (issue 11 item 3, item 6): raw answers, per-call extras, generated operations;
on every transport (a scripted server on loopback: ``tests/_scripted.py``)."""

from __future__ import annotations

import json
import logging

import pytest
from _scripted import ONE_TRANSPORT, ScriptedServer

from legithealth_async import (
    AmbiguousOutcomeError,
    LegitHealth,
    NotFoundError,
    Patient,
    RawResponse,
    ValidationError,
)
from legithealth_async._generated.api.practitioners import (
    create_practitioner,
    get_practitioner_specialties,
)
from legithealth_async._generated.models import PractitionerCreate

from .conftest import TOKEN, error_json, patient_json

POST_URL = "/patients"


async def test_with_raw_response_gives_status_headers_request_id_and_the_model(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_response(
        url=POST_URL,
        method="POST",
        status_code=201,
        json=patient_json("p1"),
        headers={"x-request-id": "req-42", "x-rate-remaining": "99"},
    )
    raw = await lh.patients.with_raw_response.create(external_id="p1", email="ada@example.org")
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 201
    assert raw.request_id == "req-42"
    assert raw.headers["x-rate-remaining"] == "99"
    patient = raw.parse()
    assert isinstance(patient, Patient) and patient.external_id == "p1"
    # No PHI in its repr: method, path template and status only.
    assert repr(raw) == "<RawResponse POST /patients -> 201>"
    for secret in ("ada", "Lovelace", "p1", "600111222", "1985"):
        assert secret not in repr(raw)


async def test_raw_response_of_a_read_and_of_an_error(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_response(json=[{"code": "dermatology", "name": "Dermatology"}])
    raw = await lh.practitioners.with_raw_response.specialties()
    assert raw.status_code == 200 and raw.parse()[0].code == "dermatology"
    scripted.add_response(status_code=404, json=error_json("NOT_FOUND"))
    with pytest.raises(NotFoundError):  # errors are raised as usual
        await lh.episodes_of_care.with_raw_response.list_for_condition("c1")


async def test_extra_headers_query_and_body_are_sent(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_response(status_code=201, json=patient_json("p1"))
    await lh.patients.create(
        external_id="p1",
        email="ada@example.org",
        extra_headers={"X-Hospital-Trace": "t-1"},
        extra_query={"dryRun": "true"},
        extra_body={"createdBy": "hrm"},
    )
    (request,) = scripted.get_requests()
    assert request.headers["X-Hospital-Trace"] == "t-1"
    assert request.headers["X-API-TOKEN"] == TOKEN
    assert request.url.params["dryRun"] == "true"
    body = json.loads(request.content)
    assert body["createdBy"] == "hrm" and body["externalId"] == "p1"


@ONE_TRANSPORT
@pytest.mark.parametrize("name", ["X-API-TOKEN", "x-api-token"])
async def test_extra_headers_can_never_replace_the_token(
    lh: LegitHealth, scripted: ScriptedServer, name: str
) -> None:
    with pytest.raises(ValidationError) as info:
        await lh.practitioners.specialties(extra_headers={name: "stolen"})
    assert info.value.field == "extra_headers"
    assert "stolen" not in str(info.value)
    assert scripted.get_requests() == []


@ONE_TRANSPORT
@pytest.mark.parametrize(
    "headers",
    [
        {"X-Trace": "a\r\nX-Injected: 1"},  # a second header smuggled in
        {"X-Trace": "line\nbreak"},
        {"X-Trace": "nul\x00"},
        {"X-Trace": "caf\u00e9"},  # not ASCII: encoded differently by each transport
        {"X-Trace": 7},
        {"X Trace": "space in the name"},
        {"X-Trace:": "colon in the name"},
        {"": "empty name"},
    ],
)
async def test_an_extra_header_that_cannot_be_sent_as_given_is_refused_before_sending(
    lh: LegitHealth, scripted: ScriptedServer, headers: dict[str, object]
) -> None:
    with pytest.raises(ValidationError) as info:
        await lh.practitioners.specialties(extra_headers=headers)  # type: ignore[arg-type]
    assert info.value.field == "extra_headers"
    for value in headers.values():
        assert str(value) not in str(info.value)
    assert scripted.get_requests() == []


async def test_extras_never_reach_a_log_line(
    lh: LegitHealth, scripted: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    scripted.add_response(json=[])
    await lh.practitioners.specialties(
        extra_headers={"X-Secret": "hdr-SENTINEL"}, extra_query={"q": "qry-SENTINEL"}
    )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "SENTINEL" not in text


async def test_an_operation_without_a_facade_method_through_the_session(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_response(status_code=503, json=error_json("X"))
    scripted.add_response(json=[{"code": "dermatology", "name": "Dermatology"}])
    codes = await lh.call_generated(
        get_practitioner_specialties, parse=lambda data: [s["code"] for s in data]
    )
    assert codes == ["dermatology"]  # retried after the 503, then parsed
    assert len(scripted.get_requests()) == 2
    # The error mapping applies too.
    scripted.add_response(status_code=404, json=error_json("NOT_FOUND"))
    with pytest.raises(NotFoundError):
        await lh.call_generated(get_practitioner_specialties._get_kwargs)


async def test_a_generated_write_is_never_repeated_blind(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_response(status_code=503, json=error_json("X"))
    body = PractitionerCreate(external_id="d1", email="doc@example.org")
    with pytest.raises(AmbiguousOutcomeError):
        await lh.call_generated(create_practitioner, body=body)
    assert len(scripted.get_requests()) == 1


async def test_an_operation_by_its_operation_id_needs_no_private_import(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_response(json=[{"code": "dermatology", "name": "Dermatology"}])
    assert await lh.call_generated("getPractitionerSpecialties") == [
        {"code": "dermatology", "name": "Dermatology"}
    ]
    assert scripted.get_requests()[0].url.path.endswith("/practitioners/specialties")
    with pytest.raises(ValidationError) as raised:
        await lh.call_generated("getPractitionerSpecialty")
    assert str(raised.value) == (
        "endpoint: no operation 'getPractitionerSpecialty' in the contract"
        " (did you mean 'get_practitioner_specialties'?)"
    )
    assert len(scripted.get_requests()) == 1  # nothing sent for the unknown one
