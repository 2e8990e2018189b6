"""Property-based conformance: schemathesis drives every operation of the contract against the
sandbox app, with valid and invalid data, and checks every answer against the spec (status,
content type, headers, body schema), that invalid requests are refused with a 4xx, and that
nothing ever answers 5xx.

One sandbox serves the whole run, so state builds up as it would against the real service
(a repeated create answers 409, and so on). Examples are bounded to keep the run to seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from legithealth_async.sandbox import Sandbox
from legithealth_async.sandbox.spec import load_contract

SANDBOX = Sandbox(token="conformance-token", seed=11, validate_answers=True)
# The token goes in through schemathesis's auth config (not as an extra header), so cases it
# generates *without* auth are known to it as such and expected to be refused.
CONFIG = SchemathesisConfig.from_dict(
    {"auth": {"openapi": {"apiToken": {"api_key": SANDBOX.token}}}}
)
SCHEMA = schemathesis.openapi.from_dict(load_contract().document, config=CONFIG)
if SANDBOX.unimplemented_operations:  # a new operation answers 501 until the sandbox has a rule
    SCHEMA = SCHEMA.exclude(operation_id=SANDBOX.unimplemented_operations)
SCHEMA.app = SANDBOX.app
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def session() -> Iterator[Any]:
    with asgi.get_client(SANDBOX.app) as client:
        yield client


@SCHEMA.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_answer_conforms(case: Any, session: Any) -> None:
    checks = CHECKS
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        # The contract's only header is X-API-TOKEN, which the auth config then sets anyway:
        # the request sent is valid, so "invalid data accepted" would be a false alarm.
        checks = [c for c in CHECKS if c is not negative_data_rejection]
    case.call_and_validate(session=session, checks=checks)


def test_the_run_reached_every_operation_with_successes_and_refusals() -> None:
    """Runs after the test above (file order): the run exercised more than error paths."""
    seen: dict[str | None, set[int | None]] = {}
    for record in SANDBOX.requests:
        seen.setdefault(record.operation_id, set()).add(record.status)
    assert set(load_contract().operations) - set(SANDBOX.unimplemented_operations) <= set(seen)
    successes = {op for op, statuses in seen.items() if any(s and s < 300 for s in statuses)}
    assert {"createPatient", "getPatients", "getPractitionerSpecialties"} <= successes
    assert any(400 in statuses for statuses in seen.values())
    assert SANDBOX.answer_violations == []
