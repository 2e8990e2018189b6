"""Every operation, at DEBUG, with sentinel PII and token: none of it in any log record,
exception text or repr; on every transport, the failures on the wire (``tests/_scripted.py``)."""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from _scripted import Connect, ScriptedServer, Wire
from _toolkit import no_sleep

from legithealth_async import (
    APIStatusError,
    ConditionInput,
    HrmEpisode,
    LegitHealth,
    LegitHealthError,
    match_episodes,
)

TOKEN = "SENTINEL-TOKEN-93f1"
EXT = "SENTINEL-EXT-5d2a"
EXT_PRAC = "SENTINEL-DOC-77aa"
FIRST = "Sentinelfirst"
LAST = "Sentinellast"
EMAIL = "sentinel.mail@example.org"
PHONE = "+34699887766"
BIRTH = "1911-11-11"
LOGIN_TOKEN = "SENTINEL-LOGIN-0b1c"
REFRESH = "SENTINEL-REFRESH-e3e3"
HRM_EP = "SENTINEL-HRM-EP-42"
SENTINELS = [TOKEN, EXT, EXT_PRAC, FIRST, LAST, EMAIL, PHONE, BIRTH, LOGIN_TOKEN, REFRESH, HRM_EP]

PATIENT = {
    "id": "lh-1",
    "externalId": EXT,
    "firstName": FIRST,
    "lastName": LAST,
    "email": EMAIL,
    "phone": PHONE,
    "birthDate": BIRTH,
    "gender": "female",
    "language": "es",
    "conditions": [
        {
            "id": "c1",
            "pathologyCode": "EA90",
            "bodySiteCode": "armLeft",
            "isTracked": False,
            "frequency": None,
        }
    ],
}
EPISODE = {
    "id": "e1",
    "externalId": HRM_EP,
    "conditionId": "c1",
    "status": "active",
    "startedAt": "2026-03-02T11:00:00Z",
    "finishedAt": None,
}
ENCOUNTER = {
    "id": "enc1",
    "episodeOfCareId": "e1",
    "externalId": HRM_EP,
    "planned_for": "2026-12-01T10:00:00Z",
    "status": "scheduled",
}
PRACTITIONER = {
    "id": "d1",
    "externalId": EXT_PRAC,
    "email": EMAIL,
    "firstName": FIRST,
    "lastName": LAST,
    "speciality": "dermatology",
}
TOKENS = [{"externalId": EXT, "token": LOGIN_TOKEN, "refresh_token": REFRESH}]


def _answer(status: int | None) -> Callable[[httpx.Request], Any]:
    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if status is not None:
            # A hostile server that echoes everything it got back into its message.
            echo = f"bad {request.content.decode()} {request.url} {FIRST} {EMAIL} {PHONE}"
            return httpx.Response(
                status, json={"success": False, "message": echo, "errorCode": "X"}
            )
        if path.endswith("/auth-tokens"):
            return httpx.Response(200, json=TOKENS)
        if path.endswith("/encounters"):
            return httpx.Response(201, json=ENCOUNTER)
        if path.endswith("/episodes-of-care"):
            if request.method == "GET":
                return httpx.Response(200, json=[{**EPISODE, "externalId": None}])
            return httpx.Response(201, json=EPISODE)
        if "/episodes-of-care/" in path:
            return httpx.Response(200, json=EPISODE)
        if path.endswith("/specialties"):
            return httpx.Response(200, json=[{"code": "dermatology", "name": "Dermatology"}])
        if path.endswith("/practitioners"):
            return httpx.Response(201, json=PRACTITIONER)
        if request.method == "GET":
            return httpx.Response(200, json=[PATIENT])
        return httpx.Response(201 if request.method == "POST" else 200, json=PATIENT)

    return answer


