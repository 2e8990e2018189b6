"""A create is never duplicated: reconciliation after ambiguous failures."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from pytest_httpx import HTTPXMock

from legithealth_async import AmbiguousOutcomeError, LegitHealth

from .conftest import BASE, error_json, patient_json

POST_URL = f"{BASE}/patients"
GET_URL = f"{BASE}/patients?externalIds%5B%5D=p1"
EPISODES_URL = f"{BASE}/conditions/c1/episodes-of-care"


def _methods(httpx_mock: HTTPXMock) -> list[str]:
    return [r.method for r in httpx_mock.get_requests()]


def _episode(ep_id: str, status: str, external_id: str | None = None) -> dict[str, object]:
    return {
        "id": ep_id,
        "externalId": external_id,
        "conditionId": "c1",
        "status": status,
        "startedAt": "2026-03-02T11:00:00Z",
        "finishedAt": None,
    }


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.WriteError("broken pipe"),
    ],
)
async def test_dropped_create_that_took_effect_is_found_not_resent(
    lh: LegitHealth, httpx_mock: HTTPXMock, failure: Exception
) -> None:
    httpx_mock.add_exception(failure, url=POST_URL, method="POST")
    httpx_mock.add_response(url=GET_URL, json=[patient_json("p1")])
    patient = await lh.patients.create(external_id="p1", email="ada@example.org")
    assert patient.id == "lh-p1"
    assert _methods(httpx_mock) == ["POST", "GET"]  # no second POST


async def test_dropped_create_that_did_not_take_effect_is_retried_once(
    lh: LegitHealth, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"), url=POST_URL, method="POST")
    httpx_mock.add_response(url=GET_URL, json=[])
    httpx_mock.add_response(url=POST_URL, method="POST", status_code=201, json=patient_json("p1"))
    patient = await lh.patients.create(external_id="p1", email="ada@example.org")
    assert patient.external_id == "p1"
    assert _methods(httpx_mock) == ["POST", "GET", "POST"]
    first, _, second = httpx_mock.get_requests()
    assert first.content == second.content  # the very same create, not a new one


async def test_409_on_the_retry_resolves_to_the_existing_patient(
    lh: LegitHealth, httpx_mock: HTTPXMock
) -> None:
    """The first attempt landed late (after the lookup): the retry's 409 proves it."""
    httpx_mock.add_response(url=POST_URL, method="POST", status_code=503, json=error_json("X"))
    httpx_mock.add_response(url=GET_URL, json=[])
    httpx_mock.add_response(
        url=POST_URL, method="POST", status_code=409, json=error_json("PATIENT_ALREADY_EXISTS")
    )
    httpx_mock.add_response(url=GET_URL, json=[patient_json("p1")])
    patient = await lh.patients.create(external_id="p1", email="ada@example.org")
    assert patient.id == "lh-p1"
    assert _methods(httpx_mock) == ["POST", "GET", "POST", "GET"]


async def test_failed_lookup_turns_into_an_ambiguous_outcome(
    lh: LegitHealth, httpx_mock: HTTPXMock
) -> None:
    lh = lh.with_options(max_retries=1)
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"), url=POST_URL, method="POST")
    for _ in range(2):
        httpx_mock.add_response(url=GET_URL, status_code=503, json=error_json("X"))
    with pytest.raises(AmbiguousOutcomeError, match="lookup failed"):
        await lh.patients.create(external_id="p1", email="ada@example.org")
    assert _methods(httpx_mock).count("POST") == 1


async def test_episode_create_reconciles_by_listing_the_condition(
    lh: LegitHealth, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=EPISODES_URL, method="POST")
    httpx_mock.add_response(
        url=EPISODES_URL,
        method="GET",
        json=[_episode("e0", "finished"), _episode("e1", "active", "HRM-9")],
    )
    episode = await lh.episodes_of_care.create("c1", external_id="HRM-9")
    assert episode.id == "e1"
    assert _methods(httpx_mock) == ["POST", "GET"]


async def test_episode_create_retries_when_the_listing_proves_nothing_was_made(
    lh: LegitHealth, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_exception(httpx.RemoteProtocolError("dropped"), url=EPISODES_URL, method="POST")
    httpx_mock.add_response(url=EPISODES_URL, method="GET", json=[_episode("e0", "finished")])
    httpx_mock.add_response(
        url=EPISODES_URL, method="POST", status_code=201, json=_episode("e2", "active")
    )
    episode = await lh.episodes_of_care.create("c1")
    assert episode.id == "e2"


async def test_encounter_create_never_guesses(lh: LegitHealth, httpx_mock: HTTPXMock) -> None:
    url = f"{BASE}/episodes-of-care/e1/encounters"
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=url, method="POST")
    with pytest.raises(AmbiguousOutcomeError) as info:
        await lh.encounters.create("e1", planned_for=dt.datetime.now(dt.UTC))
    assert info.value.operation == "createEncounter"
    assert _methods(httpx_mock) == ["POST"]


