"""Episodes of care and encounters."""

from __future__ import annotations

from typing import Any

import httpx

from legithealth_async.sandbox import Sandbox

from .conftest import error_body, patient_body

EA90_ARM = {"pathologyCode": "EA90", "bodySiteCode": "armLeft"}


async def _condition_id(api: httpx.AsyncClient) -> str:
    r = await api.post("/patients", json=patient_body(conditions=[EA90_ARM]))
    return str(r.json()["conditions"][0]["id"])


async def _pause(api: httpx.AsyncClient) -> None:
    r = await api.patch("/patients/p-1", json={"conditions": [{**EA90_ARM, "isTracked": False}]})
    assert r.status_code == 200


async def test_get_episodes_of_care_by_condition_oldest_first(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    condition_id = await _condition_id(api)
    await _pause(api)
    sandbox.advance(days=1)
    await api.post(f"/conditions/{condition_id}/episodes-of-care", json={"externalId": "EP-2"})
    r = await api.get(f"/conditions/{condition_id}/episodes-of-care")
    assert r.status_code == 200
    episodes = r.json()
    assert [(e["status"], e["externalId"]) for e in episodes] == [
        ("finished", None),
        ("active", "EP-2"),
    ]
    assert episodes[1]["startedAt"] == "2026-03-03T09:00:00.000Z"
    assert episodes == sandbox.episodes(condition_id)


async def test_get_episodes_of_unknown_condition_is_404(api: httpx.AsyncClient) -> None:
    r = await api.get("/conditions/unknown/episodes-of-care")
    assert r.status_code == 404
    assert error_body(r)["errorCode"] == "NOT_FOUND"


async def test_create_episode_refused_while_one_is_active(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    condition_id = await _condition_id(api)
    r = await api.post(f"/conditions/{condition_id}/episodes-of-care", json={})
    assert r.status_code == 409
    assert error_body(r)["errorCode"] == "ACTIVE_EPISODE_OF_CARE_EXISTS"
    assert len(sandbox.episodes(condition_id)) == 1


async def test_create_episode_after_pause_is_active(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    condition_id = await _condition_id(api)
    await _pause(api)
    r = await api.post(f"/conditions/{condition_id}/episodes-of-care", json={"externalId": "E9"})
    assert r.status_code == 201
    episode = r.json()
    assert (episode["status"], episode["externalId"], episode["conditionId"]) == (
        "active",
        "E9",
        condition_id,
    )
    assert episode["finishedAt"] is None


async def test_create_episode_for_unknown_condition_is_404(api: httpx.AsyncClient) -> None:
    r = await api.post("/conditions/unknown/episodes-of-care", json={})
    assert r.status_code == 404


async def test_patch_episode_sets_and_clears_external_id(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    condition_id = await _condition_id(api)
    episode_id = sandbox.episodes(condition_id)[0]["id"]
    r = await api.patch(f"/episodes-of-care/{episode_id}", json={"externalId": "HRM-EP-41"})
    assert r.status_code == 200
    assert r.json()["externalId"] == "HRM-EP-41" and r.json()["id"] == episode_id
    assert sandbox.episodes(condition_id)[0]["externalId"] == "HRM-EP-41"
    r = await api.patch(f"/episodes-of-care/{episode_id}", json={"externalId": None})
    assert r.status_code == 200 and r.json()["externalId"] is None


async def test_patch_unknown_episode_is_404(api: httpx.AsyncClient) -> None:
    r = await api.patch("/episodes-of-care/nope", json={"externalId": "X"})
    assert r.status_code == 404
    assert error_body(r)["message"] == "Episode of care not found"


async def _episode_id(api: httpx.AsyncClient, sandbox: Sandbox) -> str:
    return str(sandbox.episodes(await _condition_id(api))[0]["id"])


async def _encounter(api: httpx.AsyncClient, episode_id: str, **body: Any) -> httpx.Response:
    return await api.post(f"/episodes-of-care/{episode_id}/encounters", json=body)


async def test_encounter_in_the_future_is_scheduled(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    episode_id = await _episode_id(api, sandbox)
    r = await _encounter(api, episode_id, planned_for="2026-03-02T09:00:01Z", externalId="ENC-7")
    assert r.status_code == 201
    encounter = r.json()
    assert encounter["status"] == "scheduled"
    assert encounter["episodeOfCareId"] == episode_id and encounter["externalId"] == "ENC-7"
    assert encounter["planned_for"] == "2026-03-02T09:00:01.000Z"
    sandbox.advance(seconds=1)  # once the time comes, it can be completed
    assert sandbox.encounters(episode_id)[0]["status"] == "ready"


async def test_encounter_now_or_in_the_past_is_ready(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    episode_id = await _episode_id(api, sandbox)
    now = await _encounter(api, episode_id, planned_for="2026-03-02T09:00:00Z")
    past = await _encounter(api, episode_id, planned_for="2026-03-02T10:00:00+02:00")
    assert (now.json()["status"], past.json()["status"]) == ("ready", "ready")
    assert now.json()["externalId"] is None
    assert past.json()["planned_for"] == "2026-03-02T08:00:00.000Z"
    assert len(sandbox.encounters(episode_id)) == 2


async def test_encounter_in_a_finished_episode_is_422(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    episode_id = await _episode_id(api, sandbox)
    await _pause(api)
    r = await _encounter(api, episode_id, planned_for="2026-03-02T09:00:00Z")
    assert r.status_code == 422
    assert error_body(r)["errorCode"] == "UNPROCESSABLE"


async def test_encounter_in_unknown_episode_is_404(api: httpx.AsyncClient) -> None:
    r = await _encounter(api, "nope", planned_for="2026-03-02T09:00:00Z")
    assert r.status_code == 404


async def test_encounter_without_a_valid_planned_for_is_400(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    episode_id = await _episode_id(api, sandbox)
    missing = await _encounter(api, episode_id)
    assert error_body(missing)["message"] == "body.planned_for: is required"
    bad = await _encounter(api, episode_id, planned_for="2026-02-30T25:00:00")
    assert error_body(bad)["message"] == "body.planned_for: is not a valid date-time"