def _operations(lh: LegitHealth) -> list[Callable[[], Awaitable[object]]]:
    cond = [ConditionInput(pathology_code="EA90", body_site_code="armLeft")]
    personal: dict[str, Any] = {
        "first_name": FIRST,
        "last_name": LAST,
        "email": EMAIL,
        "phone": PHONE,
        "birth_date": dt.date(1911, 11, 11),
    }
    return [
        lambda: lh.patients.create(external_id=EXT, conditions=cond, **personal),
        lambda: lh.patients.get(EXT),
        lambda: lh.patients.get_many([EXT, EXT + "x"]),
        lambda: lh.patients.patch(EXT, **personal),
        lambda: lh.patients.auth_tokens([EXT], send_link_by_email=True),
        lambda: lh.patients.login_links([EXT]),
        lambda: lh.episodes_of_care.list_for_condition("c1"),
        lambda: lh.episodes_of_care.create("c1", external_id=HRM_EP),
        lambda: lh.episodes_of_care.patch("e1", external_id=HRM_EP),
        lambda: lh.encounters.create("e1", planned_for=dt.datetime.now(dt.UTC), external_id=HRM_EP),
        lambda: lh.practitioners.create(
            external_id=EXT_PRAC, email=EMAIL, first_name=FIRST, last_name=LAST
        ),
        lambda: lh.practitioners.specialties(),
        lambda: lh.practitioners.auth_tokens([EXT_PRAC]),
        lambda: match_episodes(
            lh,
            [],
            [
                HrmEpisode(
                    external_id=HRM_EP,
                    pathology_code="EA90",
                    body_site_code="armLeft",
                    status="active",
                )
            ],
        ),
    ]


def _assert_clean(text: str, where: str) -> None:
    for sentinel in SENTINELS:
        assert sentinel not in text, f"{sentinel!r} leaked into {where}: {text[:300]!r}"


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (None, None),
        (400, None),
        (404, None),
        (409, None),
        (422, None),
        (503, None),
        (None, Wire.STALL),
        (None, "refused"),
    ],
    ids=["ok", "400", "404", "409", "422", "503", "timeout", "connect"],
)
async def test_no_pii_or_token_anywhere(
    connect: Connect,
    scripted: ScriptedServer,
    caplog: pytest.LogCaptureFixture,
    status: int | None,
    failure: Wire | str | None,
) -> None:
    if failure == "refused":
        scripted.refuse_connections()
    elif isinstance(failure, Wire):
        scripted.add_failure(failure, is_reusable=True)
    else:
        scripted.add_callback(_answer(status), is_reusable=True)
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included

    seen_outcomes = 0
    # Every answer stalls in the timeout case: a short read timeout ends each attempt soon.
    timeout = 0.02 if failure is Wire.STALL else 5.0
    async with connect(api_token=TOKEN, max_retries=1, sleep=no_sleep, timeout=timeout) as lh:
        _assert_clean(repr(lh), "client repr")
        for op in _operations(lh):
            try:
                result = await op()
            except LegitHealthError as err:
                seen_outcomes += 1
                _assert_clean(str(err), "exception message")
                _assert_clean(repr(err), "exception repr")
                _assert_clean("".join(traceback.format_exception(err)), "traceback")
                for arg in err.args:
                    _assert_clean(repr(arg), "exception args")
                if isinstance(err, APIStatusError) and err.message:
                    # What the request carried is redacted even from the server's own text.
                    for sent in (EMAIL, PHONE, EXT, EXT_PRAC, HRM_EP):
                        assert sent not in err.message
            else:
                seen_outcomes += 1
                if isinstance(result, dict):  # login links: the links are the point
                    assert all(link.startswith("https://app.") for link in result.values())
                    continue
                _assert_clean(repr(result), "result repr")
                for item in result if isinstance(result, list) else []:
                    _assert_clean(repr(item), "item repr")
    assert seen_outcomes == 14
    assert any(r.name == "legithealth_async" for r in caplog.records)
    for record in caplog.records:
        _assert_clean(record.getMessage(), f"log record of {record.name}")
        _assert_clean(repr(record.args), f"log args of {record.name}")
