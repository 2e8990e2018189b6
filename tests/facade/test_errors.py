"""Each error class, hostile answers, client-side validation, and the client's own guards.

Answers come from a scripted server on loopback (``tests/_scripted.py``), on every transport; a
test that checks only what happens before sending runs on one (``ONE_TRANSPORT``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from _scripted import ONE_TRANSPORT, ScriptedServer

from legithealth_async import (
    ActiveEpisodeExistsError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConditionInput,
    ConfigurationError,
    ConflictError,
    EpisodeOfCareStatus,
    Frequency,
    InternalServerError,
    LegitHealth,
    LegitHealthError,
    NotFoundError,
    PatientAlreadyExistsError,
    PermissionDeniedError,
    PractitionerAlreadyExistsError,
    UnexpectedResponseError,
    UnprocessableEntityError,
    ValidationError,
)

from .conftest import BASE, TOKEN, error_json, patient_json

GET_URL = "/patients?externalIds%5B%5D=p1"
EPISODES_URL = "/conditions/c1/episodes-of-care"


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "VALIDATION_ERROR", BadRequestError),
        (401, "UNAUTHORIZED", AuthenticationError),
        (403, "FORBIDDEN", PermissionDeniedError),
        (404, "NOT_FOUND", NotFoundError),
        (409, "SOMETHING", ConflictError),
        (422, "UNPROCESSABLE", UnprocessableEntityError),
    ],
)
async def test_status_maps_to_its_error_class(
    lh: LegitHealth, scripted: ScriptedServer, status: int, code: str, cls: type[APIStatusError]
) -> None:
    scripted.add_response(
        url="/episodes-of-care/e1",
        method="PATCH",
        status_code=status,
        json=error_json(code, "explained"),
        headers={"x-request-id": "req-42"},
    )
    with pytest.raises(cls) as info:
        await lh.episodes_of_care.patch("e1", external_id="HRM-1")
    err = info.value
    assert type(err) is cls
    assert (err.status_code, err.error_code, err.request_id) == (status, code, "req-42")
    assert err.message == "explained"
    assert "patchEpisodeOfCare" in str(err) and "req-42" in str(err) and code in str(err)
    assert "explained" not in str(err)  # the server's text may echo personal data


async def test_5xx_after_retries_is_internal_server_error(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    for _ in range(5):
        scripted.add_response(url=GET_URL, status_code=503, json=error_json("UNAVAILABLE"))
    with pytest.raises(InternalServerError) as info:
        await lh.patients.get("p1")
    assert info.value.status_code == 503


async def test_409_codes_map_to_their_subclasses(lh: LegitHealth, scripted: ScriptedServer) -> None:
    scripted.add_response(
        url="/patients",
        method="POST",
        status_code=409,
        json=error_json("PATIENT_ALREADY_EXISTS"),
    )
    with pytest.raises(PatientAlreadyExistsError):
        await lh.patients.create(external_id="p1", phone="+34600111222")
    scripted.add_response(
        url=EPISODES_URL,
        method="POST",
        status_code=409,
        json=error_json("ACTIVE_EPISODE_OF_CARE_EXISTS"),
    )
    with pytest.raises(ActiveEpisodeExistsError):
        await lh.episodes_of_care.create("c1")
    scripted.add_response(
        url="/practitioners",
        method="POST",
        status_code=409,
        json=error_json("PRACTITIONER_ALREADY_EXISTS"),
    )
    with pytest.raises(PractitionerAlreadyExistsError):
        await lh.practitioners.create(external_id="d1", email="doc@example.org")


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(200, text="<html>oops</html>"), "not JSON"),
        (httpx.Response(200, content=b""), "not JSON"),
        (httpx.Response(200, text='[{"id": "x", "externalId"'), "not JSON"),
        (httpx.Response(200, json={"not": "a list"}), "does not match"),
        (
            httpx.Response(200, json=[{"externalId": "p1", "conditions": []}]),
            "[].id: required field missing",
        ),
        (httpx.Response(200, json=[patient_json("p1", birthDate="1985-99-99")]), "does not match"),
        (httpx.Response(200, json=[patient_json("p1", id=12)]), "does not match"),
        (httpx.Response(599, json=error_json("WEIRD")), "outside the contract"),
        (httpx.Response(302, headers={"location": "https://evil.test/"}), "outside the contract"),
    ],
)
async def test_hostile_answers_become_unexpected_response_errors(
    lh: LegitHealth, scripted: ScriptedServer, response: httpx.Response, reason: str
) -> None:
    scripted.add_response(
        url=GET_URL,
        status_code=response.status_code,
        headers=dict(response.headers),
        content=response.content,
    )
    with pytest.raises(UnexpectedResponseError) as info:
        await lh.patients.get("p1")
    assert reason in str(info.value)
    assert info.value.status_code == response.status_code
    # The bad date is not quoted back.
    assert "1985-99-99" not in str(info.value)


async def test_a_redirect_is_never_followed(lh: LegitHealth, scripted: ScriptedServer) -> None:
    scripted.add_response(
        url=GET_URL, status_code=307, headers={"location": "https://evil.test/steal"}
    )
    with pytest.raises(UnexpectedResponseError):
        await lh.patients.get("p1")
    assert [r.url.host for r in scripted.get_requests()] == ["127.0.0.1"]  # only ours


async def test_html_502_is_a_typed_status_error(lh: LegitHealth, scripted: ScriptedServer) -> None:
    for _ in range(5):
        scripted.add_response(url=GET_URL, status_code=502, text="<html>Bad gateway</html>")
    with pytest.raises(InternalServerError) as info:
        await lh.patients.get("p1")
    assert info.value.message == "error body is not JSON"


async def test_unknown_enum_values_are_kept_raw(lh: LegitHealth, scripted: ScriptedServer) -> None:
    episode = {
        "id": "e1",
        "externalId": None,
        "conditionId": "c1",
        "status": "onHold",
        "startedAt": "2026-01-10T09:30:00Z",
        "finishedAt": None,
    }
    scripted.add_response(url=EPISODES_URL, json=[episode])
    scripted.add_response(
        url=GET_URL,
        json=[
            patient_json(
                "p1",
                gender="nonBinary",
                conditions=[
                    {
                        "id": "c9",
                        "pathologyCode": "XX99",
                        "bodySiteCode": "elbowLeft",
                        "isTracked": True,
                        "frequency": None,
                    }
                ],
            )
        ],
    )
    (ep,) = await lh.episodes_of_care.list_for_condition("c1")
    assert ep.status == "onHold" and ep.status != EpisodeOfCareStatus.ACTIVE
    patient = await lh.patients.get("p1")
    assert patient is not None
    assert patient.gender == "nonBinary"
    assert patient.conditions[0].pathology_code == "XX99"


async def test_gigantic_body_is_refused(lh: LegitHealth, scripted: ScriptedServer) -> None:
    from legithealth_async import _constants

    scripted.add_response(
        url=GET_URL, content=b"[" + b" " * (_constants.MAX_RESPONSE_BYTES + 10) + b"]"
    )
    with pytest.raises(UnexpectedResponseError, match="body over"):
        await lh.patients.get("p1")


# ------------------------------------------------------------------ validation before sending

VALID: dict[str, Any] = {"external_id": "p1", "email": "ada@example.org"}


@ONE_TRANSPORT
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"external_id": "p1"}, "email/phone"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": "x" * 256, "email": "a@b.co"}, "external_id"),
        ({**VALID, "email": "not-an-email"}, "email"),
        ({**VALID, "email": "ada@example"}, "email"),
        ({**VALID, "phone": "600 111 222"}, "phone"),
        ({**VALID, "birth_date": dt.datetime(1985, 1, 1)}, "birth_date"),
        ({**VALID, "gender": ""}, "gender"),
        ({**VALID, "language": "spanish"}, "language"),
        (
            {**VALID, "conditions": [ConditionInput(pathology_code="XX", body_site_code="scalp")]},
            "conditions[0].pathology_code",
        ),
        (
            {**VALID, "conditions": [ConditionInput(pathology_code="EA90", body_site_code="")]},
            "conditions[0].body_site_code",
        ),
        (
            {
                **VALID,
                "conditions": [
                    ConditionInput(pathology_code="EA90", body_site_code="scalp"),
                    ConditionInput(
                        pathology_code="EA90",
                        body_site_code="scalp",
                        frequency=Frequency(every=1, unit="week"),
                    ),
                ],
            },
            "conditions[1].frequency",
        ),
        (
            {
                **VALID,
                "conditions": [
                    ConditionInput(
                        pathology_code="EA90",
                        body_site_code="scalp",
                        is_tracked=True,
                        frequency=Frequency(every=0, unit="week"),
                    )
                ],
            },
            "conditions[0].frequency.every",
        ),
    ],
)
async def test_bad_input_fails_before_sending(
    lh: LegitHealth, scripted: ScriptedServer, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        await lh.patients.create(**kwargs)
    assert info.value.field == field
    assert isinstance(info.value, ValueError) and isinstance(info.value, LegitHealthError)
    assert scripted.get_requests() == []
    # The message names the field, never the value.
    for value in ("not-an-email", "600 111 222", "spanish"):
        assert value not in str(info.value)


@ONE_TRANSPORT
async def test_naive_planned_for_and_empty_ids_fail_before_sending(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    with pytest.raises(ValidationError, match="planned_for"):
        await lh.encounters.create("e1", planned_for=dt.datetime(2026, 12, 1, 10, 0))
    with pytest.raises(ValidationError, match="episode_of_care_id"):
        await lh.encounters.create("", planned_for=dt.datetime.now(dt.UTC))
    with pytest.raises(ValidationError, match=r"external_ids\[1\]"):
        await lh.patients.get_many(["ok", ""])
    with pytest.raises(ValidationError, match="not a single string"):
        await lh.patients.get_many("abc")
    with pytest.raises(ValidationError, match="nothing to change"):
        await lh.patients.patch("p1")
    assert scripted.get_requests() == []


# --------------------------------------------------------------------------- client guards


def test_missing_token_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEGITHEALTH_API_TOKEN", raising=False)
    with pytest.raises(ConfigurationError, match="LEGITHEALTH_API_TOKEN"):
        LegitHealth()


async def test_token_and_base_url_from_environment(
    monkeypatch: pytest.MonkeyPatch, scripted: ScriptedServer
) -> None:
    monkeypatch.setenv("LEGITHEALTH_API_TOKEN", "env-token")
    monkeypatch.setenv("LEGITHEALTH_BASE_URL", scripted.base_url)
    scripted.add_response(url="/practitioners/specialties", json=[])
    async with LegitHealth() as lh:  # the default transport: what the environment alone gives
        assert await lh.practitioners.specialties() == []
    assert scripted.get_requests()[0].headers["X-API-TOKEN"] == "env-token"


@pytest.mark.parametrize("url", ["http://api.legit.health/v1", "ftp://x/y", "not a url at all"])
def test_insecure_base_url_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        LegitHealth(TOKEN, base_url=url)


def test_plain_http_allowed_on_loopback_only() -> None:
    assert LegitHealth(TOKEN, base_url="http://127.0.0.1:8000/v1").base_url.startswith("http://")


async def test_use_after_close_is_a_clear_error(lh: LegitHealth) -> None:
    await lh.aclose()
    assert lh.closed
    with pytest.raises(ClientClosedError):
        await lh.patients.get("p1")
    await lh.aclose()  # idempotent


async def test_injected_http_client_is_used_and_left_open(scripted: ScriptedServer) -> None:
    scripted.add_response(url="/practitioners/specialties", json=[])
    own = httpx.AsyncClient(trust_env=False)
    async with LegitHealth(TOKEN, base_url=scripted.base_url, http_client=own) as lh:
        await lh.practitioners.specialties()
    assert not own.is_closed
    assert len(scripted.get_requests()) == 1
    await own.aclose()


def test_client_and_errors_repr_hide_the_token() -> None:
    lh = LegitHealth(TOKEN, base_url=BASE)
    assert TOKEN not in repr(lh)
    assert "max_retries=4" in repr(lh)


def test_timeouts_must_be_bounded() -> None:
    with pytest.raises(ConfigurationError):
        LegitHealth(TOKEN, base_url=BASE, timeout=httpx.Timeout(None))
    with pytest.raises(ConfigurationError):
        LegitHealth(TOKEN, base_url=BASE, timeout=-1)


@ONE_TRANSPORT
async def test_a_misspelt_field_is_a_type_error_before_sending(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    with pytest.raises(TypeError, match="emial"):
        await lh.patients.create(external_id="p1", phone="+34600111222", emial="a@b.org")  # type: ignore[call-arg]
    assert scripted.get_requests() == []


def test_http2_without_h2_is_a_clear_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "h2" else real(name, *a)
    )
    with pytest.raises(ConfigurationError, match=r"legithealth-async\[http2\]"):
        LegitHealth(TOKEN, base_url=BASE, http2=True)


def test_a_client_used_on_a_second_event_loop_says_so(scripted: ScriptedServer) -> None:
    import asyncio

    scripted.add_response(url="/practitioners/specialties", json=[])
    lh = LegitHealth(TOKEN, base_url=scripted.base_url)  # the default transport (asyncio's)
    asyncio.run(lh.practitioners.specialties())
    with pytest.raises(ConfigurationError, match="one client per event loop"):
        asyncio.run(lh.practitioners.specialties())
    assert len(scripted.get_requests()) == 1
