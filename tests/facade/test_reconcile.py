"""A create is never duplicated: reconciliation after ambiguous failures, on every transport.

The failures happen on the wire (``tests/_scripted.py``): a connection closed, reset or stalled
after the request was read (maybe sent), or refused (never sent).
"""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest
from _scripted import STALL_TIMEOUT, ScriptedServer, Wire

from legithealth_async import AmbiguousOutcomeError, LegitHealth

from .conftest import error_json, patient_json

POST_URL = "/patients"
GET_URL = "/patients?externalIds%5B%5D=p1"
EPISODES_URL = "/conditions/c1/episodes-of-care"


def _methods(scripted: ScriptedServer) -> list[str]:
    return [r.method for r in scripted.get_requests()]


def _episode(ep_id: str, status: str, external_id: str | None = None) -> dict[str, object]:
    return {
        "id": ep_id,
        "externalId": external_id,
        "conditionId": "c1",
        "status": status,
        "startedAt": "2026-03-02T11:00:00Z",
        "finishedAt": None,
    }


@pytest.mark.parametrize("failure", [*Wire, "cut-short"], ids=str)
async def test_dropped_create_that_took_effect_is_found_not_resent(
    lh: LegitHealth, scripted: ScriptedServer, failure: Wire | str
) -> None:
    if isinstance(failure, Wire):
        scripted.add_failure(failure, url=POST_URL, method="POST")
    else:  # the 201's body ends before its Content-Length, the connection closed
        json = patient_json("p1")
        scripted.add_response(url=POST_URL, method="POST", status_code=201, json=json, cut_after=9)
    scripted.add_response(url=GET_URL, json=[patient_json("p1")])
    lh = lh.with_options(timeout=STALL_TIMEOUT)
    patient = await lh.patients.create(external_id="p1", email="ada@example.org")
    assert patient.id == "lh-p1"
    assert _methods(scripted) == ["POST", "GET"]  # no second POST


