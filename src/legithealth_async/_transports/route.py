"""The token's route through a user's own ``http_client`` or ``transport=``, checked on the wire.

The client's own transports are built here, verified and proxied as ``_config.py`` says. A user's
``httpx.AsyncClient`` or ``httpx.AsyncBaseTransport`` was configured where this library cannot
look: httpx keeps a client's transports, and a transport's TLS context and proxy, private. So the
route is checked where httpx lets anyone look, through two public extensions of httpcore (what
``httpx.AsyncHTTPTransport`` runs on):

- ``trace`` (each request carries a :meth:`RouteCheck.watcher`), called as a connection opens,
  before a byte of the request is written:

  - ``connect_tcp.started`` names the host and port about to be dialled. For a plain ``http``
    base URL (loopback only, see ``_config.py``) it must be the base URL's own host and port:
    anything else is a proxy (``HTTP_PROXY`` when the client was built, ``proxy=``, a mount),
    and the token would cross it in clear. Refused before connecting.
  - ``start_tls.started`` names the ``ssl.SSLContext`` about to be used, to the API or to an
    ``https://`` proxy: it must verify certificates and host names (``verify=False`` does
    neither). Refused before the handshake; the TCP connection is closed.

- ``network_stream`` on each answer: a connection this client did not see open (one of a shared
  ``http_client``'s, opened for another request) is checked there, once, after the fact; the
  call fails and no further request goes out on it.

A refusal is a :class:`~legithealth_async.errors.ConfigurationError`, never retried, that names
the setting, never its value. A transport that exposes neither extension (an in-process one, such
as ``httpx.MockTransport``, or one not built on httpcore) has no connection to check.
"""

from __future__ import annotations

import ssl
import weakref
from collections.abc import Mapping
from typing import Any

import anyio
import httpx

from ..errors import ConfigurationError
from .sharded import is_loopback

__all__ = ["NOT_VERIFIED", "PLAIN_THROUGH_PROXY", "RouteCheck", "is_in_process", "verifies"]

_IN_PROCESS = (httpx.ASGITransport, httpx.MockTransport)

PLAIN_THROUGH_PROXY = (
    "the http_client or transport sends plain http through a proxy (HTTP_PROXY or ALL_PROXY when "
    "it was built, or proxy=...): the API token would cross it in clear; build it with "
    "trust_env=False, or set NO_PROXY for this host"
)
NOT_VERIFIED = (
    "the http_client or transport does not verify TLS certificates (verify=False, or an "
    "ssl.SSLContext without check_hostname): anyone on the path could read the API token; keep "
    "verification on"
)


def is_in_process(transport: object) -> bool:
    """Whether ``transport`` answers in this process without opening a socket: an
    ``httpx.ASGITransport``, an ``httpx.MockTransport``, or one whose class declares
    ``legithealth_in_process = True`` (the sandbox's does)."""
    if isinstance(transport, _IN_PROCESS):
        return True
    return getattr(type(transport), "legithealth_in_process", False) is True


def verifies(context: object) -> bool:
    """Whether an ``ssl.SSLContext`` checks both the certificate and the host name."""
    return not isinstance(context, ssl.SSLContext) or (
        context.verify_mode != ssl.CERT_NONE and context.check_hostname
    )


class RouteCheck:
    """The route rules of one client's base URL, applied to every connection it is sent on."""

    __slots__ = ("_checked", "_host", "_port", "plain")

    def __init__(self, base_url: str) -> None:
        url = httpx.URL(base_url)
        self.plain = url.scheme == "http"
        self._host = url.host.lower()
        self._port = url.port or (80 if self.plain else 443)
        # Connections already checked (opened under a watcher, or checked at an answer).
        self._checked: weakref.WeakSet[object] = weakref.WeakSet()

    def __repr__(self) -> str:
        return f"<RouteCheck {'http' if self.plain else 'https'}>"

    def watcher(self) -> _Watcher:
        """A request's ``trace`` callback, watching the connections it opens."""
        return _Watcher(self)

    def dialling(self, host: object, port: object) -> None:
        """A TCP connection is about to open to ``host``:``port`` (refused: a proxy, for http)."""
        if not self.plain:
            return
        same = isinstance(host, str) and host.strip("[]").lower() == self._host.strip("[]")
        if not (same and port == self._port):
            raise ConfigurationError(PLAIN_THROUGH_PROXY)

    def answered(self, extensions: Mapping[str, Any]) -> None:
        """The answer came on its ``network_stream``: check that connection, if not yet."""
        stream = extensions.get("network_stream")
        if stream is None:
            return
        try:
            if stream in self._checked:
                return
        except TypeError:  # a stream that cannot be weakly referenced: checked every time
            pass
        ssl_object = stream.get_extra_info("ssl_object")
        if ssl_object is not None:
            if not verifies(getattr(ssl_object, "context", None)):
                raise ConfigurationError(NOT_VERIFIED)
        elif self.plain and not self._direct(stream.get_extra_info("server_addr")):
            raise ConfigurationError(PLAIN_THROUGH_PROXY)
        self.checked(stream)

    def _direct(self, peer: object) -> bool:
        """Whether a plain connection's peer is the base URL's port on loopback, or a Unix
        socket (this machine: ``uds=``)."""
        if isinstance(peer, str | bytes):
            return True
        return (
            isinstance(peer, tuple)
            and len(peer) >= 2
            and is_loopback(str(peer[0]))
            and peer[1] == self._port
        )

    def checked(self, stream: object) -> None:
        """Remember ``stream`` as checked (it is not looked at again)."""
        try:
            self._checked.add(stream)
        except TypeError:
            pass


class _Watcher:
    """One request's ``trace`` callback: httpcore awaits it at each step; it acts on four."""

    __slots__ = ("_route", "_tcp")

    def __init__(self, route: RouteCheck) -> None:
        self._route = route
        self._tcp: Any = None

    async def __call__(self, event: str, info: Mapping[str, Any]) -> None:
        if event.endswith("connect_tcp.started"):
            self._route.dialling(info.get("host"), info.get("port"))
        elif event.endswith(("connect_tcp.complete", "connect_unix_socket.complete")):
            self._tcp = stream = info.get("return_value")
            if self._route.plain:
                self._route.checked(stream)
        elif event.endswith("start_tls.started"):
            if not verifies(info.get("ssl_context")):
                await self._close()
                raise ConfigurationError(NOT_VERIFIED)
        elif event.endswith("start_tls.complete"):
            self._route.checked(info.get("return_value"))

    async def _close(self) -> None:
        """Close the TCP connection a refused handshake leaves behind (httpcore keeps no hold
        of it: it is open only in the frame the refusal unwinds)."""
        tcp, self._tcp = self._tcp, None
        if tcp is not None:
            with anyio.CancelScope(shield=True):
                await tcp.aclose()
