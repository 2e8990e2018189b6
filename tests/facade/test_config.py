"""The client's settings are checked once, at construction, and no refusal names a value."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import httpx
import pytest
from _scripted import Connect, ScriptedServer

from legithealth_async import ConfigurationError, LegitHealth
from legithealth_async._transports.route import is_in_process
from legithealth_async._transports.sharded import environment_proxy, is_loopback
from legithealth_async.sandbox import Sandbox

from .conftest import BASE, TOKEN

_SECRET = "s3cr3t-PASSWORD-91f"


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=[])


# ------------------------------------------------------------------------------------- token


@pytest.mark.parametrize(
    "token",
    [
        f"{TOKEN}\n",  # a file read whole, e.g. a mounted secret or `read -r` without -d
        f"{TOKEN}\r\n",
        f"{TOKEN} ",
        f" {TOKEN}",
        f"{TOKEN}\t",
        f"tok\x1b[31m{TOKEN}",
        f"tok\x00{TOKEN}",
        f"tok\x7f{TOKEN}",
        f"tok {TOKEN}",
        f"tök-{TOKEN}",
    ],
)
def test_a_token_with_whitespace_or_control_characters_is_refused_naming_no_value(
    token: str,
) -> None:
    with pytest.raises(ConfigurationError, match="API token") as caught:
        LegitHealth(token, base_url=BASE)
    assert TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None


def test_a_token_from_the_environment_is_checked_the_same_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEGITHEALTH_API_TOKEN", f"{TOKEN}\n")
    with pytest.raises(ConfigurationError, match="LEGITHEALTH_API_TOKEN") as caught:
        LegitHealth(base_url=BASE)
    assert TOKEN not in str(caught.value)


async def test_a_printable_token_is_sent_as_given(
    connect: Connect, scripted: ScriptedServer
) -> None:
    token = "Ab0-._~+/=!#$%&'*^`|"
    scripted.add_response(url="/practitioners/specialties", json=[])
    async with connect(api_token=token) as lh:
        await lh.practitioners.specialties()
    assert scripted.get_requests()[0].headers["X-API-TOKEN"] == token


# ---------------------------------------------------------------------------------- base URL


@pytest.mark.parametrize(
    "url",
    [
        f"https://user:{_SECRET}@api.test/integration/v1",
        f"https://{_SECRET}@api.test/integration/v1",
        f"http://user:{_SECRET}@127.0.0.1:8000/v1",
    ],
)
def test_a_base_url_with_a_user_name_or_password_is_refused_naming_no_value(url: str) -> None:
    with pytest.raises(ConfigurationError, match="user name or password") as caught:
        LegitHealth(TOKEN, base_url=url)
    assert _SECRET not in str(caught.value)
    assert _SECRET not in repr(caught.value)


def test_an_unparsable_base_url_is_refused_without_quoting_it() -> None:
    # A password containing "/" ends the authority early: httpx reads the password as a port
    # and says so, quoting it.
    with pytest.raises(ConfigurationError, match="not a valid URL") as caught:
        LegitHealth(TOKEN, base_url=f"https://user:{_SECRET}/x@api.test/v1")
    shown = "".join(traceback.format_exception(caught.value))
    assert _SECRET not in shown


def test_a_base_url_with_userinfo_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEGITHEALTH_BASE_URL", f"https://u:{_SECRET}@api.test/v1")
    with pytest.raises(ConfigurationError, match="LEGITHEALTH_BASE_URL") as caught:
        LegitHealth(TOKEN)
    assert _SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.test/integration/v1?tenant=1",
        "https://api.test/integration/v1#frag",
        "https://api.test/integration/v1?",
        "https:///integration/v1",
        " https://api.test/integration/v1",
        "https://api.test/integration/v1\n",
    ],
)
def test_a_base_url_with_a_query_fragment_no_host_or_stray_characters_is_refused(
    url: str,
) -> None:
    # A query would end up in the middle of every request's path ("...v1?tenant=1/patients").
    with pytest.raises(ConfigurationError):
        LegitHealth(TOKEN, base_url=url)


# ------------------------------------------------------- the https rule and injected transports


@pytest.mark.parametrize(
    "url",
    [
        "http://api.legit.health/v1",
        "http://10.0.0.8/v1",
        "http://127.1/v1",
        "http://localhost.evil/",
    ],
)
@pytest.mark.parametrize("how", ["transport", "http_client"])
def test_an_injected_network_transport_keeps_the_https_rule(url: str, how: str) -> None:
    if how == "transport":
        with pytest.raises(ConfigurationError, match="https"):
            LegitHealth(TOKEN, base_url=url, transport=httpx.AsyncHTTPTransport())
    else:
        with pytest.raises(ConfigurationError, match="https"):
            LegitHealth(TOKEN, base_url=url, http_client=httpx.AsyncClient(trust_env=False))


def test_a_custom_transport_is_a_network_transport_unless_it_says_otherwise() -> None:
    class Wrapper(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200)

    class InProcess(Wrapper):
        legithealth_in_process = True

    with pytest.raises(ConfigurationError):
        LegitHealth(TOKEN, base_url="http://api.legit.health/v1", transport=Wrapper())
    assert not is_in_process(Wrapper())
    assert is_in_process(InProcess())
    LegitHealth(TOKEN, base_url="http://api.legit.health/v1", transport=InProcess())


def test_in_process_transports_may_carry_plain_http(legithealth_sandbox: Sandbox) -> None:
    assert legithealth_sandbox.base_url.startswith("http://sandbox/")
    LegitHealth(
        TOKEN, base_url=legithealth_sandbox.base_url, transport=legithealth_sandbox.transport()
    )
    LegitHealth(TOKEN, base_url="http://x.test/v1", transport=httpx.MockTransport(_ok))
    # An http_client's transport cannot be seen: beyond loopback it needs https (an in-process
    # one answers any scheme); tests/reliability/test_route.py has the rest.
    own = httpx.AsyncClient(transport=httpx.MockTransport(_ok), trust_env=False)
    LegitHealth(TOKEN, base_url="https://x.test/v1", http_client=own)


# A transport or http_client that does not verify TLS: tests/reliability/test_route.py.


def test_an_unreadable_trust_store_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigurationError, match="SSL_CERT_FILE"):
        LegitHealth(TOKEN, base_url=BASE)
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "missing"))
    with pytest.raises(ConfigurationError, match="SSL_CERT_DIR"):
        LegitHealth(TOKEN, base_url=BASE)


def test_a_tls_key_log_is_warned_about(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    monkeypatch.setenv("SSLKEYLOGFILE", str(tmp_path / "keys.log"))
    with caplog.at_level(logging.WARNING, logger="legithealth_async"):
        LegitHealth(TOKEN, base_url=BASE)
    (record,) = [r for r in caplog.records if "SSLKEYLOGFILE" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert TOKEN not in record.getMessage()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.1", True),
        ("127.200.3.4", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost.evil", False),
        ("127.0.0.1.nip.io", False),
        ("10.0.0.1", False),
        ("::ffff:8.8.8.8", False),
        ("api.legit.health", False),
    ],
)
def test_loopback_is_this_machine_only(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy"])
@pytest.mark.parametrize("host", ["127.0.0.1", "127.9.9.9", "localhost", "[::1]"])
def test_loopback_is_never_proxied(
    monkeypatch: pytest.MonkeyPatch, variable: str, host: str
) -> None:
    for name in ("NO_PROXY", "no_proxy", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, "http://proxy.test:3128")
    assert environment_proxy(httpx.URL(f"http://{host}:8000/v1")) is None
    assert environment_proxy(httpx.URL(f"https://{host}:8000/v1")) is None


# ------------------------------------------------------------------- the user's own http_client


async def test_a_shared_http_client_is_not_mutated() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    shared = httpx.AsyncClient(
        base_url="https://elsewhere.test/other/",
        transport=httpx.MockTransport(answer),
        headers={"X-Mine": "1"},
    )
    before = (shared.base_url, dict(shared.headers), shared.follow_redirects, shared.timeout)
    async with LegitHealth(TOKEN, base_url=BASE, http_client=shared) as lh:
        await lh.practitioners.specialties()
    after = (shared.base_url, dict(shared.headers), shared.follow_redirects, shared.timeout)
    assert after == before
    assert "X-API-TOKEN" not in shared.headers
    assert not shared.is_closed
    # Our requests go to our base URL (absolute), with the user's headers and our token.
    assert str(seen[0].url) == f"{BASE}/practitioners/specialties"
    assert seen[0].headers["X-Mine"] == "1"
    assert seen[0].headers["X-API-TOKEN"] == TOKEN
    # ... and the user's own requests still go where the user pointed the client.
    await shared.get("ping")
    assert str(seen[1].url) == "https://elsewhere.test/other/ping"
    assert "X-API-TOKEN" not in seen[1].headers
    await shared.aclose()
