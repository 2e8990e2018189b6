"""The upsert decision, case by case, against the sandbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pytest

from legithealth_async import LegitHealth, Lookup
from legithealth_async.models import Patient
from legithealth_async.sandbox import Sandbox
from legithealth_async.sync import Journal, Outcome, PatientRecord, plan_patch, sync_patients

from .conftest import client_for, cond, rec, run


async def test_unknown_patient_is_created_with_its_conditions(lh, sandbox: Sandbox) -> None:
    record = rec(
        "p1",
        first_name="Ada",
        birth_date=dt.date(1985, 12, 10),
        conditions=(cond(), cond("ED80", "headFront", tracked=True, every=2)),
        line=1,
    )
    [outcome] = await run(lh, [record])
    assert outcome.outcome is Outcome.CREATED
    assert outcome.line == 1
    assert outcome.patient_id == sandbox.patient("p1")["id"]
    stored = sandbox.patient("p1")
    assert stored["firstName"] == "Ada" and stored["birthDate"] == "1985-12-10"
    by_pair = {(c["pathologyCode"], c["bodySiteCode"]): c for c in stored["conditions"]}
    assert by_pair[("EA90", "armLeft")]["isTracked"] is False
    assert by_pair[("ED80", "headFront")]["isTracked"] is True
    assert by_pair[("ED80", "headFront")]["frequency"] == {"every": 2, "unit": "week"}


async def test_equal_patient_is_unchanged_and_nothing_is_written(lh, recorder) -> None:
    record = rec("p1", first_name="Ada", conditions=(cond(tracked=True, every=1, unit="month"),))
    await run(lh, [record])
    writes = len([m for m in recorder.methods() if m != "GET"])
    [outcome] = await run(lh, [record])
    assert outcome.outcome is Outcome.UNCHANGED and not outcome.from_journal
    assert len([m for m in recorder.methods() if m != "GET"]) == writes


async def test_basic_info_change_patches_only_what_differs(lh, sandbox, recorder) -> None:
    await run(lh, [rec("p1", first_name="Ada", phone="+34600111222")])
    [outcome] = await run(lh, [rec("p1", first_name="Ada", phone="+34600999888")])
    assert outcome.outcome is Outcome.UPDATED
    assert outcome.changes == ("phone",)
    assert recorder.bodies("PATCH") == [{"phone": "+34600999888"}]
    assert sandbox.patient("p1")["phone"] == "+34600999888"


async def test_none_fields_are_neither_sent_nor_compared(lh, sandbox: Sandbox) -> None:
    await run(lh, [rec("p1", first_name="Ada", last_name="Lovelace")])
    [outcome] = await run(lh, [rec("p1", first_name="Ada")])
    assert outcome.outcome is Outcome.UNCHANGED
    assert sandbox.patient("p1")["lastName"] == "Lovelace"


async def test_new_condition_is_added_and_others_are_left_alone(lh, sandbox, recorder) -> None:
    await run(lh, [rec("p1", conditions=(cond("EA90", "armLeft"), cond("2C30", "scalp")))])
    [outcome] = await run(lh, [rec("p1", conditions=(cond("ED80", "headFront"),))])
    assert outcome.outcome is Outcome.UPDATED
    assert outcome.changes == ("conditions.add",)
    pairs = {(c["pathologyCode"], c["bodySiteCode"]) for c in sandbox.patient("p1")["conditions"]}
    assert pairs == {("EA90", "armLeft"), ("2C30", "scalp"), ("ED80", "headFront")}
    # An added untracked condition is sent without isTracked (a retried patch cannot pause it).
    [patch] = recorder.bodies("PATCH")
    assert patch == {"conditions": [{"pathologyCode": "ED80", "bodySiteCode": "headFront"}]}


async def test_tracked_condition_untracked_in_the_record_is_paused(lh, sandbox: Sandbox) -> None:
    await run(lh, [rec("p1", conditions=(cond(tracked=True, every=2),))])
    [outcome] = await run(lh, [rec("p1", conditions=(cond(),))])
    assert outcome.outcome is Outcome.UPDATED and outcome.changes == ("conditions.pause",)
    [condition] = sandbox.patient("p1")["conditions"]
    assert condition["isTracked"] is False
    assert [e["status"] for e in sandbox.episodes(condition["id"])] == ["finished"]


async def test_untracked_condition_tracked_in_the_record_is_tracked(lh, sandbox: Sandbox) -> None:
    await run(lh, [rec("p1", conditions=(cond(),))])
    [outcome] = await run(lh, [rec("p1", conditions=(cond(tracked=True, every=3, unit="day"),))])
    assert outcome.outcome is Outcome.UPDATED and outcome.changes == ("conditions.track",)
    [condition] = sandbox.patient("p1")["conditions"]
    assert condition["isTracked"] is True
    assert condition["frequency"] == {"every": 3, "unit": "day"}


async def test_other_frequency_retracks_and_no_frequency_accepts_any(lh, sandbox) -> None:
    await run(lh, [rec("p1", conditions=(cond(tracked=True, every=2),))])
    [changed] = await run(lh, [rec("p1", conditions=(cond(tracked=True, every=1, unit="month"),))])
    assert changed.outcome is Outcome.UPDATED
    assert sandbox.patient("p1")["conditions"][0]["frequency"] == {"every": 1, "unit": "month"}
    [same] = await run(lh, [rec("p1", conditions=(cond(tracked=True),))])
    assert same.outcome is Outcome.UNCHANGED


class _BlindLookups:
    """The client's patient calls, but batch lookups see nothing (made in between)."""

    def __init__(self, lh: LegitHealth) -> None:
        self._patients = lh.patients
        self.create, self.get, self.patch = lh.patients.create, lh.patients.get, lh.patients.patch

    async def get_many(self, external_ids: Iterable[str]) -> Lookup[Patient]:
        return Lookup([], list(external_ids))


