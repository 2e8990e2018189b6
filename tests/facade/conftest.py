"""Shared pieces for the facade tests: a client on the scripted server (``tests/_scripted.py``),
on each transport, with pinned backoff and recorded sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from _scripted import TOKEN, Connect, ScriptedServer  # noqa: F401  (TOKEN: for the tests)
from _toolkit import Sleeps

from legithealth_async import LegitHealth

BASE = "https://api.test/integration/v1"


def patient_json(external_id: str, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"lh-{external_id}",
        "externalId": external_id,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.org",
        "phone": "+34600111222",
        "birthDate": "1985-12-10",
        "gender": "female",
        "language": "es",
        "conditions": [
            {
                "id": f"cond-{external_id}",
                "pathologyCode": "EA90",
                "bodySiteCode": "armLeft",
                "isTracked": False,
                "frequency": None,
            }
        ],
    }
    body.update(over)
    return body


def error_json(code: str, message: str = "nope") -> dict[str, Any]:
    return {"success": False, "message": message, "errorCode": code}


@pytest.fixture
def sleeps(scripted: ScriptedServer) -> Sleeps:
    """The backoffs of the ``lh`` client, recorded instead of slept."""
    return scripted.sleeps


@pytest.fixture
async def lh(connect: Connect) -> AsyncIterator[LegitHealth]:
    """A client on the scripted server, on each transport in turn (backoffs 0.5, 1, 2, 4, 8...)."""
    async with connect() as client:
        yield client
