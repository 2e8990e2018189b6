"""The test hook ``Sandbox.before_create_patient``, and ``Sandbox.patient_count``."""

from __future__ import annotations

from typing import Any

import anyio
import httpx

from legithealth_async.sandbox import Sandbox

from .conftest import patient_body


async def test_the_hook_holds_a_create_before_its_effect_while_the_rest_answers(
    sandbox: Sandbox,
) -> None:
    entered, release = anyio.Event(), anyio.Event()
    seen: list[tuple[Any, int, Any]] = []

    async def hook(body: dict[str, Any]) -> None:
        seen.append((body["externalId"], sandbox.patient_count, sandbox.patient("p-1")))
        entered.set()
        await release.wait()

    sandbox.before_create_patient = hook
    assert sandbox.before_create_patient is hook
    answers: list[httpx.Response] = []
    async with sandbox.client() as api, anyio.create_task_group() as group:

        async def create() -> None:
            answers.append(await api.post("/patients", json=patient_body("p-1")))

        group.start_soon(create)
        await entered.wait()
        # Held: nothing created, no answer yet, and other requests are answered meanwhile.
        assert sandbox.patient("p-1") is None and sandbox.patient_count == 0
        lookup = await api.get("/patients", params={"externalIds[]": ["p-1"]})
        assert lookup.status_code == 200 and lookup.json() == []
        assert answers == []
        release.set()
    assert [a.status_code for a in answers] == [201]
    assert seen == [("p-1", 0, None)]  # awaited before the effect
    assert sandbox.patient_count == 1 and sandbox.create_effects("p-1") == 1


async def test_the_hook_sees_valid_creates_only_and_an_exception_refuses_the_create(
    sandbox: Sandbox,
) -> None:
    calls: list[str] = []

    async def hook(body: dict[str, Any]) -> None:
        calls.append(body["externalId"])
        if body["externalId"] == "refused":
            raise RuntimeError("refused by the test")

    sandbox.before_create_patient = hook
    async with sandbox.client() as api:
        invalid = await api.post("/patients", json={"externalId": 5})
        assert invalid.status_code == 400  # refused by validation: the hook is not called
        refused = await api.post("/patients", json=patient_body("refused"))
        assert refused.status_code == 500 and refused.json()["errorCode"] == "INTERNAL_ERROR"
        assert (await api.post("/patients", json=patient_body("p-1"))).status_code == 201
        patched = await api.patch("/patients/p-1", json={"firstName": "Grace"})
        assert patched.status_code == 200  # another operation: not called
        sandbox.before_create_patient = None
        assert (await api.post("/patients", json=patient_body("p-2"))).status_code == 201
    assert calls == ["refused", "p-1"]
    assert sandbox.patient("refused") is None and sandbox.create_effects("refused") == 0
    assert sandbox.patient_count == len(sandbox.patients()) == 2