class _Blind:
    def __init__(self, lh: LegitHealth) -> None:
        self.patients = _BlindLookups(lh)
        self.episodes_of_care = lh.episodes_of_care
        self.base_url = lh.base_url
        self.max_in_flight = lh.max_in_flight

    def with_options(self, *, pacer: Any) -> _Blind:
        return self


async def test_patient_made_by_an_earlier_run_is_patched_not_failed(sandbox: Sandbox) -> None:
    """A create answered 409 on its first attempt: looked up, then patched or left alone."""
    async with client_for(sandbox) as lh:
        await lh.patients.create(external_id="p1", email="p1@example.org")
        # The batch lookup saw nothing (the patient was made in between): a create is planned.
        [outcome] = await run(_Blind(lh), [rec("p1", first_name="Ada")])
    assert outcome.outcome is Outcome.UPDATED
    assert sandbox.create_effects("p1") == 1
    assert sandbox.patient("p1")["firstName"] == "Ada"


async def test_a_failed_record_does_not_stop_the_others(lh, sandbox: Sandbox) -> None:
    records = [rec("p1", line=1), rec("p2", email=None, line=2), rec("p3", line=3)]
    outcomes = await run(lh, records)
    assert [o.outcome for o in outcomes] == [Outcome.CREATED, Outcome.FAILED, Outcome.CREATED]
    failed = outcomes[1]
    assert failed.line == 2 and failed.reason is not None
    assert failed.reason.error == "ValidationError"
    assert "email/phone" in failed.reason.message
    assert set(sandbox.patients()) == {"p1", "p3"}


async def test_server_refusal_is_a_typed_failure(lh, sandbox: Sandbox, recorder) -> None:
    """A 500 on a create is not retried blindly: the lookup proves nothing was made, and the
    record fails with the server's answer (not 'ambiguous')."""
    sandbox.faults.set("createPatient", error_rate=1.0, error_status=500, limit=100)
    [outcome] = await run(lh, [rec("p1", line=4)])
    assert outcome.outcome is Outcome.FAILED and outcome.line == 4
    assert outcome.reason is not None
    assert outcome.reason.error == "InternalServerError"
    assert outcome.reason.message == "patients.create (createPatient): HTTP 500 INTERNAL_ERROR"
    assert len(recorder.bodies("POST")) == 1
    assert sandbox.patient("p1") is None


async def test_duplicate_external_id_fails_after_the_first(lh, sandbox: Sandbox) -> None:
    outcomes = await run(lh, [rec("p1", line=1), rec("p2", line=2), rec("p1", line=7)])
    assert [o.outcome for o in outcomes][:2] == [Outcome.CREATED, Outcome.CREATED]
    dup = outcomes[2]
    assert dup.outcome is Outcome.FAILED and dup.reason is not None
    assert dup.reason.error == "DuplicateRecord" and "line 1" in dup.reason.message
    assert sandbox.create_attempts("p1") == 1


async def test_dry_run_sends_no_write(lh, sandbox, recorder) -> None:
    await run(lh, [rec("p1", first_name="Ada")])
    outcomes = await run(lh, [rec("p1", first_name="Grace"), rec("p2")], dry_run=True)
    assert [(o.outcome, o.dry_run) for o in outcomes] == [
        (Outcome.UPDATED, True),
        (Outcome.CREATED, True),
    ]
    assert sandbox.patient("p1")["firstName"] == "Ada" and sandbox.patient("p2") is None
    assert recorder.methods().count("POST") == 1


