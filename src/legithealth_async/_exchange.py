"""One HTTP exchange: a request sent, and its answer read whole within the size bound.

The sender builds each request once (:class:`Outgoing`: method, an encoded absolute URL, headers,
body bytes) and an :class:`Exchanger`, made once per client, sends it:

- **the client's own** ``httpx.AsyncClient`` (``LegitHealth`` made it): its transport is called
  directly. ``AsyncClient.send``'s layers have nothing to do for it (no auth, no event hooks,
  redirects never followed, cookies dropped, no proxy mounts: the transport holds the proxy), and
  with httpx's ``Request``/``Response`` construction they were about a third of a request's CPU on
  loopback (``benchmarks/RESULTS.md``). The asyncio transport (``_http11``, the default on
  asyncio) is called without httpx's request and response objects at all.
- **an** ``http_client`` **of the user's**: through ``AsyncClient.send``, so its event hooks,
  auth and mounts apply.

Either way the body is read raw and decoded under ``max_response_bytes`` (``_body``), within
the attempt's deadline.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from ._logs import our_exchange
from ._transports.body import Reply, read_bounded
from ._transports.http11 import Http11Transport
from ._transports.sharded import DefaultTransport
from .pagination import query_quote


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One request as it goes on the wire (the same bytes for every attempt)."""

    method: str
    url: str
    """Absolute and percent-encoded (external ids in it: never logged)."""
    headers: Sequence[tuple[str, str]]
    content: bytes | None

    def __repr__(self) -> str:
        return f"<Outgoing {self.method}>"

    def to_httpx(self, phases: httpx.Timeout) -> httpx.Request:
        """The same request as an ``httpx.Request`` (``phases``: its per-phase timeouts)."""
        return httpx.Request(
            self.method,
            self.url,
            headers=self.headers,
            content=self.content,
            extensions={"timeout": phases.as_dict()},
        )


def encode_query(params: Mapping[str, Any]) -> str:
    """``params`` as a query string, encoded as httpx encodes ``params=`` (lists repeat the
    key; ``True``/``False`` as ``true``/``false``; ``None`` as empty)."""
    parts = []
    for key, value in params.items():
        name = query_quote(key)
        for item in value if isinstance(value, list | tuple) else (value,):
            parts.append(f"{name}={query_quote(_primitive(item))}")
    return "&".join(parts)


def _primitive(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def encode_json(body: Any) -> bytes:
    """``body`` as httpx's ``json=`` encodes it: compact UTF-8, no NaN or infinity."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


class Exchanger:
    """Sends an :class:`Outgoing` and reads its answer (see the module doc for the two ways)."""

    __slots__ = ("_direct", "_http")

    def __init__(self, http: httpx.AsyncClient, *, direct: bool) -> None:
        self._http = http
        self._direct = direct

    async def exchange(
        self, out: Outgoing, phases: httpx.Timeout, limit: int, operation: str, deadline: float
    ) -> Reply:
        """Send ``out`` (``phases``: connect, write, read and pool timeouts); the answer read
        whole within ``deadline`` seconds, or ``httpx.TransportError``, ``TimeoutError`` (the
        deadline) or ``UnexpectedResponseError`` (over ``limit``)."""
        transport = self._http._transport if self._direct else None
        if isinstance(transport, DefaultTransport):
            transport = transport.inner or transport.chosen()
            if isinstance(transport, Http11Transport):
                # asyncio's own deadline (the transport is asyncio-only): half anyio's cost.
                async with asyncio.timeout(deadline):
                    return await transport.exchange(
                        out.method,
                        out.url,
                        out.headers,
                        out.content,
                        phases.as_dict(),
                        limit,
                        operation,
                    )
        # httpx's transports close answers in shielded scopes, which only anyio's deadline
        # respects; its trace lines of this exchange lose their values (see _logs).
        with anyio.fail_after(deadline), our_exchange():
            if transport is None:
                request = out.to_httpx(phases)
                response = await self._http.send(request, stream=True, follow_redirects=False)
            else:
                response = await transport.handle_async_request(out.to_httpx(phases))
            return await _read(operation, response, limit)


async def _read(operation: str, response: httpx.Response, limit: int) -> Reply:
    try:
        content = await read_bounded(operation, response, limit)
    finally:
        with anyio.CancelScope(shield=True):
            await response.aclose()
    headers = response.headers
    return Reply(response.status_code, headers, headers.raw, content)
