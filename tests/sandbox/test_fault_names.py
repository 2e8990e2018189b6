"""``faults.set`` names the valid operations when it refuses one, and takes the client's method
names too (before: ``faults.set("getPatient")`` said ``unknown operationId 'getPatient'`` and no
more, and ``faults.set("patients.get")`` was refused)."""

from __future__ import annotations

import pytest

from legithealth_async import InternalServerError, LegitHealth
from legithealth_async.sandbox import Sandbox


def test_an_unknown_operation_lists_the_valid_ones_and_the_closest() -> None:
    with pytest.raises(ValueError) as info:
        Sandbox().faults.set("getPatient", error_rate=1.0)
    text = str(info.value)
    assert text.startswith(
        "unknown operation 'getPatient' (did you mean getPatients?): give one of "
    )
    assert "createEncounter, createEpisodeOfCare, createPatient," in text
    assert "patients.create, patients.get, patients.get_many" in text


@pytest.mark.parametrize("name", ["patients.get", "lh.patients.get_many", "getPatients"])
def test_a_method_name_means_the_operation_it_sends(name: str) -> None:
    faults = Sandbox().faults
    plan = faults.set(name, error_rate=1.0, error_status=503)
    assert faults.get("getPatients") is plan
    assert faults.get("createPatient") is None


async def test_a_fault_set_by_method_name_reaches_that_method() -> None:
    sandbox = Sandbox()
    sandbox.faults.set("patients.get", error_rate=1.0, error_status=500)
    async with LegitHealth(
        sandbox.token, base_url=sandbox.base_url, transport=sandbox.transport(), max_retries=0
    ) as lh:
        with pytest.raises(InternalServerError):
            await lh.patients.get("a449")


def test_the_sandbox_knows_the_methods_the_client_names() -> None:
    """The sandbox's copy of "which method sends which operation" is the client's table."""
    from legithealth_async.errors import OPERATION_METHODS
    from legithealth_async.sandbox.faults import CLIENT_METHODS

    inverted = {m: op for op, methods in OPERATION_METHODS.items() for m in methods}
    assert CLIENT_METHODS == inverted
