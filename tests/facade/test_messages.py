"""Mistakes that name themselves: each message below is pinned as a user reads it.

Before: ``patients.create(externalId=...)`` said ``external_id: is required``; ``emial=`` was a
TypeError from generated code; ``extra_header=`` was ignored; errors named the operationId only;
a timeout read "connection failed (ReadTimeout)", with no host and no attempt count; a 404 from a
base URL without ``/integration/v1`` gave no hint.
"""

from __future__ import annotations

import datetime as dt
import inspect
import operator
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from legithealth_async import (
    APIConnectionError,
    APITimeoutError,
    LegitHealth,
    MissingArgumentError,
    NotFoundError,
    RetryPolicy,
    UnknownKeywordError,
    ValidationError,
)
from legithealth_async import _wire as wire
from legithealth_async.errors import OPERATION_METHODS, described

from .conftest import BASE, TOKEN, error_json

pytestmark = pytest.mark.anyio


async def _no_sleep(seconds: float) -> None:
    return None


def client(handler: Callable[[httpx.Request], httpx.Response], base_url: str = BASE) -> LegitHealth:
    return LegitHealth(
        TOKEN,
        base_url=base_url,
        transport=httpx.MockTransport(handler),
        retry_policy=RetryPolicy(max_retries=2, random=lambda: 0.0),
        sleep=_no_sleep,
    )


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError("nothing should be sent")


@pytest.fixture
async def lh() -> AsyncIterator[LegitHealth]:
    async with client(never) as c:
        yield c


async def test_the_api_spelling_of_a_keyword_names_the_python_one(lh: LegitHealth) -> None:
    with pytest.raises(UnknownKeywordError) as info:
        await lh.patients.create(externalId="x1", email="ada@example.org")  # type: ignore[call-arg]
    assert str(info.value) == (
        "externalId: not a keyword argument of patients.create(); did you mean external_id?"
    )
    assert info.value.field == "externalId" and info.value.suggestion == "external_id"


async def test_a_typo_is_a_typed_error_with_the_closest_keyword(lh: LegitHealth) -> None:
    with pytest.raises(UnknownKeywordError) as info:
        await lh.patients.create(external_id="x1", emial="a@b.org")  # type: ignore[call-arg]
    assert (
        str(info.value) == "emial: not a keyword argument of patients.create(); did you mean email?"
    )
    # A ValidationError (the library's), and a TypeError (as Python's own would be).
    assert isinstance(info.value, ValidationError) and isinstance(info.value, TypeError)


async def test_a_patch_and_the_extras_are_checked_too(lh: LegitHealth) -> None:
    with pytest.raises(
        UnknownKeywordError, match=r"^frist_name: .*patients\.patch\(\); did you mean first_name\?$"
    ):
        await lh.patients.patch("x1", frist_name="Ada")  # type: ignore[call-arg]
    with pytest.raises(UnknownKeywordError, match=r"did you mean extra_headers\?$"):
        await lh.practitioners.specialties(extra_header={"X-Trace": "1"})  # type: ignore[call-arg]
    with pytest.raises(UnknownKeywordError, match=r"^zzz: .*encounters\.create\(\)$"):
        await lh.encounters.create("e1", planned_for=None, zzz=1)  # type: ignore[arg-type,call-arg]


async def test_a_keyword_that_is_no_name_is_not_echoed(lh: LegitHealth) -> None:
    with pytest.raises(UnknownKeywordError) as info:
        await lh.patients.create(external_id="x1", **{"ada@example.org": 1})  # type: ignore[arg-type]
    assert "ada" not in str(info.value)


NOW = dt.datetime(2026, 3, 2, 11, 0, tzinfo=dt.UTC)
RESOURCES = ("patients", "practitioners", "encounters", "episodes_of_care")