async def test_dropped_create_that_did_not_take_effect_is_retried_once(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_failure(Wire.STALL, url=POST_URL, method="POST")
    scripted.add_response(url=GET_URL, json=[])
    scripted.add_response(url=POST_URL, method="POST", status_code=201, json=patient_json("p1"))
    lh = lh.with_options(timeout=STALL_TIMEOUT)
    patient = await lh.patients.create(external_id="p1", email="ada@example.org")
    assert patient.external_id == "p1"
    assert _methods(scripted) == ["POST", "GET", "POST"]
    first, _, second = scripted.get_requests()
    assert first.content == second.content  # the very same create, not a new one


async def test_409_on_the_retry_resolves_to_the_existing_patient(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    """The first attempt landed late (after the lookup): the retry's 409 proves it."""
    scripted.add_response(url=POST_URL, method="POST", status_code=503, json=error_json("X"))
    scripted.add_response(url=GET_URL, json=[])
    scripted.add_response(
        url=POST_URL, method="POST", status_code=409, json=error_json("PATIENT_ALREADY_EXISTS")
    )
    scripted.add_response(url=GET_URL, json=[patient_json("p1")])
    patient = await lh.patients.create(external_id="p1", email="ada@example.org")
    assert patient.id == "lh-p1"
    assert _methods(scripted) == ["POST", "GET", "POST", "GET"]


async def test_failed_lookup_turns_into_an_ambiguous_outcome(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    lh = lh.with_options(max_retries=1)
    scripted.add_failure(Wire.CLOSE, url=POST_URL, method="POST")
    for _ in range(2):
        scripted.add_response(url=GET_URL, status_code=503, json=error_json("X"))
    with pytest.raises(AmbiguousOutcomeError, match="lookup failed"):
        await lh.patients.create(external_id="p1", email="ada@example.org")
    assert _methods(scripted).count("POST") == 1


async def test_episode_create_reconciles_by_listing_the_condition(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_failure(Wire.CLOSE, url=EPISODES_URL, method="POST")
    scripted.add_response(
        url=EPISODES_URL,
        method="GET",
        json=[_episode("e0", "finished"), _episode("e1", "active", "HRM-9")],
    )
    episode = await lh.episodes_of_care.create("c1", external_id="HRM-9")
    assert episode.id == "e1"
    assert _methods(scripted) == ["POST", "GET"]


async def test_episode_create_retries_when_the_listing_proves_nothing_was_made(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_failure(Wire.CLOSE, url=EPISODES_URL, method="POST")
    scripted.add_response(url=EPISODES_URL, method="GET", json=[_episode("e0", "finished")])
    scripted.add_response(
        url=EPISODES_URL, method="POST", status_code=201, json=_episode("e2", "active")
    )
    episode = await lh.episodes_of_care.create("c1")
    assert episode.id == "e2"


async def test_encounter_create_never_guesses(lh: LegitHealth, scripted: ScriptedServer) -> None:
    url = "/episodes-of-care/e1/encounters"
    scripted.add_failure(Wire.CLOSE, url=url, method="POST")
    with pytest.raises(AmbiguousOutcomeError) as info:
        await lh.encounters.create("e1", planned_for=dt.datetime.now(dt.UTC))
    assert info.value.operation == "createEncounter"
    assert _methods(scripted) == ["POST"]


async def test_encounter_create_is_retried_when_nothing_was_sent(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    url = "/episodes-of-care/e1/encounters"
    scripted.add_refusal()  # nothing sent: retried without a lookup
    scripted.add_response(
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
    assert _methods(scripted) == ["POST"]


async def test_tokens_sent_by_email_are_never_resent(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    url = "/patients/auth-tokens"
    scripted.add_failure(Wire.CLOSE, url=url, method="POST")
    with pytest.raises(AmbiguousOutcomeError):
        await lh.patients.auth_tokens(["p1"], send_link_by_email=True)
    assert _methods(scripted) == ["POST"]
    assert json.loads(scripted.get_requests()[0].content)["sendLinkToPatientByEmail"] is True


async def test_tokens_without_email_are_simply_retried(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    url = "/patients/auth-tokens"
    scripted.add_failure(Wire.CLOSE, url=url, method="POST")
    scripted.add_response(
        url=url, method="POST", json=[{"externalId": "p1", "token": "t", "refresh_token": "r"}]
    )
    tokens = await lh.patients.auth_tokens(["p1"])
    assert [t.external_id for t in tokens.found] == ["p1"]


async def test_practitioner_create_reconciles_through_the_token_endpoint(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_failure(Wire.CLOSE, url="/practitioners", method="POST")
    scripted.add_response(
        url="/practitioners/auth-tokens",
        method="POST",
        json=[{"externalId": "d1", "token": "t", "refresh_token": "r"}],
    )
    practitioner = await lh.practitioners.create(external_id="d1", email="doc@example.org")
    assert practitioner.id == "" and practitioner.external_id == "d1"
    sent = json.loads(scripted.get_requests()[1].content)
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
    lh: LegitHealth, scripted: ScriptedServer, answer: httpx.Response
) -> None:
    scripted.add_response(
        url=POST_URL, method="POST", status_code=answer.status_code, content=answer.content
    )
    scripted.add_response(url=GET_URL, json=[patient_json("p1")])
    patient = await lh.patients.create(external_id="p1", email="ada@example.org")
    assert patient.id == "lh-p1"
    assert _methods(scripted) == ["POST", "GET"]  # found, never re-sent


async def test_unreadable_create_answer_with_nothing_made_is_the_typed_error(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    from legithealth_async import UnexpectedResponseError

    scripted.add_response(url=POST_URL, method="POST", status_code=599, json={})
    scripted.add_response(url=GET_URL, json=[])
    with pytest.raises(UnexpectedResponseError, match="599"):
        await lh.patients.create(external_id="p1", email="ada@example.org")
    assert _methods(scripted) == ["POST", "GET"]


async def test_a_create_that_never_got_through_ends_in_the_transport_error(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    """Every attempt timed out and every lookup proved nothing was made: not ambiguous."""
    from legithealth_async import APITimeoutError

    lh = lh.with_options(max_retries=1, timeout=STALL_TIMEOUT)
    for _ in range(2):
        scripted.add_failure(Wire.STALL, url=POST_URL, method="POST")
        scripted.add_response(url=GET_URL, json=[])
    with pytest.raises(APITimeoutError):
        await lh.patients.create(external_id="p1", email="ada@example.org")
    assert _methods(scripted) == ["POST", "GET", "POST", "GET"]


async def test_create_answered_5xx_with_retry_after_over_the_cap_is_reconciled(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    """Issue 10: the server may have applied it before failing; the lookup finds it."""
    scripted.add_response(
        url=POST_URL,
        method="POST",
        status_code=503,
        headers={"Retry-After": "3600"},
        json=error_json("X"),
    )
    scripted.add_response(url=GET_URL, json=[patient_json("p1")])
    patient = await lh.patients.create(external_id="p1", email="ada@example.org")
    assert patient.id == "lh-p1"
    assert _methods(scripted) == ["POST", "GET"]


async def test_a_create_after_the_server_closed_the_idle_connection_is_sent_once(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    """A server closes an idle keep-alive connection (its keepalive timeout, a restart) just
    after an answer: the next create must go on a new connection, not on the closed one (where
    it would be lost unsent, yet look "maybe applied": an encounter create never guesses)."""
    scripted.add_response(url="/practitioners/specialties", json=[], then_close=True)
    url = "/episodes-of-care/e1/encounters"
    encounter = {
        "id": "enc1",
        "episodeOfCareId": "e1",
        "externalId": None,
        "planned_for": "2026-12-01T10:00:00Z",
        "status": "scheduled",
    }
    scripted.add_response(url=url, method="POST", status_code=201, json=encounter)
    await lh.practitioners.specialties()
    made = await lh.encounters.create("e1", planned_for=dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC))
    assert made.id == "enc1"
    assert _methods(scripted) == ["GET", "POST"]
