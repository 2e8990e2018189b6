"""A list answering about resources not asked for is an unexpected response, never used.

getEpisodesOfCare is pinned to its condition, getPatients and the auth-token calls to the
external ids asked: an item outside them would otherwise be patched, journaled or taken as a
proof that what was asked for is absent.
"""

from __future__ import annotations

import pytest
from _scripted import ScriptedServer

from legithealth_async import AmbiguousOutcomeError, LegitHealth, UnexpectedResponseError
from legithealth_async.flows.episodes import HrmEpisode, match_episodes
from legithealth_async.models import Condition

from .conftest import error_json, patient_json

EPISODES_URL = "/conditions/c1/episodes-of-care"
OTHER_CONDITION = "cond-OTHER-5e2a"
OTHER_PATIENT = "ext-OTHER-91b7"


def _episode(ep_id: str, condition_id: str) -> dict[str, object]:
    return {
        "id": ep_id,
        "externalId": None,
        "conditionId": condition_id,
        "status": "active",
        "startedAt": "2026-03-02T11:00:00Z",
        "finishedAt": None,
    }


def _refused(error: UnexpectedResponseError, field: str, *values: str) -> None:
    """The error names the field that lies, never a value of the answer."""
    assert error.status_code == 200
    assert f"{field} differs" in error.reason
    for value in values:
        assert value not in str(error) and value not in repr(error)


async def test_episodes_listed_for_another_condition_are_refused(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_response(
        url=EPISODES_URL, json=[_episode("e1", "c1"), _episode("e2", OTHER_CONDITION)]
    )
    with pytest.raises(UnexpectedResponseError) as info:
        await lh.episodes_of_care.list_for_condition("c1")
    _refused(info.value, "conditionId", OTHER_CONDITION)
    assert len(scripted.get_requests()) == 1  # not retried: the server said what it said


async def test_episodes_of_the_condition_asked_are_returned(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_response(url=EPISODES_URL, json=[_episode("e1", "c1"), _episode("e2", "c1")])
    episodes = await lh.episodes_of_care.list_for_condition("c1")
    assert [e.id for e in episodes] == ["e1", "e2"]


async def test_the_matching_flow_never_patches_another_conditions_episode(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    # The one candidate listed belongs to another condition: before the pin, the flow paired it
    # with the HRM episode and patched it by its internal id.
    scripted.add_response(url=EPISODES_URL, json=[_episode("e-other", OTHER_CONDITION)])
    condition = Condition(
        id="c1", pathology_code="EA90", body_site_code="armLeft", is_tracked=False
    )
    hrm = HrmEpisode(
        external_id="HRM-1", pathology_code="EA90", body_site_code="armLeft", status="active"
    )
    with pytest.raises(UnexpectedResponseError) as info:
        await match_episodes(lh, [condition], [hrm])
    _refused(info.value, "conditionId", OTHER_CONDITION)
    assert [r.method for r in scripted.get_requests()] == ["GET"]  # no PATCH


async def test_patients_not_asked_for_are_refused(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    scripted.add_response(
        url="/patients?externalIds%5B%5D=p1&externalIds%5B%5D=p2",
        json=[patient_json("p1"), patient_json(OTHER_PATIENT)],
    )
    with pytest.raises(UnexpectedResponseError) as info:
        await lh.patients.get_many(["p1", "p2"])
    _refused(info.value, "externalId", OTHER_PATIENT)


async def test_get_refuses_an_answer_about_another_patient(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    # Before the pin: None, as if p1 were unknown (and a sync would then create it).
    scripted.add_response(url="/patients?externalIds%5B%5D=p1", json=[patient_json(OTHER_PATIENT)])
    with pytest.raises(UnexpectedResponseError) as info:
        await lh.patients.get("p1")
    _refused(info.value, "externalId", OTHER_PATIENT)


@pytest.mark.parametrize("resource", ["patients", "practitioners"])
async def test_tokens_of_people_not_asked_for_are_refused(
    lh: LegitHealth, scripted: ScriptedServer, resource: str
) -> None:
    path = "patients" if resource == "patients" else "practitioners"
    scripted.add_response(
        url=f"/{path}/auth-tokens",
        method="POST",
        json=[{"externalId": OTHER_PATIENT, "token": "t-9f", "refresh_token": "r-9f"}],
    )
    with pytest.raises(UnexpectedResponseError) as info:
        await getattr(lh, resource).auth_tokens(["p1"])
    _refused(info.value, "externalId", OTHER_PATIENT, "t-9f", "r-9f")


async def test_a_lying_lookup_proves_no_absence_so_the_create_is_not_resent(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    # The create may have applied (503); the lookup answers about someone else. Before the pin
    # that read as "p1 absent" and the create was sent again.
    scripted.add_response(
        url="/patients", method="POST", status_code=503, json=error_json("UNAVAILABLE")
    )
    scripted.add_response(url="/patients?externalIds%5B%5D=p1", json=[patient_json(OTHER_PATIENT)])
    with pytest.raises(AmbiguousOutcomeError) as info:
        await lh.patients.create(external_id="p1", email="ada@example.org")
    assert isinstance(info.value.__cause__, UnexpectedResponseError)
    assert OTHER_PATIENT not in str(info.value)
    assert [r.method for r in scripted.get_requests()] == ["POST", "GET"]


async def test_an_episode_create_reconciled_by_a_lying_listing_is_ambiguous(
    lh: LegitHealth, scripted: ScriptedServer
) -> None:
    # Before the pin the other condition's episode was skipped, the listing read as "nothing
    # made", and the create was sent again.
    scripted.add_response(
        url=EPISODES_URL, method="POST", status_code=503, json=error_json("UNAVAILABLE")
    )
    scripted.add_response(url=EPISODES_URL, json=[_episode("e-other", OTHER_CONDITION)])
    with pytest.raises(AmbiguousOutcomeError) as info:
        await lh.episodes_of_care.create("c1")
    assert isinstance(info.value.__cause__, UnexpectedResponseError)
    assert OTHER_CONDITION not in str(info.value)
    assert [r.method for r in scripted.get_requests()] == ["POST", "GET"]
