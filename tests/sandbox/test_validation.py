"""Every request is checked against the contract: auth, routing, parameters and bodies."""

from __future__ import annotations

import logging
from urllib.parse import quote

import httpx
import pytest

from legithealth_async.sandbox import Sandbox

from .conftest import TOKEN, error_body, patient_body

PII = ["Ada", "Lovelace", "ada@example.org", "+34600111222", "1985-12-10"]


@pytest.mark.parametrize("headers", [{}, {"X-API-TOKEN": "wrong"}])
async def test_missing_or_wrong_token_is_401(
    api: httpx.AsyncClient, sandbox: Sandbox, headers: dict[str, str]
) -> None:
    api.headers.pop("X-API-TOKEN")
    r = await api.post("/patients", json=patient_body(), headers=headers)
    assert r.status_code == 401
    assert error_body(r)["errorCode"] == "UNAUTHORIZED"
    assert sandbox.patient("p-1") is None
    r = await api.get("/practitioners/specialties", headers=headers)
    assert r.status_code == 401


async def test_auth_is_checked_before_the_body(api: httpx.AsyncClient) -> None:
    r = await api.post("/patients", content=b"not json", headers={"X-API-TOKEN": "wrong"})
    assert r.status_code == 401


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"email": "a@b.org"}, "body.externalId: is required"),
        (
            {"externalId": "", "email": "a@b.org"},
            "body.externalId: must be at least 1 characters long",
        ),
        ({"externalId": "x", "email": "Ada Lovelace"}, "body.email: is not a valid email"),
        (
            {"externalId": "x", "phone": "600111222"},
            "body.phone: does not match the required pattern",
        ),
        ({"externalId": "x", "phone": 34600111222}, "body.phone: must be of type string"),
        (
            {"externalId": "x", "email": "a@b.org", "birthDate": "1985-13-10"},
            "body.birthDate: is not a valid date",
        ),
        (
            {"externalId": "x", "email": "a@b.org", "gender": 5},
            "body.gender: must be of type string",
        ),
        (
            {"externalId": "x", "email": "a@b.org", "conditions": [{"pathologyCode": "EA90"}]},
            "body.conditions[0].bodySiteCode: is required",
        ),
        (
            {
                "externalId": "x",
                "email": "a@b.org",
                "conditions": [
                    {
                        "pathologyCode": "EA90",
                        "bodySiteCode": "armLeft",
                        "isTracked": True,
                        "frequency": {"every": 0, "unit": "week"},
                    }
                ],
            },
            "body.conditions[0].frequency.every: must be at least 1",
        ),
        ([], "body: must be of type object"),
    ],
)
async def test_body_validation_names_the_field(
    api: httpx.AsyncClient, body: object, message: str
) -> None:
    r = await api.post("/patients", json=body)
    assert r.status_code == 400
    assert error_body(r) == {"success": False, "message": message, "errorCode": "VALIDATION_ERROR"}


async def test_validation_messages_never_echo_values(api: httpx.AsyncClient) -> None:
    bad = patient_body(email="Ada Lovelace", birthDate="Lovelace", phone="Ada")
    r = await api.post("/patients", json=bad)
    assert r.status_code == 400
    for value in PII:
        assert value not in r.text


async def test_invalid_json_and_missing_body(api: httpx.AsyncClient) -> None:
    r = await api.post("/patients", content=b"{nope", headers={"content-type": "application/json"})
    assert error_body(r)["message"] == "body: is not valid JSON"
    r = await api.post("/patients")
    assert r.status_code == 400 and error_body(r)["message"] == "body: is required"
    r = await api.post("/patients", content=b'{"a": NaN}')
    assert error_body(r)["message"] == "body: is not valid JSON"


async def test_wrong_content_type_is_400(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/patients", content=b'{"externalId": "x"}', headers={"content-type": "text/plain"}
    )
    assert r.status_code == 400
    assert "content type" in error_body(r)["message"]


