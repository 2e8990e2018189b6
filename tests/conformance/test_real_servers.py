"""The client through real nginx and real squid, on every transport it offers.

nginx closes connections after 1 s idle and after 5 requests, gzips and chunks its answers, and
speaks TLS with a certificate from a CA made for the run; squid wants basic auth before it opens
a CONNECT tunnel. Through each route: the README's steps, and a bulk sync through injected
faults (errors, HTML 502 pages, connections dropped before and after the effect), with no
duplicate, no failure, every record as it says. What reached nginx and squid is read back from
their own logs: the proxy carried every connection, the keep-alive limits and gzip were hit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections import Counter

import httpx
import pytest
from _toolkit import Sleeps, make_records, wait_until
from reliability.conftest import check_created_as_recorded, faults_by_kind, outcome_counts

from legithealth_async import (
    ActiveEpisodeExistsError,
    AmbiguousOutcomeError,
    APIConnectionError,
    APITimeoutError,
    ConditionInput,
    EncounterStatus,
    EpisodeOfCareStatus,
    Frequency,
    HrmEpisode,
    PatientAlreadyExistsError,
    RetryPolicy,
    match_episodes,
)
from legithealth_async.sandbox import FaultPlan, Sandbox
from legithealth_async.sync import sync_patients

from .conftest import Connect, Route, Servers, clear_proxies
from .servers import (
    API_HOSTNAME,
    H2_KEEPALIVE_REQUESTS,
    KEEPALIVE_REQUESTS,
    KEEPALIVE_TIMEOUT,
    PROXY_USER,
)

PSORIASIS = ConditionInput(pathology_code="EA90", body_site_code="armLeft")
ACNE = ConditionInput(pathology_code="ED80", body_site_code="headFront")
RECORDS = 300
#: What every operation suffers in the sync, on top of a createPatient that loses 5% of its
#: answers after the patient was made (the client must look it up, never create it twice).
FAULTS = FaultPlan(
    error_rate=0.08, error_status=503, retry_after="0", html_502_rate=0.03, drop_before_rate=0.03
)


async def test_the_readme_steps(
    route: Route, connect: Connect, sandbox: Sandbox, servers: Servers
) -> None:
    # No fault is injected here: every call must succeed at its first attempt, so a connection
    # closed by nginx (idle, or at its request limit) must never be written to. A retry would
    # sleep first.
    retries = Sleeps()
    async with connect(route, sleep=retries, timeout=httpx.Timeout(10, read=5)) as lh:
        patient = await lh.patients.create(
            external_id="hrm/1?&#",  # must travel safely encoded, through the proxy too
            email="ada@example.org",
            phone="+34600111222",
            first_name="Ada",
            conditions=[PSORIASIS, ACNE],
        )
        assert patient.external_id == "hrm/1?&#" and len(patient.conditions) == 2
        with pytest.raises(PatientAlreadyExistsError):
            await lh.patients.create(external_id="hrm/1?&#", email="ada@example.org")
        # Past nginx's keep-alive timeout: the idle connections are closed under the client.
        await asyncio.sleep(KEEPALIVE_TIMEOUT + 0.5)
        fetched = await lh.patients.get("hrm/1?&#")
        assert fetched is not None and fetched.id == patient.id
        for i in range(5):
            await lh.patients.create(external_id=f"m{i}", email=f"m{i}@example.org")
        ids = [f"m{i}" for i in range(5)] + [f"unknown{i}" for i in range(200)] + ["m0"]
        many = await lh.patients.get_many(ids)  # several getPatients, gzipped and chunked
        assert [p.external_id for p in many.found] == [f"m{i}" for i in range(5)]
        assert len(many.missing) == 200

        tracked = ConditionInput(
            pathology_code="EA90",
            body_site_code="armLeft",
            is_tracked=True,
            frequency=Frequency(every=2, unit="week"),
        )
        patched = await lh.patients.patch("hrm/1?&#", first_name="Renamed", conditions=[tracked])
        assert {c.pathology_code for c in patched.conditions} == {"EA90", "ED80"}
        tokens = await lh.patients.auth_tokens(["m1", "nobody"], send_link_by_email=True)
        assert [t.external_id for t in tokens.found] == ["m1"] and tokens.missing == ["nobody"]
        links = await lh.patients.login_links(["m2"])
        assert links["m2"].startswith("https://app.legit.health/u/home?token=")

        condition = next(c for c in patched.conditions if c.pathology_code == "ED80")
        (episode,) = await lh.episodes_of_care.list_for_condition(condition.id)
        assert episode.status == EpisodeOfCareStatus.ACTIVE
        await lh.episodes_of_care.patch(episode.id, external_id="HRM-EP-1")
        report = await match_episodes(
            lh,
            patched.conditions,
            [
                HrmEpisode(
                    external_id="HRM-EP-1",
                    pathology_code="ED80",
                    body_site_code="headFront",
                    status="active",
                )
            ],
        )
        assert [h for h, _ in report.matched] == ["HRM-EP-1"]
        with pytest.raises(ActiveEpisodeExistsError):
            await lh.episodes_of_care.create(condition.id, external_id="HRM-EP-2")
        future = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
        encounter = await lh.encounters.create(episode.id, planned_for=future, external_id="e1")
        assert encounter.status == EncounterStatus.SCHEDULED

        specialties = await lh.practitioners.specialties()
        doc = await lh.practitioners.create(
            external_id="DR-42", email="dr@example.org", speciality=specialties[0].code
        )
        assert doc.id and doc.speciality == specialties[0].code
        assert list(await lh.practitioners.login_links(["DR-42"])) == ["DR-42"]

    assert sorted(sandbox.patients()) == sorted(["hrm/1?&#", *(f"m{i}" for i in range(5))])
    assert all(sandbox.create_effects(e) == 1 for e in sandbox.patients())
    assert len(sandbox.encounters(episode.id)) == 1
    assert retries == []
    assert len(sandbox.requests) >= 20
    await _check_the_servers_carried_it(servers, sandbox, route, connect)


async def test_a_sync_through_faults_has_no_duplicate_and_no_failure(
    route: Route, connect: Connect, sandbox: Sandbox, servers: Servers
) -> None:
    sandbox.faults.set("*", FAULTS)
    created = dataclasses.replace(FAULTS, drop_after_rate=0.05, stall_rate=0.03)
    sandbox.faults.set("createPatient", created)
    records = make_records(RECORDS, seed=19)
    async with connect(route, max_in_flight=8, timeout=httpx.Timeout(10, read=1)) as lh:
        async with sync_patients(lh, records, concurrency=8) as stream:
            outcomes = [outcome async for outcome in stream]
        kinds = faults_by_kind(sandbox.faults.fired)
        sandbox.faults.clear()
        async with sync_patients(lh, records, concurrency=8) as stream:
            again = [outcome async for outcome in stream]

    failures = [(o.reason.error, o.reason.message) for o in outcomes if o.reason is not None]
    assert outcome_counts(outcomes) == {"created": RECORDS}, failures
    # One outcome per record (in completion order, the sync's default).
    assert sorted(o.line for o in outcomes) == [r.line for r in records]
    stored = sandbox.patients()
    assert all(o.patient_id == stored[str(o.external_id)]["id"] for o in outcomes)
    checked = check_created_as_recorded(sandbox, records)  # each made once, as recorded
    assert checked["patients"] == len(stored) == RECORDS
    assert outcome_counts(again) == {"unchanged": RECORDS}
    # Every kind of fault really happened on the way.
    assert set(kinds) == {"drop_after", "drop_before", "error", "html_502", "stall"}
    assert sandbox.faults.fired[("createPatient", "drop_after")] > 0
    assert len(sandbox.requests) >= RECORDS
    await _check_the_servers_carried_it(servers, sandbox, route, connect, goaway=True)


async def test_a_slow_answer_costs_only_its_own_request(
    route: Route, connect: Connect, sandbox: Sandbox, servers: Servers
) -> None:
    # On HTTP/2 the requests share one connection, and httpcore's read timeout is the
    # connection's: one second with no frame for anyone failed every stream on it. Before: the
    # lookups waiting beside the stalled call failed with ReadTimeout ("http2" and
    # "http_client-http2"). Kept per request, the read timeout cuts short only the slow one.
    sandbox.faults.set("getPractitionerSpecialties", FaultPlan(stall_rate=1.0, stall_seconds=4))
    sandbox.faults.set("getPatients", FaultPlan(latency_ms=700))
    no_retry = RetryPolicy(max_retries=0)
    timeout = httpx.Timeout(10, read=1)
    async with connect(route, max_in_flight=4, retry_policy=no_retry, timeout=timeout) as lh:
        slow = asyncio.create_task(lh.practitioners.specialties())
        await asyncio.sleep(0.5)  # the slow call waits alone, then 3 lookups wait beside it
        found = await asyncio.gather(*(lh.patients.get(f"beside-{i}") for i in (1, 2, 3)))
        with pytest.raises(APITimeoutError) as caught:
            await slow
    assert caught.value.reason == "ReadTimeout"
    assert found == [None, None, None]  # each answered, at its first attempt


@pytest.mark.parametrize("password", ["not-the-password", None])
async def test_the_proxy_refusing_credentials_is_a_typed_error(
    password: str | None,
    connect: Connect,
    sandbox: Sandbox,
    servers: Servers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clear_proxies(monkeypatch)
    monkeypatch.setenv("SSL_CERT_FILE", str(servers.ca_bundle))
    proxy = f"http://127.0.0.1:{servers.squid.port}"
    if password is not None:
        proxy = servers.squid.proxy_url(password=password)
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    async with connect(Route(True, API_HOSTNAME), retry_policy=RetryPolicy(max_retries=0)) as lh:
        with pytest.raises(APIConnectionError) as caught:
            await lh.patients.get("p1")
    assert not isinstance(caught.value, AmbiguousOutcomeError)
    assert PROXY_USER not in str(caught.value) and "not-the-password" not in str(caught.value)
    wait_until(lambda: any(t[0] == "TCP_DENIED/407" for t in tunnels(servers)), "the 407")
    assert servers.nginx.rows() == []  # nothing reached the API


async def _check_the_servers_carried_it(
    servers: Servers, sandbox: Sandbox, route: Route, connect: Connect, *, goaway: bool = False
) -> None:
    """nginx logged every request the sandbox saw, on the port and in the protocol of the
    client's transport; it gzipped answers; on HTTP/1.1 it closed connections at its keep-alive
    limit and chunked answers, on HTTP/2 it multiplexed requests on few connections (``goaway``:
    ended by nginx at its limit); through squid, every connection came through a tunnel.

    The user's own clients are closed first, as at the end of a run: httpcore never resets an
    HTTP/2 stream it gave up on (a read timeout), so nginx logs it only when its connection closes.
    """
    await connect.aclose()
    nginx = servers.nginx
    wait_until(lambda: len(nginx.rows()) >= len(sandbox.requests), "nginx's log of each request")
    rows = nginx.rows()
    protocol = "HTTP/2.0" if connect.http2 else "HTTP/1.1"
    assert {(row[7], row[8]) for row in rows} == {(str(connect.port), protocol)}
    per_connection = Counter(row[0] for row in rows)
    assert any(row[5] != "-" for row in rows)  # gzipped answers were read
    if connect.http2:
        _check_multiplexed(rows, per_connection, goaway)
    else:
        assert max(per_connection.values()) == KEEPALIVE_REQUESTS  # the limit closed connections
        assert any(row[6] == "chunked" for row in rows)  # chunked answers were read
    if not route.through_proxy:
        return
    # squid logs a tunnel when it closes; nginx logged each connection's port on squid's side.
    ports = {row[2] for row in rows}

    def ours() -> list[list[str]]:
        return [t for t in tunnels(servers) if t[-1] in ports]

    wait_until(lambda: {t[-1] for t in ours()} == ports, "squid's log of each tunnel")
    target = f"{API_HOSTNAME}:{connect.port}"
    assert {tuple(t[:-1]) for t in ours()} == {("TCP_TUNNEL/200", target, PROXY_USER)}


def _check_multiplexed(
    rows: list[tuple[str, ...]], per_connection: Counter[str], goaway: bool
) -> None:
    """HTTP/2: a connection carried more requests than HTTP/1.1's keep-alive limit allows, none
    more than nginx's HTTP/2 limit. ``goaway``: connections were ended at that limit (a GOAWAY
    with requests in flight, which the client survived) and carried 10 requests each on average."""
    most = max(per_connection.values())
    assert KEEPALIVE_REQUESTS < most <= H2_KEEPALIVE_REQUESTS
    if goaway:
        assert most == H2_KEEPALIVE_REQUESTS
        assert len(rows) >= 10 * len(per_connection)


def tunnels(servers: Servers) -> list[list[str]]:
    """squid's CONNECT lines since the test began: [result/status, target, user, local port]."""
    lines = (line.split() for line in servers.squid.access.lines())
    return [[f[0], *f[2:5]] for f in lines if len(f) == 5 and f[1] == "CONNECT"]
