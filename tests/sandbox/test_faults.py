"""Every fault mode, seen by an httpx client in-process and over loopback."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from legithealth_async.sandbox import FaultPlan, Sandbox, parse_fault_option

from .conftest import error_body, patient_body


async def test_fixed_latency(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.faults.set("getPractitionerSpecialties", latency_ms=150)
    started = time.perf_counter()
    r = await api.get("/practitioners/specialties")
    assert r.status_code == 200
    assert time.perf_counter() - started >= 0.15
    assert sandbox.requests[-1].latency_s == pytest.approx(0.15)


async def test_jittered_latency_stays_within_bounds(sandbox: Sandbox) -> None:
    sandbox.faults.set(latency_ms=20, jitter_ms=10)
    async with sandbox.client() as api:
        for _ in range(20):
            await api.get("/practitioners/specialties")
    latencies = [r.latency_s for r in sandbox.requests]
    assert all(0.010 <= s <= 0.030 for s in latencies)
    assert len(set(latencies)) > 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_error_status(api: httpx.AsyncClient, sandbox: Sandbox, status: int) -> None:
    sandbox.faults.set("createPatient", error_rate=1.0, error_status=status)
    r = await api.post("/patients", json=patient_body())
    assert r.status_code == status
    body = error_body(r)
    assert body["errorCode"] in {
        "INTERNAL_ERROR",
        "BAD_GATEWAY",
        "SERVICE_UNAVAILABLE",
        "GATEWAY_TIMEOUT",
    }
    assert ("retry-after" in r.headers) == (status == 503)
    assert sandbox.patient("p-1") is None  # the effect was not applied
    assert sandbox.requests[-1].fault == "error" and not sandbox.requests[-1].effect_applied


async def test_rate_limited_with_retry_after(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.faults.set("getPatients", rate_limit_rate=1.0, retry_after="7")
    r = await api.get("/patients", params={"externalIds[]": ["a"]})
    assert r.status_code == 429
    assert r.headers["retry-after"] == "7"
    assert error_body(r)["errorCode"] == "RATE_LIMITED"


async def test_html_502(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.faults.set("createPatient", html_502_rate=1.0)
    r = await api.post("/patients", json=patient_body())
    assert r.status_code == 502
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in r.text
    with pytest.raises(ValueError):
        r.json()
    assert sandbox.patient("p-1") is None


async def test_drop_before_the_effect(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.faults.set("createPatient", drop_before_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        await api.post("/patients", json=patient_body())
    assert sandbox.patient("p-1") is None
    assert sandbox.create_attempts("p-1") == 0
    record = sandbox.requests[-1]
    assert (record.status, record.effect_applied, record.fault) == (None, False, "drop_before")
    sandbox.faults.clear()
    assert (await api.post("/patients", json=patient_body())).status_code == 201


async def test_drop_after_the_effect_duplicates_a_retried_create(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.faults.set("createPatient", drop_after_rate=1.0, limit=1)
    with pytest.raises(httpx.RemoteProtocolError):
        await api.post("/patients", json=patient_body())
    assert sandbox.patient("p-1") is not None  # it happened, the client never heard
    record = sandbox.requests[-1]
    assert (record.status, record.effect_applied, record.fault) == (None, True, "drop_after")
    retry = await api.post("/patients", json=patient_body())  # a naive retry
    assert retry.status_code == 409
    assert sandbox.create_effects("p-1") == 1
    assert sandbox.create_attempts("p-1") == 2


async def test_drop_after_on_a_read(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.faults.set("getPractitionerSpecialties", drop_after_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        await api.get("/practitioners/specialties")


async def test_stalled_body_fires_the_read_timeout(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.faults.set("getPractitionerSpecialties", stall_rate=1.0)  # forever
    # The stall never ends, so only the read timeout can end the call: ReadTimeout (not the 5 s
    # connect/write/pool ones), with the headers sent and the body held back.
    with pytest.raises(httpx.ReadTimeout):
        await api.get("/practitioners/specialties", timeout=httpx.Timeout(5, read=0.3))
    assert sandbox.requests[-1].fault == "stall" and sandbox.requests[-1].status == 200
    sandbox.faults.clear()
    assert (await api.get("/practitioners/specialties")).status_code == 200


async def test_stalled_body_after_the_effect(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.faults.set("createPatient", stall_rate=1.0, stall_seconds=30)
    with pytest.raises(httpx.ReadTimeout):
        await api.post("/patients", json=patient_body(), timeout=httpx.Timeout(5, read=0.2))
    assert sandbox.patient("p-1") is not None
    assert sandbox.requests[-1].effect_applied


async def test_slow_body_completes_within_a_generous_timeout(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.faults.set("getPractitionerSpecialties", stall_rate=1.0, stall_seconds=0.2)
    started = time.perf_counter()
    r = await api.get("/practitioners/specialties")
    assert r.status_code == 200 and r.json()[0]["code"] == "dermatology"
    assert time.perf_counter() - started >= 0.2
    assert sandbox.requests[-1].fault == "stall"


async def test_stream_sees_headers_then_stalls_over_loopback(
    mode: str, api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.faults.set("getPractitionerSpecialties", stall_rate=1.0)
    timeout = httpx.Timeout(5, read=0.3)
    if mode == "loopback":  # over a socket, the status line arrives before the body stalls
        async with api.stream("GET", "/practitioners/specialties", timeout=timeout) as r:
            assert r.status_code == 200
            with pytest.raises(httpx.ReadTimeout):
                await r.aread()
    else:  # in-process, the whole exchange is bounded by the read timeout
        with pytest.raises(httpx.ReadTimeout):
            async with api.stream("GET", "/practitioners/specialties", timeout=timeout):
                pass


async def test_unknown_enum_values(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    body = patient_body(conditions=[{"pathologyCode": "EA90", "bodySiteCode": "armLeft"}])
    await api.post("/patients", json=body)
    sandbox.faults.set("getPatients", unknown_enum_rate=1.0)
    r = await api.get("/patients", params={"externalIds[]": ["p-1"]})
    [patient] = r.json()
    assert patient["gender"] == "nonBinary"
    condition = patient["conditions"][0]
    assert (condition["pathologyCode"], condition["bodySiteCode"]) == ("EK90.0", "earLeft")
    sandbox.faults.set("getEpisodesOfCare", unknown_enum_rate=1.0)
    r = await api.get(f"/conditions/{condition['id']}/episodes-of-care")
    assert r.json()[0]["status"] == "onHold"
    assert sandbox.episodes(condition["id"])[0]["status"] == "active"  # only the answer changed


async def test_missing_optional_fields(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.faults.set("createPatient", missing_field_rate=1.0)
    body = patient_body(conditions=[{"pathologyCode": "EA90", "bodySiteCode": "armLeft"}])
    r = await api.post("/patients", json=body)
    assert r.status_code == 201
    patient = r.json()
    assert set(patient) == {"id", "externalId", "conditions"}
    assert set(patient["conditions"][0]) == {"id", "pathologyCode", "bodySiteCode", "isTracked"}
    assert sandbox.patient("p-1")["firstName"] == "Ada"  # type: ignore[index]


async def test_faults_only_hit_their_operation(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.faults.set("createPatient", error_rate=1.0)
    assert (await api.get("/practitioners/specialties")).status_code == 200
    assert (await api.post("/patients", json=patient_body())).status_code == 503


async def test_star_plan_and_per_operation_override(sandbox: Sandbox) -> None:
    sandbox.faults.set("*", error_rate=1.0, error_status=500)
    sandbox.faults.set("getPractitionerSpecialties", FaultPlan())
    async with sandbox.client() as api:
        assert (await api.get("/practitioners/specialties")).status_code == 200
        assert (await api.get("/patients", params={"externalIds[]": ["x"]})).status_code == 500
    assert sandbox.faults.fired[("getPatients", "error")] == 1


async def test_limit_fails_the_first_requests_then_passes(sandbox: Sandbox) -> None:
    sandbox.faults.set("getPractitionerSpecialties", error_rate=1.0, limit=2)
    async with sandbox.client() as api:
        statuses = [(await api.get("/practitioners/specialties")).status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]


async def test_rates_are_seeded_and_roughly_honoured() -> None:
    async def run(seed: int) -> list[int]:
        sandbox = Sandbox(seed=seed)
        sandbox.faults.set(error_rate=0.3, rate_limit_rate=0.2)
        async with sandbox.client() as api:
            return [(await api.get("/practitioners/specialties")).status_code for _ in range(200)]

    first, again, other = await run(1), await run(1), await run(2)
    assert first == again and first != other
    assert 40 <= first.count(503) <= 80 and 20 <= first.count(429) <= 60
    assert first.count(200) + first.count(503) + first.count(429) == 200


async def test_in_process_faults_leak_no_tasks(sandbox: Sandbox) -> None:
    sandbox.faults.set("getPractitionerSpecialties", stall_rate=0.5, drop_after_rate=0.5)
    before = asyncio.all_tasks()
    async with sandbox.client(timeout=httpx.Timeout(5, read=0.05)) as api:
        for _ in range(10):
            with pytest.raises((httpx.ReadTimeout, httpx.RemoteProtocolError)):
                await api.get("/practitioners/specialties")
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before
    assert {r.fault for r in sandbox.requests} == {"stall", "drop_after"}


async def test_many_concurrent_requests_with_faults(sandbox: Sandbox) -> None:
    sandbox.faults.set("createPatient", error_rate=0.2, latency_ms=5, jitter_ms=5)

    async def create(n: int) -> int:
        try:
            return (await api.post("/patients", json=patient_body(f"p-{n}"))).status_code
        except httpx.HTTPError:
            return -1

    async with sandbox.client() as api:
        statuses = await asyncio.gather(*(create(n) for n in range(200)))
    assert set(statuses) <= {201, 503}
    assert len(sandbox.patients()) == statuses.count(201)


def test_fault_plan_checks_its_fields() -> None:
    with pytest.raises(ValueError, match="add up"):
        FaultPlan(error_rate=0.6, drop_after_rate=0.6)
    with pytest.raises(ValueError, match="error_status"):
        FaultPlan(error_status=418)
    with pytest.raises(ValueError):
        FaultPlan(error_rate=-0.1)
    with pytest.raises(ValueError, match="unknown operation 'deletePatient'"):
        Sandbox().faults.set("deletePatient", error_rate=1)


def test_parse_fault_option() -> None:
    op, plan = parse_fault_option("createPatient:error_rate=0.1,status=502,latency=20,limit=3")
    assert op == "createPatient"
    assert plan == FaultPlan(error_rate=0.1, error_status=502, latency_ms=20, limit=3)
    op, plan = parse_fault_option("*:drop_after=0.5,stall=0.5,stall_s=forever,retry_after=none")
    assert op == "*"
    assert plan == FaultPlan(
        drop_after_rate=0.5, stall_rate=0.5, stall_seconds=None, retry_after=None
    )
    with pytest.raises(ValueError):
        parse_fault_option("createPatient:explode=1")
    with pytest.raises(ValueError):
        parse_fault_option("error_rate=1")