async def test_journal_skips_synced_records_without_a_request(
    lh, sandbox, recorder, tmp_path
) -> None:
    path = tmp_path / "j.sqlite"
    records = [rec(f"p{i}", conditions=(cond(),)) for i in range(5)]
    await run(lh, records, journal=path)
    before = len(recorder.sent)
    outcomes = await run(lh, records, journal=path)
    assert all(o.outcome is Outcome.UNCHANGED and o.from_journal for o in outcomes)
    assert len(recorder.sent) == before
    # A changed record is looked up again; force looks every record up.
    changed = [*records[:4], rec("p4", conditions=(cond(tracked=True, every=1),))]
    outcomes = await run(lh, changed, journal=path)
    assert [o.outcome for o in outcomes][-1] is Outcome.UPDATED
    outcomes = await run(lh, changed, journal=path, force=True)
    assert not any(o.from_journal for o in outcomes)
    with Journal(path) as journal:
        entry = journal.get("p4")
        assert entry is not None and entry.outcome == "unchanged"
        assert entry.patient_id == sandbox.patient("p4")["id"]
        assert entry.condition_ids == {"EA90@armLeft": sandbox.patient("p4")["conditions"][0]["id"]}


async def test_wrong_token_stops_the_run(sandbox: Sandbox) -> None:
    import pytest

    from legithealth_async import AuthenticationError, LegitHealth

    async with LegitHealth(
        api_token="wrong", base_url=sandbox.base_url, transport=sandbox.transport()
    ) as lh:
        with pytest.raises(AuthenticationError):
            await run(lh, [rec("p1")])


async def test_async_iterable_and_small_windows(lh, sandbox: Sandbox) -> None:
    async def records():
        for i in range(23):
            yield rec(f"p{i}", line=i + 1)

    outcomes = await run(lh, records(), window=5, concurrency=3)
    assert [o.line for o in outcomes] == list(range(1, 24))
    assert len(sandbox.patients()) == 23


def test_plan_patch_is_empty_for_an_equal_patient() -> None:
    from legithealth_async.models import Condition, Frequency, Patient

    patient = Patient(
        id="x",
        external_id="p1",
        email="p1@example.org",
        conditions=(
            Condition(
                id="c",
                pathology_code="EA90",
                body_site_code="armLeft",
                is_tracked=True,
                frequency=Frequency(every=2, unit="week"),
            ),
        ),
    )
    record = rec("p1", conditions=(cond(tracked=True, every=2),)).validated()
    assert not plan_patch(record, patient)
    assert isinstance(record, PatientRecord)


async def test_top_level_exports_and_the_structured_entry_point(lh, sandbox: Sandbox) -> None:
    import legithealth_async

    assert legithealth_async.sync_patients is sync_patients
    assert legithealth_async.PatientRecord is PatientRecord
    assert not hasattr(lh, "sync_patients")  # the client knows nothing of bulk sync
    session = sync_patients(lh, [rec("p1")], concurrency=2)
    with pytest.raises(TypeError, match="async with sync_patients"):
        aiter(session)  # the old iterator form says how to use it
    async with session as stream:
        outcomes = [o async for o in stream]
    assert [o.outcome for o in outcomes] == [Outcome.CREATED]
    assert "p1" not in repr(outcomes[0])


async def test_episodes_option_journals_each_conditions_episode_ids(
    lh, sandbox: Sandbox, tmp_path
) -> None:
    journal = tmp_path / "j.sqlite"
    records = [
        rec("p1", conditions=(cond(), cond(pathology="ED80", site="headFront"))),
        rec("p2"),
    ]
    outcomes = await run(lh, records, journal=journal, episodes=True)
    assert [o.outcome for o in outcomes] == [Outcome.CREATED, Outcome.CREATED]
    with Journal(journal) as j:
        entry = j.get("p1")
        assert entry is not None
        held = sandbox.patient("p1")
        assert held is not None
        expected = {
            c["id"]: [e["id"] for e in sandbox.episodes(c["id"])] for c in held["conditions"]
        }
        assert entry.episode_ids == expected
        assert all(len(ids) == 1 for ids in expected.values())  # one active episode each
        empty = j.get("p2")
        assert empty is not None and empty.episode_ids == {}
    # Without the option, no episode is listed (no extra request).
    outcomes = await run(lh, [rec("p3", conditions=(cond(),))], journal=journal)
    with Journal(journal) as j:
        entry = j.get("p3")
        assert entry is not None and entry.episode_ids == {}
