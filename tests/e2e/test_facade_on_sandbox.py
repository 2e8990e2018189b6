"""The facade against the sandbox, in-process and over real loopback HTTP: every documented rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from legithealth_async import (
    ActiveEpisodeExistsError,
    AmbiguousOutcomeError,
    AuthenticationError,
    ConditionInput,
    EncounterStatus,
    EpisodeOfCareStatus,
    Frequency,
    HrmEpisode,
    LegitHealth,
    PatientAlreadyExistsError,
    RetryPolicy,
    match_episodes,
)
from legithealth_async.sandbox import Sandbox, SandboxServer

FAST = RetryPolicy(initial=0.001, maximum=0.01)
PSORIASIS = ConditionInput(pathology_code="EA90", body_site_code="armLeft")
ACNE = ConditionInput(pathology_code="ED80", body_site_code="headFront")


@pytest.fixture(params=["in-process", "loopback"])
async def world(
    request: pytest.FixtureRequest, legithealth_sandbox: Sandbox
) -> AsyncIterator[tuple[LegitHealth, Sandbox]]:
    if request.param == "in-process":
        client = LegitHealth(
            legithealth_sandbox.token,
            base_url=legithealth_sandbox.base_url,
            transport=legithealth_sandbox.transport(),
            retry_policy=FAST,
        )
        async with client:
            yield client, legithealth_sandbox
    else:
        with SandboxServer(legithealth_sandbox) as server:
            async with LegitHealth(
                server.token, base_url=server.base_url, retry_policy=FAST
            ) as client:
                yield client, legithealth_sandbox


async def test_create_patient_rules(world: tuple[LegitHealth, Sandbox]) -> None:
    lh, sb = world
    patient = await lh.patients.create(
        external_id="hrm/1?&#",  # must travel safely encoded
        email="ada@example.org",
        phone="+34600111222",
        first_name="Ada",
        conditions=[PSORIASIS, ACNE],
    )
    assert patient.external_id == "hrm/1?&#"
    assert len(patient.conditions) == 2
    for condition in patient.conditions:
        episodes = await lh.episodes_of_care.list_for_condition(condition.id)
        assert [e.status for e in episodes] == [EpisodeOfCareStatus.ACTIVE]
    sent = sorted((m.kind, m.channel) for m in sb.outbox)
    assert sent == [("verification", "email"), ("verification", "sms")]
    with pytest.raises(PatientAlreadyExistsError):
        await lh.patients.create(external_id="hrm/1?&#", email="ada@example.org")
    fetched = await lh.patients.get("hrm/1?&#")
    assert fetched is not None and fetched.id == patient.id


async def test_active_episode_rule_and_encounters(world: tuple[LegitHealth, Sandbox]) -> None:
    lh, _ = world
    patient = await lh.patients.create(external_id="p2", email="b@example.org", conditions=[ACNE])
    condition = patient.conditions[0]
    with pytest.raises(ActiveEpisodeExistsError):
        await lh.episodes_of_care.create(condition.id)
    (episode,) = await lh.episodes_of_care.list_for_condition(condition.id)
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    scheduled = await lh.encounters.create(episode.id, planned_for=future, external_id="enc-1")
    ready = await lh.encounters.create(episode.id, planned_for=past)
    assert scheduled.status == EncounterStatus.SCHEDULED
    assert ready.status == EncounterStatus.READY


async def test_patch_add_pause_track_and_clock(world: tuple[LegitHealth, Sandbox]) -> None:
    lh, sb = world
    await lh.patients.create(external_id="p3", phone="+34600000003", conditions=[PSORIASIS])
    patched = await lh.patients.patch(
        "p3",
        first_name="Renamed",
        conditions=[
            ACNE,
            ConditionInput(pathology_code="EA90", body_site_code="armLeft", is_tracked=False),
        ],
    )
    by_code = {c.pathology_code: c for c in patched.conditions}
    assert set(by_code) == {"EA90", "ED80"}
    paused = await lh.episodes_of_care.list_for_condition(by_code["EA90"].id)
    assert [e.status for e in paused] == [EpisodeOfCareStatus.FINISHED]
    tracked = ConditionInput(
        pathology_code="EA90",
        body_site_code="armLeft",
        is_tracked=True,
        frequency=Frequency(every=1, unit="week"),
    )
    patched = await lh.patients.patch("p3", conditions=[tracked])
    episodes = await lh.episodes_of_care.list_for_condition(by_code["EA90"].id)
    assert [e.status for e in episodes] == ["finished", "active"]
    made = sb.advance(days=14)
    assert made >= 2
    assert len(sb.encounters(episodes[-1].id)) >= 2


async def test_episode_matching_flow_is_idempotent(world: tuple[LegitHealth, Sandbox]) -> None:
    lh, _ = world
    patient = await lh.patients.create(
        external_id="p4", email="d@example.org", conditions=[PSORIASIS, ACNE]
    )
    today = dt.datetime.now(dt.UTC).date()
    hrm = [
        HrmEpisode(
            external_id="HRM-EP-1",
            pathology_code="EA90",
            body_site_code="armLeft",
            status="active",
            started_on=today,
        ),
        HrmEpisode(
            external_id="HRM-EP-2",
            pathology_code="ED80",
            body_site_code="headFront",
            status="active",
        ),
        HrmEpisode(
            external_id="HRM-EP-3",
            pathology_code="2C30",
            body_site_code="trunkBack",
            status="active",
        ),
    ]
    first = await match_episodes(lh, patient.conditions, hrm)
    assert sorted(h for h, _ in first.patched) == ["HRM-EP-1", "HRM-EP-2"]
    assert first.unmatched == ["HRM-EP-3"]
    second = await match_episodes(lh, patient.conditions, hrm)
    assert second.patched == []
    assert sorted(h for h, _ in second.matched) == ["HRM-EP-1", "HRM-EP-2"]
    episodes = await lh.episodes_of_care.list_for_condition(patient.conditions[0].id)
    assert episodes[0].external_id in {"HRM-EP-1", "HRM-EP-2"}


async def test_get_many_tokens_practitioners(world: tuple[LegitHealth, Sandbox]) -> None:
    lh, sb = world
    for i in range(5):
        await lh.patients.create(external_id=f"m{i}", email=f"m{i}@example.org")
    ids = [f"m{i}" for i in range(5)] + [f"unknown{i}" for i in range(200)] + ["m0"]
    result = await lh.patients.get_many(ids)
    assert [p.external_id for p in result.found] == [f"m{i}" for i in range(5)]
    assert len(result.missing) == 200
    tokens = await lh.patients.auth_tokens(["m1", "nobody"], send_link_by_email=True)
    assert [t.external_id for t in tokens.found] == ["m1"] and tokens.missing == ["nobody"]
    assert tokens.found[0].login_link.startswith("https://app.legit.health/u/home?token=")
    assert [(m.kind, m.external_id) for m in sb.outbox if m.kind == "login_link"] == [
        ("login_link", "m1")
    ]
    specialties = await lh.practitioners.specialties()
    doc = await lh.practitioners.create(
        external_id="doc-1", email="doc@example.org", speciality=specialties[0].code
    )
    assert doc.id and doc.speciality == specialties[0].code
    links = await lh.practitioners.login_links(["doc-1"])
    assert list(links) == ["doc-1"]


async def test_wrong_token_is_401(legithealth_sandbox: Sandbox) -> None:
    async with LegitHealth(
        "wrong",
        base_url=legithealth_sandbox.base_url,
        transport=legithealth_sandbox.transport(),
    ) as lh:
        with pytest.raises(AuthenticationError):
            await lh.patients.get("x")


async def test_dropped_creates_after_effect_are_not_duplicated(
    world: tuple[LegitHealth, Sandbox],
) -> None:
    lh, sb = world
    sb.faults.set("createPatient", drop_after_rate=1.0, limit=1)
    sb.faults.set("createEpisodeOfCare", drop_after_rate=1.0, limit=1)
    patient = await lh.patients.create(external_id="dup-1", email="e@example.org")
    assert sb.create_effects("dup-1") == 1
    assert sb.create_attempts("dup-1") == 1  # found by lookup: no second POST
    assert len(sb.patients()) == 1
    # An episode: pause the condition, then create a new active one through a dropped answer.
    await lh.patients.patch("dup-1", conditions=[PSORIASIS])
    got = await lh.patients.get("dup-1")
    assert got is not None and patient.id == got.id
    cond = got.conditions[0]
    await lh.patients.patch(
        "dup-1",
        conditions=[
            ConditionInput(pathology_code="EA90", body_site_code="armLeft", is_tracked=False)
        ],
    )
    episode = await lh.episodes_of_care.create(cond.id, external_id="HRM-E")
    active = [e for e in sb.episodes(cond.id) if e["status"] == "active"]
    assert [e["id"] for e in active] == [episode.id]


async def test_encounter_drop_after_effect_is_reported_not_guessed(
    world: tuple[LegitHealth, Sandbox],
) -> None:
    lh, sb = world
    patient = await lh.patients.create(external_id="enc", email="f@example.org", conditions=[ACNE])
    (episode,) = await lh.episodes_of_care.list_for_condition(patient.conditions[0].id)
    sb.faults.set("createEncounter", drop_after_rate=1.0, limit=1)
    with pytest.raises(AmbiguousOutcomeError):
        await lh.encounters.create(episode.id, planned_for=dt.datetime.now(dt.UTC))
    assert len(sb.encounters(episode.id)) == 1  # it did happen, exactly once


@pytest.mark.parametrize(
    "fault",
    [
        {"error_rate": 1.0, "error_status": 503},
        {"error_rate": 1.0, "error_status": 502},
        {"rate_limit_rate": 1.0, "retry_after": "0"},
        {"html_502_rate": 1.0},
        {"drop_before_rate": 1.0},
        {"drop_after_rate": 1.0},
    ],
)
async def test_reads_ride_through_every_transient_fault(
    world: tuple[LegitHealth, Sandbox], fault: dict[str, Any]
) -> None:
    lh, sb = world
    await lh.patients.create(external_id="r1", email="g@example.org")
    sb.faults.set("getPatients", limit=2, **fault)
    patient = await lh.patients.get("r1")
    assert patient is not None
    assert sum(n for (op, _), n in sb.faults.fired.items() if op == "getPatients") == 2
