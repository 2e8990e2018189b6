"""Practitioners, specialties, and the login tokens of patients and practitioners."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx

from legithealth_async.sandbox import Sandbox

from .conftest import error_body, patient_body

PRACTITIONER = {
    "externalId": "DR-0042",
    "email": "dr.house@example.org",
    "firstName": "Gregory",
    "lastName": "House",
    "speciality": "dermatology",
}


async def test_create_practitioner(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    r = await api.post("/practitioners", json=PRACTITIONER)
    assert r.status_code == 201
    body = r.json()
    assert {k: body[k] for k in PRACTITIONER} == PRACTITIONER
    assert body["id"]
    assert sandbox.practitioner("DR-0042") == body
    [message] = sandbox.outbox
    assert (message.kind, message.channel, message.to, message.recipient) == (
        "verification",
        "email",
        "dr.house@example.org",
        "practitioner",
    )


async def test_create_practitioner_without_speciality(api: httpx.AsyncClient) -> None:
    r = await api.post("/practitioners", json={"externalId": "DR-1", "email": "a@b.org"})
    assert r.status_code == 201
    assert r.json()["speciality"] is None and r.json()["firstName"] is None


async def test_create_known_practitioner_is_409(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    await api.post("/practitioners", json=PRACTITIONER)
    r = await api.post("/practitioners", json=PRACTITIONER)
    assert r.status_code == 409
    assert error_body(r)["errorCode"] == "PRACTITIONER_ALREADY_EXISTS"
    assert sandbox.create_effects("DR-0042", "createPractitioner") == 1
    assert sandbox.create_attempts("DR-0042", "createPractitioner") == 2


async def test_create_practitioner_with_unknown_speciality_is_422(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    r = await api.post("/practitioners", json={**PRACTITIONER, "speciality": "astrology"})
    assert r.status_code == 422
    assert error_body(r)["errorCode"] == "UNPROCESSABLE"
    assert sandbox.practitioner("DR-0042") is None and sandbox.outbox == []


async def test_create_practitioner_needs_an_email(api: httpx.AsyncClient) -> None:
    r = await api.post("/practitioners", json={"externalId": "DR-1"})
    assert r.status_code == 400
    assert error_body(r)["message"] == "body.email: is required"


async def test_specialties(api: httpx.AsyncClient) -> None:
    r = await api.get("/practitioners/specialties")
    assert r.status_code == 200
    codes = [s["code"] for s in r.json()]
    assert "dermatology" in codes and "generalPractice" in codes
    assert all(set(s) == {"code", "name"} for s in r.json())
    # every listed code is accepted
    for n, code in enumerate(codes):
        body = {"externalId": f"DR-{n}", "email": "a@b.org", "speciality": code}
        assert (await api.post("/practitioners", json=body)).status_code == 201


def _link_tokens(link: str) -> tuple[str, str]:
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "app.legit.health", "/u/home")
    query = parse_qs(parts.query, strict_parsing=True)
    return query["token"][0], query["refresh_token"][0]


async def test_patient_auth_tokens(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    await api.post("/patients", json=patient_body("a"))
    await api.post("/patients", json=patient_body("b"))
    r = await api.post("/patients/auth-tokens", json={"externalIds": ["b", "nobody", "a"]})
    assert r.status_code == 200
    tokens = r.json()
    assert [t["externalId"] for t in tokens] == ["b", "a"]
    for t in tokens:
        assert set(t) == {"externalId", "token", "refresh_token"}
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", t["token"]) and t["token"].count(".") == 2
        assert t["refresh_token"]
    assert tokens[0]["token"] != tokens[1]["token"]
    assert [m.kind for m in sandbox.outbox].count("login_link") == 0


async def test_patient_auth_tokens_link_by_email(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    await api.post("/patients", json=patient_body("a"))
    r = await api.post(
        "/patients/auth-tokens", json={"externalIds": ["a"], "sendLinkToPatientByEmail": True}
    )
    [token] = r.json()
    [link] = [m for m in sandbox.outbox if m.kind == "login_link"]
    assert (link.to, link.recipient, link.external_id) == ("ada@example.org", "patient", "a")
    assert link.link is not None
    assert _link_tokens(link.link) == (token["token"], token["refresh_token"])


async def test_patient_auth_tokens_at_most_100(api: httpx.AsyncClient) -> None:
    ids = [f"id-{n}" for n in range(101)]
    r = await api.post("/patients/auth-tokens", json={"externalIds": ids})
    assert r.status_code == 400
    assert error_body(r)["message"] == "body.externalIds: must have at most 100 items"


async def test_practitioner_auth_tokens_link_by_email(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await api.post("/practitioners", json=PRACTITIONER)
    r = await api.post(
        "/practitioners/auth-tokens",
        json={"externalIds": ["DR-0042", "DR-9"], "sendLinkToPractitionerByEmail": True},
    )
    assert r.status_code == 200
    [token] = r.json()
    assert token["externalId"] == "DR-0042"
    [link] = [m for m in sandbox.outbox if m.kind == "login_link"]
    assert (link.to, link.recipient) == ("dr.house@example.org", "practitioner")
    assert link.link is not None
    assert _link_tokens(link.link) == (token["token"], token["refresh_token"])


async def test_practitioner_auth_tokens_without_link(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await api.post("/practitioners", json=PRACTITIONER)
    r = await api.post(
        "/practitioners/auth-tokens",
        json={"externalIds": ["DR-0042"], "sendLinkToPractitionerByEmail": False},
    )
    assert len(r.json()) == 1
    assert [m.kind for m in sandbox.outbox] == ["verification"]


async def test_ids_and_tokens_are_reproducible_with_a_seed() -> None:
    async def run(seed: int) -> tuple[str, str]:
        sandbox = Sandbox(seed=seed)
        async with sandbox.client() as client:
            created = await client.post("/patients", json=patient_body())
            tokens = await client.post("/patients/auth-tokens", json={"externalIds": ["p-1"]})
        return created.json()["id"], tokens.json()[0]["token"]

    assert await run(3) == await run(3)
    assert await run(3) != await run(4)
