"""The client's settings, resolved from the arguments and the environment and checked once.

Every refusal is a :class:`ConfigurationError` that names the setting and what is wrong with it,
never its value (a token, or a password in a URL, must not reach a terminal or a log).

The rules:

- **Token** (``api_token``, else ``LEGITHEALTH_API_TOKEN``): printable ASCII with no whitespace.
  It is not stripped: a token read whole from a file often ends with a newline, and a token
  silently changed would fail later with a less clear error; it is refused at construction.
- **Base URL** (``base_url``, else ``LEGITHEALTH_BASE_URL``, else the production API): ``https``
  (or ``http``, see below), with a host, and with no user name or password (they would be shown
  wherever the URL is: ``repr``, the journal, ``journal stats``), no query and no fragment (paths
  are appended to it).
- **The token never crosses a network in clear.** Plain ``http`` only to a loopback host
  (127.0.0.0/8, ``::1``, ``localhost``), and never through a proxy; a loopback host is never
  proxied by the default transport (whatever ``HTTP_PROXY``/``ALL_PROXY`` say).
- **An injected ``transport`` or ``http_client`` keeps these rules.** An in-process transport
  may carry plain ``http`` to any host: an ``httpx.ASGITransport``, an ``httpx.MockTransport``,
  or a transport whose class declares ``legithealth_in_process = True`` (the sandbox's does).
  Any other, and any ``http_client`` (whose transport httpx keeps private), needs ``https`` or a
  loopback host. Their proxy and TLS verification are checked on the wire, before a byte of a
  request is written (``_transports/route.py``): plain ``http`` through a proxy (a client built
  with ``trust_env=True`` under ``HTTP_PROXY``, or ``proxy=...``) and a TLS context that does not
  verify (``verify=False``) are refused at the first request, as ``ConfigurationError``.
- **Proxies** from the environment (``HTTPS_PROXY``, else ``ALL_PROXY``; ``NO_PROXY``): an
  ``http://`` proxy on every transport, an ``https://`` one on httpx's; anything else (SOCKS) is
  refused here naming the variable, never its value. A port (of the base URL or of the proxy)
  outside 1-65535 is refused here too.
- ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` are honoured by the default transport (a company's own
  certificate authority); one that does not exist or cannot be read is a configuration error.
- ``SSLKEYLOGFILE`` (honoured by Python's ``ssl``: every TLS session's keys are written to that
  file, so whoever reads it can decrypt the token) is a debugging switch: it is not refused, but
  each client built while it is set logs a WARNING on the ``legithealth_async`` logger.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field

import httpx

from . import _constants as C
from ._transports.route import is_in_process
from ._transports.sharded import environment_proxy, is_loopback
from .errors import ConfigurationError

__all__ = ["Settings", "resolve_settings"]

logger = logging.getLogger(C.LOGGER_NAME)

_PRINTABLE_TOKEN = re.compile(r"[\x21-\x7e]+")
_CLEAR_TEXT = (
    "plain http only to a loopback host (127.0.0.0/8, ::1, localhost), never through a proxy, "
    "or over an in-process transport: the API token must never cross a network in clear"
)


@dataclass(frozen=True, slots=True)
class Settings:
    """What the client resolved: the token (never shown) and the checked base URL."""

    token: str = field(repr=False)
    base_url: str
    #: The proxy the default transport uses (None for loopback, or when none is configured).
    proxy: str | None


def resolve_settings(
    *,
    api_token: str | None,
    base_url: str | None,
    transport: object,
    http_client: httpx.AsyncClient | None,
) -> Settings:
    """Resolve and check the token, the base URL and the route the requests will take.

    ``transport`` is an injected ``httpx.AsyncBaseTransport``, or the name of the client's own
    (checked by the transport module), or None.
    """
    token = _token(api_token)
    url = _base_url(base_url)
    if url.scheme == "https" and os.environ.get("SSLKEYLOGFILE"):
        logger.warning(
            "SSLKEYLOGFILE is set: the keys of every TLS connection are written to that file, "
            "and whoever reads it can decrypt the API token and the patient data sent"
        )
    if transport is not None and http_client is not None:
        raise ConfigurationError("pass either transport or http_client, not both")
    if http_client is not None or isinstance(transport, httpx.AsyncBaseTransport):
        _check_injected(url, transport if http_client is None else None)
        return Settings(token=token, base_url=str(url), proxy=None)
    if url.scheme == "http" and not is_loopback(url.host):
        raise ConfigurationError(f"base_url must be https:// ({_CLEAR_TEXT})")
    _check_trust_store()
    proxy = _checked_proxy(url)
    if proxy is not None and transport == "asyncio" and proxy[1].startswith("https:"):
        raise ConfigurationError(
            f"{proxy[0]} names an https:// proxy, and the asyncio transport goes through http:// "
            "proxies only: use transport='httpx' (or 'auto'), or set NO_PROXY for this host"
        )
    return Settings(token=token, base_url=str(url), proxy=None if proxy is None else proxy[1])


def _token(api_token: str | None) -> str:
    where = "api_token" if api_token is not None else C.ENV_API_TOKEN
    token = api_token if api_token is not None else os.environ.get(C.ENV_API_TOKEN)
    if not token:
        raise ConfigurationError(f"no API token: pass api_token=... or set {C.ENV_API_TOKEN}")
    if not isinstance(token, str):
        raise ConfigurationError(f"{where} must be a str")
    if _PRINTABLE_TOKEN.fullmatch(token):
        return token
    if token.strip() != token:
        problem = (
            "starts or ends with whitespace (a token read whole from a file ends with a newline)"
        )
    elif any(ch.isspace() for ch in token):
        problem = "contains whitespace"
    elif any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in token):
        problem = "contains a control character"
    else:
        problem = "contains a character outside printable ASCII"
    raise ConfigurationError(f"the API token ({where}) {problem}: it was not used")


def _base_url(base_url: str | None) -> httpx.URL:
    env = os.environ.get(C.ENV_BASE_URL)
    where = "base_url" if base_url else (C.ENV_BASE_URL if env else "the default base URL")
    raw = base_url or env or C.DEFAULT_BASE_URL
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, TypeError):
        # Not chained: httpx's reason quotes a piece of the URL (a password cut at a "/" is
        # read as the port: "Invalid port: '<password>'").
        raise ConfigurationError(f"{where} is not a valid URL") from None
    if url.scheme not in ("https", "http"):
        raise ConfigurationError(f"{where} must be an https:// URL")
    if not url.host:
        raise ConfigurationError(f"{where} has no host")
    if url.userinfo:
        raise ConfigurationError(
            f"{where} carries a user name or password: the API authenticates by token, and a "
            "password in the URL would be shown wherever the URL is (repr, the journal)"
        )
    if url.port is not None and not 0 < url.port < 65536:
        raise ConfigurationError(f"{where} has a port out of range (1 to 65535)")
    if url.query or url.fragment or raw.rstrip().endswith(("?", "#")):
        raise ConfigurationError(
            f"{where} has a query or a fragment: request paths are appended to the base URL"
        )
    return url


def _check_injected(url: httpx.URL, transport: object) -> None:
    """Plain ``http`` to a host other than loopback only over an in-process ``transport``
    (``None``: a user's ``http_client``, whose transport cannot be seen)."""
    if url.scheme == "https" or is_loopback(url.host) or is_in_process(transport):
        return
    if transport is None:
        raise ConfigurationError(
            f"base_url must be https:// with an http_client ({_CLEAR_TEXT}); to answer in this "
            "process, pass the in-process transport itself as transport=..."
        )
    raise ConfigurationError(
        "base_url must be https:// for a transport that can reach a network "
        f"({_CLEAR_TEXT}; mark an in-process transport with legithealth_in_process = True)"
    )


def _check_trust_store() -> None:
    """``SSL_CERT_FILE``/``SSL_CERT_DIR``, when set, must name a readable file / folder.

    Checked cheaply here (the TLS context itself is made at the first request, off the event
    loop); a file that exists but holds no certificate surfaces at the first request.
    """
    for name, exists in (("SSL_CERT_FILE", os.path.isfile), ("SSL_CERT_DIR", os.path.isdir)):
        value = os.environ.get(name)
        if value and not (exists(value) and os.access(value, os.R_OK)):
            raise ConfigurationError(f"{name} names a trust store that cannot be read")


def _checked_proxy(url: httpx.URL) -> tuple[str, str] | None:
    """The variable naming a proxy for ``url`` and the proxy, once it is one the transports can
    use.

    ``http://`` proxies (both transports) and ``https://`` ones (httpx's); one written without a
    scheme (``127.0.0.1:3128``) is ``http://``, as httpx and curl read it; anything else (a SOCKS
    proxy) is refused here, naming the variable, never its value (it may hold a password).
    """
    proxy = environment_proxy(url)
    if proxy is None:
        return None
    scheme = url.scheme
    names = (f"{scheme}_proxy", f"{scheme.upper()}_PROXY", "all_proxy", "ALL_PROXY")
    name = next((n for n in names if os.environ.get(n) == proxy), f"{scheme.upper()}_PROXY")
    if "://" not in proxy:
        proxy = f"http://{proxy}"
    try:
        parsed = httpx.URL(proxy)
    except (httpx.InvalidURL, TypeError):
        raise ConfigurationError(f"{name} is not a valid proxy URL") from None
    if parsed.scheme not in ("http", "https"):
        raise ConfigurationError(
            f"{name} names a proxy that is not http:// or https:// (SOCKS is not supported): "
            "unset it, or set NO_PROXY for this host"
        )
    if not parsed.host:
        raise ConfigurationError(f"{name} names a proxy without a host")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise ConfigurationError(f"{name} names a proxy with a port out of range (1 to 65535)")
    return name, proxy