async def test_path_parameter_validation(api: httpx.AsyncClient) -> None:
    r = await api.get("/conditions//episodes-of-care")
    assert r.status_code == 400
    assert error_body(r)["message"] == "path.conditionId: must be at least 1 characters long"


async def test_path_parameters_are_percent_decoded(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    for external_id in ("a/b", "auth-tokens", "é ü?&#", "new\nline", "%2E%2E", "..%2F"):
        assert (await api.post("/patients", json=patient_body(external_id))).status_code == 201
        r = await api.patch(f"/patients/{quote(external_id, safe='')}", json={"firstName": "C"})
        assert r.status_code == 200, external_id
        assert r.json()["externalId"] == external_id
        assert sandbox.patient(external_id)["firstName"] == "C"  # type: ignore[index]


async def test_unknown_path_is_a_json_404(api: httpx.AsyncClient) -> None:
    r = await api.get("/nothing/here")
    assert r.status_code == 404
    assert error_body(r)["errorCode"] == "NOT_FOUND"


async def test_outside_the_base_path_is_a_json_404(mode: str, sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(transport=sandbox.transport()) as client:
        r = await client.get("http://sandbox/patients", headers={"X-API-TOKEN": TOKEN})
    assert r.status_code == 404
    assert error_body(r)["errorCode"] == "NOT_FOUND"


async def test_wrong_method_is_405(api: httpx.AsyncClient) -> None:
    r = await api.delete("/patients")
    assert r.status_code == 405
    assert set(r.headers["allow"].split(", ")) == {"GET", "POST"}
    assert error_body(r)["errorCode"] == "METHOD_NOT_ALLOWED"


async def test_no_personal_data_in_logs_or_error_messages(
    api: httpx.AsyncClient, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox.faults.set("getPatientsAuthTokens", drop_after_rate=1.0)
    answers = [
        await api.post(
            "/patients",
            json=patient_body(conditions=[{"pathologyCode": "EA90", "bodySiteCode": "armLeft"}]),
        ),
        await api.post("/patients", json=patient_body()),
        await api.post("/patients", json=patient_body(email="Ada at Lovelace")),
        await api.get("/patients", params={"externalIds[]": ["p-1", "Lovelace"]}),
        await api.patch("/patients/Lovelace", json={"firstName": "Ada"}),
        await api.patch("/patients/p-1", json={"phone": "+34600111222", "gender": "Ada"}),
    ]
    with pytest.raises(httpx.RemoteProtocolError):
        await api.post("/patients/auth-tokens", json={"externalIds": ["p-1"]})
    tokens = [sandbox.outbox[-1].to]
    assert len(answers) == 6
    ours = [r for r in caplog.records if r.name.startswith(("legithealth_async", "uvicorn"))]
    text = "\n".join(r.getMessage() for r in ours)
    for a in answers:
        if a.status_code >= 400:
            text += "\n" + a.json()["message"]
    for value in [*PII, "p-1", *tokens]:
        assert value not in text
    assert "POST /patients -> 201" in text  # the sandbox's log lines are there


async def test_a_value_outside_a_known_list_is_422_naming_the_field(api: httpx.AsyncClient) -> None:
    """The client sends unknown codes (the lists are assumptions); the server decides."""
    body = patient_body(
        gender="Ada",
        conditions=[
            {"pathologyCode": "EA90", "bodySiteCode": "armLeft"},
            {"pathologyCode": "EK90", "bodySiteCode": "Lovelace"},
        ],
    )
    r = await api.post("/patients", json=body)
    assert r.status_code == 422
    assert error_body(r)["message"] in (
        "body.gender: not a known value",
        "body.conditions[1].bodySiteCode: not a known value",
    )
    assert "Ada" not in r.text and "Lovelace" not in r.text


async def test_an_unlisted_icd11_code_is_accepted(api: httpx.AsyncClient) -> None:
    body = patient_body(conditions=[{"pathologyCode": "EK90", "bodySiteCode": "armLeft"}])
    r = await api.post("/patients", json=body)
    assert r.status_code == 201
    assert r.json()["conditions"][0]["pathologyCode"] == "EK90"