async def test_encounter_create_is_retried_when_nothing_was_sent(
    lh: LegitHealth, httpx_mock: HTTPXMock
) -> None:
    url = f"{BASE}/episodes-of-care/e1/encounters"
    httpx_mock.add_exception(httpx.ConnectError("refused"), url=url, method="POST")
    httpx_mock.add_response(
        url=url,
        method="POST",
        status_code=201,
        json={
            "id": "enc1",
            "episodeOfCareId": "e1",
            "externalId": None,
            "planned_for": "2026-12-01T10:00:00Z",
            "status": "scheduled",
        },
    )
    encounter = await lh.encounters.create(
        "e1", planned_for=dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)
    )
    assert encounter.status == "scheduled"


async def test_tokens_sent_by_email_are_never_resent(
    lh: LegitHealth, httpx_mock: HTTPXMock
) -> None:
    url = f"{BASE}/patients/auth-tokens"
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=url, method="POST")
    with pytest.raises(AmbiguousOutcomeError):
        await lh.patients.auth_tokens(["p1"], send_link_by_email=True)
    assert _methods(httpx_mock) == ["POST"]
    assert json.loads(httpx_mock.get_requests()[0].content)["sendLinkToPatientByEmail"] is True


async def test_tokens_without_email_are_simply_retried(
    lh: LegitHealth, httpx_mock: HTTPXMock
) -> None:
    url = f"{BASE}/patients/auth-tokens"
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=url, method="POST")
    httpx_mock.add_response(
        url=url, method="POST", json=[{"externalId": "p1", "token": "t", "refresh_token": "r"}]
    )
    tokens = await lh.patients.auth_tokens(["p1"])
    assert [t.external_id for t in tokens.found] == ["p1"]


async def test_practitioner_create_reconciles_through_the_token_endpoint(
    lh: LegitHealth, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_exception(
        httpx.RemoteProtocolError("dropped"), url=f"{BASE}/practitioners", method="POST"
    )
    httpx_mock.add_response(
        url=f"{BASE}/practitioners/auth-tokens",
        method="POST",
        json=[{"externalId": "d1", "token": "t", "refresh_token": "r"}],
    )
    practitioner = await lh.practitioners.create(external_id="d1", email="doc@example.org")
    assert practitioner.id == "" and practitioner.external_id == "d1"
    sent = json.loads(httpx_mock.get_requests()[1].content)
    assert sent == {"externalIds": ["d1"], "sendLinkToPractitionerByEmail": False}


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(201, content=b""),
        httpx.Response(201, text='{"id": "lh-p1", "externalId"'),
        httpx.Response(201, json={"externalId": "p1", "conditions": []}),
        httpx.Response(599, json={}),
    ],
    ids=["empty-201", "truncated-201", "missing-id-201", "status-599"],
)
async def test_unreadable_create_answers_are_resolved_by_lookup(
    lh: LegitHealth, httpx_mock: HTTPXMock, answer: httpx.Response
) -> None:
    httpx_mock.add_response(
        url=POST_URL, method="POST", status_code=answer.status_code, content=answer.content
    )
    httpx_mock.add_response(url=GET_URL, json=[patient_json("p1")])
    patient = await lh.patients.create(external_id="p1", email="ada@example.org")
    assert patient.id == "lh-p1"
    assert _methods(httpx_mock) == ["POST", "GET"]  # found, never re-sent


async def test_unreadable_create_answer_with_nothing_made_is_the_typed_error(
    lh: LegitHealth, httpx_mock: HTTPXMock
) -> None:
    from legithealth_async import UnexpectedResponseError

    httpx_mock.add_response(url=POST_URL, method="POST", status_code=599, json={})
    httpx_mock.add_response(url=GET_URL, json=[])
    with pytest.raises(UnexpectedResponseError, match="599"):
        await lh.patients.create(external_id="p1", email="ada@example.org")
    assert _methods(httpx_mock) == ["POST", "GET"]


async def test_a_create_that_never_got_through_ends_in_the_transport_error(
    lh: LegitHealth, httpx_mock: HTTPXMock
) -> None:
    """Every attempt timed out and every lookup proved nothing was made: not ambiguous."""
    from legithealth_async import APITimeoutError

    lh = lh.with_options(max_retries=1)
    for _ in range(2):
        httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=POST_URL, method="POST")
        httpx_mock.add_response(url=GET_URL, json=[])
    with pytest.raises(APITimeoutError):
        await lh.patients.create(external_id="p1", email="ada@example.org")
    assert _methods(httpx_mock) == ["POST", "GET", "POST", "GET"]


async def test_create_answered_5xx_with_retry_after_over_the_cap_is_reconciled(
    lh: LegitHealth, httpx_mock: HTTPXMock
) -> None:
    """Issue 10: the server may have applied it before failing; the lookup finds it."""
    httpx_mock.add_response(
        url=POST_URL,
        method="POST",
        status_code=503,
        headers={"Retry-After": "3600"},
        json=error_json("X"),
    )
    httpx_mock.add_response(url=GET_URL, json=[patient_json("p1")])
    patient = await lh.patients.create(external_id="p1", email="ada@example.org")
    assert patient.id == "lh-p1"
    assert _methods(httpx_mock) == ["POST", "GET"]
