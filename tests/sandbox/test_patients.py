"""Patients: createPatient, getPatients, patchPatient, with every documented rule."""

from __future__ import annotations

import httpx
import pytest

from legithealth_async.sandbox import Sandbox

from .conftest import error_body, patient_body

EA90_ARM = {"pathologyCode": "EA90", "bodySiteCode": "armLeft"}
ED80_HEAD = {"pathologyCode": "ED80", "bodySiteCode": "headFront"}


async def test_create_patient_answers_the_patient_with_conditions(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    tracked = {**ED80_HEAD, "isTracked": True, "frequency": {"every": 2, "unit": "week"}}
    r = await api.post("/patients", json=patient_body(conditions=[EA90_ARM, tracked]))
    assert r.status_code == 201
    patient = r.json()
    assert patient["externalId"] == "p-1"
    assert patient["firstName"] == "Ada" and patient["birthDate"] == "1985-12-10"
    assert [
        (c["pathologyCode"], c["bodySiteCode"], c["isTracked"], c["frequency"])
        for c in patient["conditions"]
    ] == [
        ("EA90", "armLeft", False, None),
        ("ED80", "headFront", True, {"every": 2, "unit": "week"}),
    ]
    assert sandbox.patient("p-1") == patient
    assert sandbox.create_effects("p-1") == 1


async def test_create_patient_opens_one_active_episode_per_condition(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    r = await api.post("/patients", json=patient_body(conditions=[EA90_ARM, ED80_HEAD]))
    for condition in r.json()["conditions"]:
        episodes = sandbox.episodes(condition["id"])
        assert [e["status"] for e in episodes] == ["active"]
        assert episodes[0]["conditionId"] == condition["id"]
        assert episodes[0]["startedAt"] == "2026-03-02T09:00:00.000Z"
        assert episodes[0]["finishedAt"] is None


async def test_create_patient_sends_verification_email_and_sms(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await api.post("/patients", json=patient_body())
    assert [(m.kind, m.channel, m.to, m.recipient, m.external_id) for m in sandbox.outbox] == [
        ("verification", "email", "ada@example.org", "patient", "p-1"),
        ("verification", "sms", "+34600111222", "patient", "p-1"),
    ]


async def test_create_patient_with_only_a_phone_sends_only_an_sms(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    body = patient_body()
    del body["email"]
    assert (await api.post("/patients", json=body)).status_code == 201
    assert [m.channel for m in sandbox.outbox] == ["sms"]


async def test_create_patient_without_email_or_phone_is_400(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    r = await api.post("/patients", json={"externalId": "p-1", "firstName": "Ada"})
    assert r.status_code == 400
    body = error_body(r)
    assert body["errorCode"] == "VALIDATION_ERROR"
    assert "email" in body["message"] and "phone" in body["message"]
    assert sandbox.patient("p-1") is None and sandbox.outbox == []


async def test_create_patient_with_known_external_id_is_409(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    assert (await api.post("/patients", json=patient_body())).status_code == 201
    r = await api.post("/patients", json=patient_body(firstName="Other"))
    assert r.status_code == 409
    assert error_body(r)["errorCode"] == "PATIENT_ALREADY_EXISTS"
    assert sandbox.patient("p-1")["firstName"] == "Ada"  # type: ignore[index]
    assert sandbox.create_effects("p-1") == 1
    assert sandbox.create_attempts("p-1") == 2
    assert len(sandbox.outbox) == 2  # no second verification


async def test_create_patient_frequency_on_untracked_condition_is_422(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    bad = {**EA90_ARM, "frequency": {"every": 1, "unit": "day"}}
    r = await api.post("/patients", json=patient_body(conditions=[bad]))
    assert r.status_code == 422
    assert error_body(r)["errorCode"] == "UNPROCESSABLE"
    assert sandbox.patient("p-1") is None


@pytest.mark.parametrize("unit", ["day", "week", "month"])
async def test_a_frequency_past_the_calendar_is_422_not_a_crash(
    api: httpx.AsyncClient, sandbox: Sandbox, unit: str
) -> None:
    # Found by the conformance run on a converted spec: every=70258567274 overflowed the date
    # arithmetic and the sandbox answered 500.
    bad = {**EA90_ARM, "isTracked": True, "frequency": {"every": 70258567274, "unit": unit}}
    r = await api.post("/patients", json=patient_body(conditions=[bad]))
    assert r.status_code == 422
    assert error_body(r)["message"] == "conditions[0].frequency.every is too large to schedule"
    assert sandbox.patient("p-1") is None
    await api.post("/patients", json=patient_body())
    r = await api.patch("/patients/p-1", json={"conditions": [bad]})
    assert r.status_code == 422
    assert sandbox.patient("p-1")["conditions"] == []  # type: ignore[index]


async def test_get_patients_in_request_order_unknown_absent(api: httpx.AsyncClient) -> None:
    for external_id in ("a", "b", "c"):
        await api.post("/patients", json=patient_body(external_id))
    r = await api.get("/patients", params={"externalIds[]": ["c", "nobody", "a"]})
    assert r.status_code == 200
    assert [p["externalId"] for p in r.json()] == ["c", "a"]
    assert all("id" in c for p in r.json() for c in p["conditions"])


async def test_get_patients_unknown_only_is_an_empty_list(api: httpx.AsyncClient) -> None:
    r = await api.get("/patients", params={"externalIds[]": ["nobody"]})
    assert r.status_code == 200 and r.json() == []


async def test_get_patients_at_most_100_ids(api: httpx.AsyncClient) -> None:
    ids = [f"id-{n}" for n in range(101)]
    assert (await api.get("/patients", params={"externalIds[]": ids[:100]})).status_code == 200
    r = await api.get("/patients", params={"externalIds[]": ids})
    assert r.status_code == 400
    body = error_body(r)
    assert body["errorCode"] == "VALIDATION_ERROR"
    assert body["message"] == "query.externalIds[]: must have at most 100 items"


async def test_get_patients_without_ids_is_400(api: httpx.AsyncClient) -> None:
    r = await api.get("/patients")
    assert r.status_code == 400
    assert error_body(r)["message"] == "query.externalIds[]: is required"


async def test_patch_unknown_patient_is_404(api: httpx.AsyncClient) -> None:
    r = await api.patch("/patients/nobody", json={"firstName": "X"})
    assert r.status_code == 404
    assert error_body(r) == {
        "success": False,
        "message": "Patient not found",
        "errorCode": "NOT_FOUND",
    }


async def test_patch_patient_edits_basic_information(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await api.post("/patients", json=patient_body(conditions=[EA90_ARM]))
    r = await api.patch("/patients/p-1", json={"lastName": "Byron", "phone": "+34600999888"})
    assert r.status_code == 200
    patient = r.json()
    assert (patient["firstName"], patient["lastName"], patient["phone"]) == (
        "Ada",
        "Byron",
        "+34600999888",
    )
    assert len(patient["conditions"]) == 1  # conditions not listed are left as they are
    assert sandbox.outbox[-1].channel == "sms" and sandbox.outbox[-1].to == "+34600999888"


async def test_patch_patient_adds_a_condition_with_an_active_episode(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await api.post("/patients", json=patient_body(conditions=[EA90_ARM]))
    r = await api.patch("/patients/p-1", json={"conditions": [ED80_HEAD]})
    conditions = r.json()["conditions"]
    assert [c["pathologyCode"] for c in conditions] == ["EA90", "ED80"]
    assert [e["status"] for e in sandbox.episodes(conditions[1]["id"])] == ["active"]


async def test_patch_patient_pauses_a_condition(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    tracked = {**EA90_ARM, "isTracked": True, "frequency": {"every": 1, "unit": "day"}}
    created = (await api.post("/patients", json=patient_body(conditions=[tracked]))).json()
    condition_id = created["conditions"][0]["id"]
    sandbox.advance(hours=1)
    r = await api.patch("/patients/p-1", json={"conditions": [{**EA90_ARM, "isTracked": False}]})
    assert r.status_code == 200
    assert r.json()["conditions"][0]["isTracked"] is False
    assert r.json()["conditions"][0]["frequency"] is None
    [episode] = sandbox.episodes(condition_id)
    assert episode["status"] == "finished"
    assert episode["finishedAt"] == "2026-03-02T10:00:00.000Z"
    assert sandbox.advance(days=5) == 0  # a paused condition gets no encounters


async def test_patch_patient_tracks_a_condition_and_encounters_follow_the_clock(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await api.post("/patients", json=patient_body(conditions=[EA90_ARM]))
    await api.patch("/patients/p-1", json={"conditions": [{**EA90_ARM, "isTracked": False}]})
    track = {**EA90_ARM, "isTracked": True, "frequency": {"every": 1, "unit": "week"}}
    r = await api.patch("/patients/p-1", json={"conditions": [track]})
    condition = r.json()["conditions"][0]
    assert condition["isTracked"] is True
    assert condition["frequency"] == {"every": 1, "unit": "week"}
    episodes = sandbox.episodes(condition["id"])
    assert [e["status"] for e in episodes] == ["finished", "active"]  # a new active episode
    active = episodes[1]["id"]
    assert sandbox.advance(days=6) == 0
    assert sandbox.advance(days=8) == 2  # days 7 and 14 fall due
    assert sandbox.advance(days=7) == 1  # day 21
    encounters = sandbox.encounters(active)
    assert [e["planned_for"] for e in encounters] == [
        "2026-03-09T09:00:00.000Z",
        "2026-03-16T09:00:00.000Z",
        "2026-03-23T09:00:00.000Z",
    ]
    assert {e["status"] for e in encounters} == {"ready"}


async def test_tracking_an_active_condition_keeps_its_episode(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    created = (await api.post("/patients", json=patient_body(conditions=[EA90_ARM]))).json()
    track = {**EA90_ARM, "isTracked": True, "frequency": {"every": 1, "unit": "month"}}
    await api.patch("/patients/p-1", json={"conditions": [track]})
    episodes = sandbox.episodes(created["conditions"][0]["id"])
    assert [e["status"] for e in episodes] == ["active"]
    assert sandbox.advance(days=31) == 1
    assert sandbox.encounters(episodes[0]["id"])[0]["planned_for"] == "2026-04-02T09:00:00.000Z"


async def test_patch_patient_frequency_on_untracked_condition_is_422(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await api.post("/patients", json=patient_body(conditions=[EA90_ARM]))
    bad = {**EA90_ARM, "isTracked": False, "frequency": {"every": 1, "unit": "week"}}
    r = await api.patch("/patients/p-1", json={"conditions": [bad], "firstName": "Changed"})
    assert r.status_code == 422
    assert error_body(r)["errorCode"] == "UNPROCESSABLE"
    assert "frequency" in error_body(r)["message"]
    assert sandbox.patient("p-1")["firstName"] == "Ada"  # type: ignore[index]  # all or nothing
