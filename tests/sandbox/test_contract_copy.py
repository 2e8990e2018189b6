"""The sandbox serves exactly the contract, and every operation of it."""

from __future__ import annotations

from pathlib import Path

from legithealth_async.sandbox.spec import SPEC_PATH, load_contract

ROOT = Path(__file__).resolve().parents[2]


def test_packaged_spec_is_the_contract() -> None:
    contract = (ROOT / "openapi" / "legit-health.yaml").read_bytes()
    assert SPEC_PATH.read_bytes() == contract, (
        "src/legithealth_async/sandbox/openapi.yaml drifted from openapi/legit-health.yaml: "
        "copy the contract over it"
    )


def test_every_operation_is_routed() -> None:
    contract = load_contract()
    assert contract.base_path == "/integration/v1"
    assert len(contract.operations) >= 11  # a new one answers 501 until it has a rule
    assert {op.auth_header for op in contract.operations.values()} == {"X-API-TOKEN"}
