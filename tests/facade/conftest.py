"""Shared pieces for the facade tests: a client with pinned backoff and recorded sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from _toolkit import Sleeps

from legithealth_async import LegitHealth, RetryPolicy

BASE = "https://api.test/integration/v1"
TOKEN = "tok-SENTINEL-7c1e"


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
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def lh(sleeps: Sleeps) -> AsyncIterator[LegitHealth]:
    # random() == 0 makes the jitter factor exactly 1: backoffs are 0.5, 1, 2, 4, 8, 8...
    async with LegitHealth(
        TOKEN,
        base_url=BASE,
        retry_policy=RetryPolicy(random=lambda: 0.0),
        sleep=sleeps,
    ) as client:
        yield client
