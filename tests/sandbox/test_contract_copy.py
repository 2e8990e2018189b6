"""The sandbox serves exactly the contract (base + our overlay), and every operation of it."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from legithealth_async.sandbox.spec import SPEC_PATH, load_contract

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import overlay  # noqa: E402


def test_packaged_spec_is_the_base_with_our_overlay() -> None:
    merged = overlay.apply(overlay.load(ROOT / overlay.BASE), overlay.load(ROOT / overlay.OVERLAY))
    assert SPEC_PATH.read_text(encoding="utf-8") == overlay.dump(merged), (
        "src/legithealth_async/sandbox/openapi.yaml drifted from openapi/legit-health.yaml + "
        "legit-health.overlay.yaml: run `make generate`"
    )


def test_packaged_spec_carries_our_marks_the_base_does_not() -> None:
    packaged = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    base = overlay.load(ROOT / overlay.BASE)
    email = ["components", "schemas", "Patient", "properties", "email"]
    node, base_node = packaged, base
    for key in email:
        node, base_node = node[key], base_node[key]
    assert node.get("x-pii") is True
    assert "x-pii" not in base_node


def test_every_operation_is_routed() -> None:
    contract = load_contract()
    assert contract.base_path == "/integration/v1"
    assert len(contract.operations) >= 11  # a new one answers 501 until it has a rule
    assert {op.auth_header for op in contract.operations.values()} == {"X-API-TOKEN"}