#: Every public resource method, called with one keyword in the API's spelling or misspelt (the
#: others right): the method, its positional and keyword arguments, the wrong keyword, the one
#: meant. Before, a wrong name for a parameter the signature spells out (not one of its
#: ``**kwargs``) was Python's own TypeError: "missing 2 required keyword-only arguments".
WRONG_KEYWORDS: list[tuple[str, tuple[Any, ...], dict[str, Any], str, str]] = [
    ("patients.create", (), {"external_id": "x1", "emial": "a@b.test"}, "emial", "email"),
    ("patients.get", (), {"externalId": "x1"}, "externalId", "external_id"),
    ("patients.get_many", (), {"externalIds": ["x1"]}, "externalIds", "external_ids"),
    ("patients.iter_many", (), {"externalIds": ["x1"]}, "externalIds", "external_ids"),
    ("patients.patch", (), {"externalId": "x1", "first_name": "A"}, "externalId", "external_id"),
    (
        "patients.auth_tokens",
        (["x1"],),
        {"sendLinkByEmail": True},
        "sendLinkByEmail",
        "send_link_by_email",
    ),
    ("patients.login_links", (), {"externalIds": ["x1"]}, "externalIds", "external_ids"),
    (
        "practitioners.create",
        (),
        {"externalId": "x1", "email": "a@b.test"},
        "externalId",
        "external_id",
    ),
    ("practitioners.create", (), {"external_id": "x1", "emial": "a@b.test"}, "emial", "email"),
    ("practitioners.specialties", (), {"extraHeaders": {}}, "extraHeaders", "extra_headers"),
    ("practitioners.auth_tokens", (), {"externalIds": ["x1"]}, "externalIds", "external_ids"),
    ("practitioners.login_links", (), {"externalIds": ["x1"]}, "externalIds", "external_ids"),
    ("encounters.create", ("e1",), {"plannedFor": NOW}, "plannedFor", "planned_for"),
    (
        "encounters.create",
        (),
        {"episodeOfCareId": "e1", "planned_for": NOW},
        "episodeOfCareId",
        "episode_of_care_id",
    ),
    (
        "episodes_of_care.list_for_condition",
        (),
        {"conditionId": "c1"},
        "conditionId",
        "condition_id",
    ),
    ("episodes_of_care.create", (), {"conditionId": "c1"}, "conditionId", "condition_id"),
    ("episodes_of_care.patch", ("e1",), {"externalId": None}, "externalId", "external_id"),
    (
        "episodes_of_care.patch",
        (),
        {"episodeOfCareId": "e1", "external_id": None},
        "episodeOfCareId",
        "episode_of_care_id",
    ),
]

#: A required argument left out: the method, what is given, the argument missing. Before, the
#: patients' methods said "is required" (a ValidationError, no method named) and the others
#: were Python's TypeError, listing every missing one at once.
MISSING: list[tuple[str, tuple[Any, ...], dict[str, Any], str]] = [
    ("patients.create", (), {"email": "a@b.test"}, "external_id"),
    ("patients.get", (), {}, "external_id"),
    ("patients.patch", (), {"first_name": "Ada"}, "external_id"),
    ("patients.iter_many", (), {}, "external_ids"),
    ("practitioners.create", (), {"email": "a@b.test"}, "external_id"),
    ("practitioners.create", (), {"external_id": "x1"}, "email"),
    ("encounters.create", (), {"planned_for": NOW}, "episode_of_care_id"),
    ("encounters.create", ("e1",), {"external_id": "x1"}, "planned_for"),
    ("episodes_of_care.create", (), {"external_id": "x1"}, "condition_id"),
    ("episodes_of_care.patch", ("e1",), {}, "external_id"),
]


async def call(lh: LegitHealth, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """``lh.<method>(*args, **kwargs)`` awaited (an async iterator: iterated)."""
    answer = operator.attrgetter(method)(lh)(*args, **kwargs)
    if inspect.isasyncgen(answer):
        async for _ in answer:
            pass
    else:
        await answer


def _id(case: tuple[Any, ...]) -> str:
    return f"{case[0]}-{case[-1]}"


@pytest.mark.parametrize("case", WRONG_KEYWORDS, ids=_id)
async def test_every_method_names_the_keyword_meant(
    lh: LegitHealth, case: tuple[str, tuple[Any, ...], dict[str, Any], str, str]
) -> None:
    method, args, kwargs, wrong, meant = case
    with pytest.raises(UnknownKeywordError) as info:
        await call(lh, method, args, kwargs)
    assert (
        str(info.value) == f"{wrong}: not a keyword argument of {method}(); did you mean {meant}?"
    )
    assert (info.value.field, info.value.suggestion) == (wrong, meant)


@pytest.mark.parametrize("case", MISSING, ids=_id)
async def test_every_method_names_a_missing_argument(
    lh: LegitHealth, case: tuple[str, tuple[Any, ...], dict[str, Any], str]
) -> None:
    method, args, kwargs, missing = case
    with pytest.raises(MissingArgumentError) as info:
        await call(lh, method, args, kwargs)
    assert str(info.value) == f"{missing}: a required argument of {method}(), not given"
    assert info.value.field == missing and info.value.method == method
    # A ValidationError (the library's), and a TypeError (as Python's own would be).
    assert isinstance(info.value, ValidationError) and isinstance(info.value, TypeError)
    assert "x1" not in str(info.value) and "a@b.test" not in str(info.value)


def test_the_tables_hold_every_public_resource_method(lh: LegitHealth) -> None:
    public = {
        f"{resource}.{name}"
        for resource in RESOURCES
        for name, _ in inspect.getmembers(type(getattr(lh, resource)), inspect.isfunction)
        if not name.startswith("_")
    }
    assert {case[0] for case in WRONG_KEYWORDS} == public
    assert {case[0] for case in MISSING} <= public


async def test_the_raw_response_methods_are_checked_too(lh: LegitHealth) -> None:
    with pytest.raises(UnknownKeywordError, match=r"practitioners\.create\(\); did you mean ext"):
        await lh.practitioners.with_raw_response.create(externalId="x1", email="a@b.test")  # type: ignore[call-arg]
    with pytest.raises(MissingArgumentError, match=r"^planned_for: .*encounters\.create\(\)"):
        await lh.encounters.with_raw_response.create("e1")  # type: ignore[call-arg]


async def test_what_a_method_takes_is_read_once_not_per_call(
    lh: LegitHealth, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_signature(*args: object, **kwargs: object) -> None:
        raise AssertionError("inspect.signature read on a call")

    monkeypatch.setattr(inspect, "signature", no_signature)
    with pytest.raises(UnknownKeywordError):
        await lh.encounters.create("e1", plannedFor=NOW)  # type: ignore[call-arg]
    with pytest.raises(MissingArgumentError):
        await lh.patients.create(email="a@b.test")  # type: ignore[typeddict-item]


async def test_a_refused_connection_names_the_host_and_the_attempts() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with client(refuse, "http://127.0.0.1:8123/integration/v1") as lh:
        with pytest.raises(APIConnectionError) as info:
            await lh.patients.get("a449")
    assert str(info.value) == (
        "patients.get / get_many / iter_many (getPatients): could not connect to 127.0.0.1:8123 "
        "(ConnectError), after 3 attempts"
    )
    assert info.value.host == "127.0.0.1:8123" and info.value.attempts == 3


async def test_a_timeout_says_what_timed_out_and_never_the_path() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    async with client(slow) as lh:
        with pytest.raises(APITimeoutError) as info:
            await lh.patients.get("a449-secret-id")
    text = str(info.value)
    assert text == (
        "patients.get / get_many / iter_many (getPatients): timed out waiting for the answer of "
        "api.test (ReadTimeout), after 3 attempts"
    )
    assert "a449" not in text and "/integration" not in text


async def test_a_404_from_a_base_url_without_the_api_path_says_so() -> None:
    def not_here(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text="Not Found")

    async with client(not_here, "https://api.test") as lh:
        with pytest.raises(NotFoundError) as info:
            await lh.patients.patch("a449", first_name="Ada")
    assert str(info.value) == (
        "patients.patch (patchPatient): HTTP 404; the base URL does not end with "
        "/integration/v1: is it the API's?"
    )


async def test_a_404_from_the_api_itself_has_no_hint() -> None:
    def unknown(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json=error_json("PATIENT_NOT_FOUND"))

    async with client(unknown) as lh:
        with pytest.raises(NotFoundError) as info:
            await lh.patients.patch("a449", first_name="Ada")
    assert str(info.value) == "patients.patch (patchPatient): HTTP 404 PATIENT_NOT_FOUND"


def test_every_operation_names_methods_that_exist() -> None:
    operations = {op.name for op in vars(wire).values() if isinstance(op, wire.Operation)}
    assert set(OPERATION_METHODS) == operations
    view = LegitHealth(TOKEN, base_url=BASE, transport=httpx.MockTransport(never))
    for operation, methods in OPERATION_METHODS.items():
        for method in methods:
            resource, _, name = method.partition(".")
            assert callable(getattr(getattr(view, resource), name)), (operation, method)


def test_an_operation_without_a_method_is_its_operation_id() -> None:
    assert described("getServiceStatus") == "getServiceStatus"
    assert described("createPatient") == "patients.create (createPatient)"


async def test_a_create_counts_its_attempts_across_the_lookups_between_them() -> None:
    """A create whose answers are lost is looked up, then sent again: the error counts every
    create attempt (3 with max_retries=2), not only those of its last send."""

    def lost(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            raise httpx.ReadTimeout("lost", request=request)
        return httpx.Response(200, json=[])  # the lookup: nothing was made

    async with client(lost) as lh:
        with pytest.raises(APITimeoutError) as info:
            await lh.patients.create(external_id="a449", email="ada@example.org")
    assert str(info.value) == (
        "patients.create (createPatient): timed out waiting for the answer of api.test "
        "(ReadTimeout), after 3 attempts"
    )
